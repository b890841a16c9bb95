"""Activities to credit: recorded through the API as a phone sends them, reviewed through the service,
with the commit callbacks run (the points receivers listen after commit)."""

import uuid

import pytest

from patrols import services as patrol_services
from patrols.models import Activity
from tests.support.factories import activity_body


@pytest.fixture
def record(api):
    """record(person, hours=1.0, day="2026-05-01", start="08:00", kind="cleanup", participants=(), debris_kg=None)
    -> the Activity the person submitted. Two of one person's on one day need different starts, or the
    second is not counted for them (already serving)."""

    def submit(person, *, hours=1.0, day="2026-05-01", start="08:00", kind="cleanup", participants=(), debris_kg=None):
        begin_minutes = int(start[:2]) * 60 + int(start[3:])
        end_minutes = begin_minutes + round(hours * 60)
        body = activity_body(
            kind=kind, point=[110.55, 32.70], participants=[p.id for p in participants],
            started_at=f"{day}T{begin_minutes // 60:02d}:{begin_minutes % 60:02d}:00+08:00",
            ended_at=f"{day}T{end_minutes // 60:02d}:{end_minutes % 60:02d}:00+08:00",
            client_uuid=uuid.uuid4(),
        )
        if debris_kg is not None:
            body["figures"] = {"debris_kg": debris_kg}
        response = api(person).post("/api/activities/", body, format="json")
        assert response.status_code == 201, response.content
        return Activity.objects.get(pk=response.json()["id"])

    return submit


@pytest.fixture
def review(django_capture_on_commit_callbacks):
    """review(activity, reviewer_person, "verify"|"reject", note=) with the after-commit receivers run."""

    def decide(activity, reviewer, decision="verify", note=""):
        with django_capture_on_commit_callbacks(execute=True):
            return patrol_services.review_activity(activity=activity, reviewer=reviewer.user, decision=decision,
                                                   note=note or ("不实" if decision == "reject" else ""))

    return decide
