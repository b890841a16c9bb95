"""Service records for certificate tests, made through the real services: an activity recorded as a
phone sends it (patrols.submissions, patrols.services.record_activity), then reviewed by staff."""

import subprocess
import uuid
from datetime import timedelta

from certificates import selectors as certificate_selectors
from certificates import services as certificate_services
from patrols import services as patrol_services
from patrols import submissions
from patrols.models import Activity

# A valid 公民身份号码 (GB 11643 check character 0): only its last four characters may ever be stored or shown.
RESIDENT_ID = "420303199003074510"
ID_TAIL = "4510"


def served(person, started_at, *, minutes=60, decision="verify", reviewer=None, kind="patrol"):
    """An activity of the person's starting at `started_at` (aware), lasting `minutes`; verified or
    rejected by `reviewer` (a staff login), or left waiting for review when decision is None."""
    submission = submissions.build(
        client_uuid=uuid.uuid4(), kind=kind, started_at=started_at, ended_at=started_at + timedelta(minutes=minutes),
        points=None, point=None, location_source="", participant_ids=[], figures=submissions.Figures(), notes="",
    )
    activity, _created = patrol_services.record_activity(
        submitted_by=person.user, submission=submission, payload_sha256=uuid.uuid4().hex * 2)
    if decision is not None:
        patrol_services.review_activity(activity=activity, reviewer=reviewer, decision=decision,
                                        note="不是河湖巡护" if decision == "reject" else "")
    return Activity.objects.get(pk=activity.pk)


def set_issuer(**values):
    """The office's settings, complete enough to issue (负责人, 联系电话)."""
    issuer = certificate_selectors.issuer_settings()
    for name, value in {"responsible_person": "李主任", "handler": "王经办", "contact_phone": "0719-8123456",
                        **values}.items():
        setattr(issuer, name, value)
    return certificate_services.save_settings(issuer=issuer)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def pdf_image_count(content: bytes, tmp_path) -> int:
    path = tmp_path / "certificate-images.pdf"
    path.write_bytes(content)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True).stdout
    # Two header lines, then one line per image; a transparent one (the seal) brings its mask ("smask").
    return sum(1 for line in listing.strip().splitlines()[2:] if line.split()[2] == "image")
