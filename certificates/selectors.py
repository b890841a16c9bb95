"""Reads: the service records behind a certificate's hours (verified ones counted, pending and rejected
ones listed apart), star levels, the issuer's settings, certificates and requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patrols.models import Activity, ServiceRecord
from people.models import Person
from people.services import anonymised_q
from riverwatch.dates import day_bounds, local_day

from .models import SETTINGS_ID, Certificate, CertificateRequest, IssuerSettings

ZERO_HOURS = Decimal("0.0")
STAR_NAMES = ("", gettext_lazy("一星"), gettext_lazy("二星"), gettext_lazy("三星"), gettext_lazy("四星"), gettext_lazy("五星"))


def people_to_certify():
    """Whom a certificate may be issued to: people on the register, never a leaver (inactive, or
    anonymised even if set active again: the name would be "已注销人员 #…")."""
    return Person.objects.filter(is_active=True).exclude(anonymised_q())


def find_people_to_certify(query: str, *, limit: int):
    """The issue form's search: by part of the name or of the phone number, at most `limit`."""
    query = (query or "").strip()
    if not query:
        return Person.objects.none()
    return (people_to_certify().filter(Q(name__icontains=query) | Q(phone__contains=query))
            .select_related("village").order_by("name", "pk")[:limit])


def issuer_settings() -> IssuerSettings:
    """The office's settings; until staff first save them, the defaults (not stored: reading writes nothing)."""
    return IssuerSettings.objects.filter(pk=SETTINGS_ID).first() or IssuerSettings(pk=SETTINGS_ID)


# --- the records behind the hours ---------------------------------------------------------------

def _records_in(person, first: date, last: date):
    """The person's service records whose activity started on Beijing days first … last (half-open
    moments: riverwatch.dates.day_bounds)."""
    start, end = day_bounds(first, last)
    return (
        ServiceRecord.objects.filter(person=person, activity__started_at__gte=start, activity__started_at__lt=end)
        .select_related("activity", "activity__waterway")
        .order_by("activity__started_at", "activity_id")
    )


def verified_records(person, first: date, last: date):
    """What a certificate counts: records of verified activities only (谁记录谁证明: reviewed, true)."""
    return _records_in(person, first, last).filter(activity__status=Activity.Status.VERIFIED)


def set_apart_records(person, first: date, last: date):
    """Records in the period not counted: waiting for review, or rejected."""
    return _records_in(person, first, last).exclude(activity__status=Activity.Status.VERIFIED)


def verified_hours(person) -> Decimal:
    """Every verified hour the person has served, whenever: what the star level counts."""
    total = ServiceRecord.objects.filter(person=person, activity__status=Activity.Status.VERIFIED).aggregate(
        total=Sum("hours"))["total"]
    return total if total is not None else ZERO_HOURS


def record_row(record) -> dict:
    """A record as a certificate lists it (and stores it: Certificate.counted_records)."""
    activity = record.activity
    return {
        "day": local_day(activity.started_at).isoformat(),
        "kind": str(activity.get_kind_display()),
        "waterway": activity.waterway.name if activity.waterway_id else "",
        "hours": str(record.hours),
        "status": str(activity.get_status_display()),
    }


@dataclass
class Preview:
    """What a certificate over a period would hold."""

    counted: list[dict]
    set_apart: list[dict]
    hours: Decimal
    activity_count: int
    default_content: str


def default_content(counted: list[dict]) -> str:
    """“河湖巡护志愿服务：巡河 8 次、清漂保洁 2 次”, in the order of the kinds' first appearance."""
    counts: dict[str, int] = {}
    for row in counted:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    parts = [_("%(kind)s %(count)s 次") % {"kind": kind, "count": count} for kind, count in counts.items()]
    return _("河湖巡护志愿服务：%(parts)s") % {"parts": _("、").join(parts)} if parts else ""


def preview(person, first: date, last: date) -> Preview:
    counted_records = list(verified_records(person, first, last))
    counted = [record_row(record) for record in counted_records]
    return Preview(
        counted=counted,
        set_apart=[record_row(record) for record in set_apart_records(person, first, last)],
        hours=sum((record.hours for record in counted_records), ZERO_HOURS),
        activity_count=len({record.activity_id for record in counted_records}),
        default_content=default_content(counted),
    )


# --- star levels (星级志愿者) ----------------------------------------------------------------------

@dataclass
class StarLevel:
    stars: int  # 0 … 5
    hours: Decimal  # cumulative verified hours
    thresholds: tuple[int, ...]

    @property
    def name(self) -> str:
        return _("%(stars)s志愿者") % {"stars": STAR_NAMES[self.stars]} if self.stars else ""

    @property
    def next_stars(self) -> int | None:
        return self.stars + 1 if self.stars < len(self.thresholds) else None

    @property
    def next_name(self) -> str:
        return STAR_NAMES[self.next_stars] if self.next_stars else ""

    @property
    def next_threshold(self) -> int | None:
        return self.thresholds[self.next_stars - 1] if self.next_stars else None

    @property
    def hours_to_next(self) -> Decimal | None:
        return None if self.next_stars is None else Decimal(self.next_threshold) - self.hours

    @property
    def star_marks(self) -> str:
        return "★" * self.stars + "☆" * (len(self.thresholds) - self.stars)


def star_level(hours: Decimal, thresholds) -> StarLevel:
    """Reached at a threshold exactly: 100 h is one star with the default thresholds."""
    thresholds = tuple(thresholds)
    stars = sum(1 for threshold in thresholds if hours >= threshold)
    return StarLevel(stars=stars, hours=hours, thresholds=thresholds)


def star_level_of(person, settings_row=None) -> StarLevel:
    return star_level(verified_hours(person), (settings_row or issuer_settings()).star_hours)


# --- certificates and requests --------------------------------------------------------------------

def certificates_of(person):
    return Certificate.objects.filter(person=person).order_by("-issued_at", "-id")


def certificate_by_token(token: str):
    """The certificate a verification address names, or None (a malformed token too)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        return None
    return Certificate.objects.filter(token=token).only("number", "name", "hours").first()


def certificate_list(year: int | None = None):
    """The certificates issued (in `year`, by their Beijing issue date, when given), newest first."""
    certificates = Certificate.objects.select_related("person").order_by("-issued_at", "-id")
    if year is not None:
        certificates = certificates.filter(issued_on__gte=date(year, 1, 1), issued_on__lte=date(year, 12, 31))
    return certificates


def open_requests():
    return (CertificateRequest.objects.filter(status=CertificateRequest.Status.OPEN)
            .select_related("person").order_by("-requested_at", "-id"))


def requests_of(person, limit=5):
    """The person's latest requests, newest first (an open one among them if there is one)."""
    return (CertificateRequest.objects.filter(person=person).select_related("certificate")
            .order_by("-requested_at", "-id")[:limit])


def open_request_of(person):
    return CertificateRequest.objects.filter(person=person, status=CertificateRequest.Status.OPEN).first()
