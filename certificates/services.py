"""Writes: issuing a certificate (staff), asking for one (the volunteer, for themself), declining a
request, and the office's settings with its seal. Every refusal is a ValidationError or a
PermissionDenied with one Chinese sentence."""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageFile

from people import selectors as people_selectors
from riverwatch.dates import FIRST_DAY, LAST_DAY
from riverwatch.parsers import UNSTORABLE

from . import selectors
from .models import SETTINGS_ID, Certificate, CertificateRequest, IssuerSettings

CERTIFICATE_LANGUAGE = "zh-hans"
# A period a certificate may cover: ten years is more than any one volunteer needs at once, and keeps
# the PDF's record list to a size one can print.
MAX_PERIOD_DAYS = 3653
NOTE_MAX_CHARS = 500
CONTENT_MAX_CHARS = 300
REASON_MAX_CHARS = 500
# Certificates of one year are numbered one at a time: the lock is taken with the year as its second key.
NUMBER_LOCK_KEY = 0x63657274  # "cert"
TOKEN_BYTES = 24  # 32 characters in the address, 192 bits: nobody finds a certificate by guessing
SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MAX_EDGE_PX = 1200
SEAL_FOLDER = "certificates/seals"


def format_number(prefix: str, year: int, serial: int) -> str:
    """张湾志证〔2026〕第0001号: the style of Chinese official document numbers (GB/T 9704)."""
    return f"{prefix}〔{year}〕第{serial:04d}号"


def period_problems(first: date | None, last: date | None, today: date) -> list[str]:
    """Why a period cannot be certified (or asked for), in Chinese; empty when it can."""
    if first is None or last is None:
        return [_("请填写服务时段的开始和结束日期。")]
    problems = []
    if not (FIRST_DAY <= first <= LAST_DAY and FIRST_DAY <= last <= LAST_DAY):
        problems.append(_("日期应在 %(first)s 到 %(last)s 之间。") % {"first": FIRST_DAY, "last": LAST_DAY})
    if last < first:
        problems.append(_("结束日期不能早于开始日期。"))
    if last > today:
        problems.append(_("结束日期不能晚于今天（%(today)s）：只能证明已经完成的服务。") % {"today": today.isoformat()})
    if last - first > timedelta(days=MAX_PERIOD_DAYS):
        problems.append(_("服务时段最长 10 年，请分段出具。"))
    return problems


def _check_text(text: str, limit: int, what: str) -> str:
    text = (text or "").strip()
    if UNSTORABLE.search(text):
        raise ValidationError(_("%(what)s里有无法保存的字符（空字符或乱码），请删除后重新填写。") % {"what": what})
    if len(text) > limit:
        raise ValidationError(_("%(what)s最多 %(limit)s 个字。") % {"what": what, "limit": limit})
    return text


def _issuer_problems(issuer: IssuerSettings) -> list[str]:
    missing = [label for label, value in [(_("负责人"), issuer.responsible_person), (_("联系电话"), issuer.contact_phone)]
               if not value.strip()]
    if missing:
        return [_("证明须写明%(fields)s。请先在 管理后台 › 志愿服务证明设置 中填写。") % {"fields": _("和").join(missing)}]
    return []


def _next_serial(year: int) -> int:
    """The year's next number, with the year's lock held until the certificate is committed: two staff
    issuing at the same moment get consecutive numbers, never the same one and no gap."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [NUMBER_LOCK_KEY, year])
    last = Certificate.objects.filter(year=year).aggregate(last=Max("serial"))["last"]
    return (last or 0) + 1


@transaction.atomic
def issue_certificate(*, person, first: date, last: date, by, content: str = "", request=None) -> Certificate:
    """Issues a certificate for the person's verified service on Beijing days first … last. Only office
    staff issue (谁记录谁证明: the office keeps the records). Everything printed is copied onto the row.
    With `request` (an open CertificateRequest of the same person) the request is marked issued."""
    if not people_selectors.is_office_staff(by):
        raise PermissionDenied(_("只有河长办工作人员可以出具志愿服务证明。"))
    if not selectors.people_to_certify().filter(pk=person.pk).exists():
        raise ValidationError(_("%(name)s 已不在册（已离开或已注销），不能出具证明。") % {"name": person.name})
    today = timezone.localdate()
    problems = period_problems(first, last, today)
    if problems:
        raise ValidationError(problems)
    content = _check_text(content, CONTENT_MAX_CHARS, _("服务内容"))
    issuer = selectors.issuer_settings()
    problems = _issuer_problems(issuer)
    if problems:
        raise ValidationError(problems)
    if request is not None:
        request = CertificateRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != CertificateRequest.Status.OPEN:
            raise ValidationError(_("这份申请已经处理过了（%(status)s）。") % {"status": request.get_status_display()})
        if request.person_id != person.pk:
            raise ValidationError(_("这份申请是另一位志愿者的。"))

    serial = _next_serial(today.year)
    with translation.override(CERTIFICATE_LANGUAGE):  # what is stored is printed: in Chinese
        found = selectors.preview(person, first, last)
    if not found.counted or found.hours <= 0:
        raise ValidationError(_("%(name)s 在 %(first)s 至 %(last)s 没有已审核的服务时长，不能出具证明。"
                                "待审核的记录审核通过后才能计入。") % {
            "name": person.name, "first": first.isoformat(), "last": last.isoformat()})

    now = timezone.now()
    certificate = Certificate(
        number=format_number(issuer.number_prefix, today.year, serial), year=today.year, serial=serial,
        token=secrets.token_urlsafe(TOKEN_BYTES), person=person, period_start=first, period_end=last,
        hours=found.hours, activity_count=found.activity_count, content=content or found.default_content,
        name=person.name, id_type=person.id_type, id_tail=person.id_tail, volunteer_number=person.volunteer_number,
        organisation_name=issuer.organisation_name, responsible_person=issuer.responsible_person,
        handler=issuer.handler or by.display_name, contact_phone=issuer.contact_phone, seal=issuer.seal,
        counted_records=found.counted, set_apart_records=found.set_apart,
        issued_on=today, issued_at=now, issued_by=by,
    )
    certificate.full_clean()
    certificate.save()
    if request is not None:
        request.status = CertificateRequest.Status.ISSUED
        request.certificate = certificate
        request.decided_by, request.decided_at = by, now
        request.full_clean()
        request.save()
    return certificate


@transaction.atomic
def request_certificate(*, person, first: date, last: date, note: str = "", by) -> CertificateRequest:
    """A volunteer asks for a certificate: only for themself, one open request at a time."""
    if person is None or by is None or person.user_id is None or person.user_id != by.pk:
        raise PermissionDenied(_("只能为自己申请志愿服务证明。"))
    problems = period_problems(first, last, timezone.localdate())
    if problems:
        raise ValidationError(problems)
    note = _check_text(note, NOTE_MAX_CHARS, _("说明"))
    # Locks the person's row: two requests sent at once wait for each other, the second finds the first.
    type(person).objects.select_for_update().get(pk=person.pk)
    if selectors.open_request_of(person) is not None:
        raise ValidationError(_("您已有一份待处理的申请，河长办处理后才能再次申请。"))
    request = CertificateRequest(person=person, period_start=first, period_end=last, note=note)
    request.full_clean()
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:  # the one-open-request constraint: a request sent at the same moment
        raise ValidationError(_("您已有一份待处理的申请，河长办处理后才能再次申请。")) from None
    return request


@transaction.atomic
def decline_request(*, request, by, reason: str) -> CertificateRequest:
    if not people_selectors.is_office_staff(by):
        raise PermissionDenied(_("只有河长办工作人员可以处理志愿服务证明申请。"))
    reason = _check_text(reason, REASON_MAX_CHARS, _("原因"))
    if not reason:
        raise ValidationError(_("请写明不予出具的原因，申请人会看到。"))
    request = CertificateRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != CertificateRequest.Status.OPEN:
        raise ValidationError(_("这份申请已经处理过了（%(status)s）。") % {"status": request.get_status_display()})
    request.status = CertificateRequest.Status.DECLINED
    request.decline_reason = reason
    request.decided_by, request.decided_at = by, timezone.now()
    request.full_clean()
    request.save()
    return request


def close_requests_of_leaver(*, person):
    """A person anonymised (people.services.anonymise_person): their open requests are closed and the
    notes they typed removed. Certificates already issued stay as issued (see docs/certificates.md)."""
    requests = CertificateRequest.objects.filter(person=person)
    closed = requests.filter(status=CertificateRequest.Status.OPEN).update(
        status=CertificateRequest.Status.DECLINED, decline_reason="人员已注销", decided_at=timezone.now())
    requests.exclude(note="").update(note="")
    return f"志愿服务证明申请撤销 {closed} 份" if closed else None


# --- settings and the seal --------------------------------------------------------------------------

def seal_png(data: bytes) -> bytes:
    """A seal image as a clean PNG: only a real PNG, not too large, its pixels alone (no text chunks,
    EXIF, XMP or colour profile), transparency kept."""
    if len(data) > SEAL_MAX_BYTES:
        raise ValidationError(_("印章图片太大（%(size).1f MB），上限 2 MB。") % {"size": len(data) / 1e6})
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # WeasyPrint turns it on process-wide (riverwatch/photos.py)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format != "PNG":
                raise ValidationError(_("印章图片须为 PNG 格式（建议透明背景）。"))
            if max(image.size) > 4 * SEAL_MAX_EDGE_PX:
                raise ValidationError(_("印章图片像素太多（%(w)s×%(h)s）。") % {"w": image.size[0], "h": image.size[1]})
            image.load()
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001  Pillow fails on a hostile file in many ways: each is "not a picture"
        raise ValidationError(_("文件不是可识别的 PNG 图片。")) from None
    pixels = image.convert("RGBA")
    pixels.thumbnail((SEAL_MAX_EDGE_PX, SEAL_MAX_EDGE_PX))
    bare = Image.new("RGBA", pixels.size)  # a new image: nothing of the source's metadata comes along
    bare.paste(pixels)
    buffer = io.BytesIO()
    bare.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@transaction.atomic
def save_settings(*, issuer: IssuerSettings, seal: bytes | None = None, remove_seal: bool = False) -> IssuerSettings:
    """Saves the office's settings (the one row); a new seal image is cleaned and stored under its
    content's hash. Old seal files stay: certificates issued with them still print them."""
    issuer.pk = SETTINGS_ID
    for name in ("organisation_name", "number_prefix", "responsible_person", "handler", "contact_phone"):
        setattr(issuer, name, _check_text(getattr(issuer, name), issuer._meta.get_field(name).max_length,
                                          str(issuer._meta.get_field(name).verbose_name)))
    if not issuer.organisation_name:
        raise ValidationError({"organisation_name": _("请填写出具单位。")})
    if not issuer.number_prefix:
        raise ValidationError({"number_prefix": _("请填写证明编号代字。")})
    if remove_seal:
        issuer.seal = ""
    if seal is not None:
        clean = seal_png(seal)
        name = f"{SEAL_FOLDER}/{hashlib.sha256(clean).hexdigest()[:24]}.png"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(clean))
        issuer.seal = name
    issuer.full_clean()
    issuer.save()
    return issuer
