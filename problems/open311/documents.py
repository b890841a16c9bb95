"""What each GeoReport v2 answer holds, as plain values for problems.open311.formats: the discovery
file, the service list (our problem categories), a service definition, service requests (our
problems) and the answer to a new one. Field names and order as in the spec."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Category, Ending, NotFixedReason, Source, State
from ..selectors import is_overdue
from .params import MAX_DESCRIPTION
from .selectors import FOUND_ON_ROUNDS

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Sortable; move it on when the service list or the definitions change (clients refresh their caches).
CHANGESET = "2026-12-06T00:00:00+08:00"
# lon/lat to 6 decimals: about 0.1 m, finer than any phone's fix.
COORDINATE_DECIMALS = 6
# A problem found on our people's rounds (selectors.FOUND_ON_ROUNDS): its place to about 100 m.
ROUNDS_COORDINATE_DECIMALS = 3
# Only the public (the signboard page keeps just the phone number private) and Open311 clients wrote
# their description for a public channel; the others wrote for the office (a caller's name, a patrol's
# note) and it stays inside.
PUBLISHED_DESCRIPTIONS = (Source.PUBLIC, Source.OPEN311)

# The river chiefs' own grouping: water pollution, the "four disorders" (四乱: 乱占、乱采、乱堆、乱建)
# and facilities. A category added later lands in "other" until it is placed here.
WATER = "water"
FOUR_DISORDERS = "four_disorders"
FACILITIES = "facilities"
OTHER = "other"
GROUP_OF = {
    Category.GARBAGE: WATER, Category.SEWAGE: WATER, Category.WATER_QUALITY: WATER,
    Category.DUMPING: FOUR_DISORDERS, Category.ENCROACHMENT: FOUR_DISORDERS, Category.SAND_MINING: FOUR_DISORDERS,
    Category.FACILITY: FACILITIES,
}


def group_names():
    return {WATER: _("水污染"), FOUR_DISORDERS: _("河湖“四乱”"), FACILITIES: _("设施"), OTHER: _("其他")}


def w3c(moment: datetime | None) -> str | None:
    """A moment in district time with its offset, to the second: 2026-11-18T10:30:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment is not None else None


def discovery(base_url: str, key_page_url: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": _("张湾区河长办（RiverWatch 河湖巡护）。"),
        "key_service": _("api_key 即 RiverWatch 的访问令牌：登录后在“访问令牌”页面签发：%(url)s") % {"url": key_page_url},
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url,
            "changeset": CHANGESET,
            "type": "test" if settings.DEBUG else "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


def endpoint_urls(request) -> tuple[str, str]:
    """(the endpoint's base URL without a trailing slash, the page where keys are issued)."""
    services = reverse("open311-services", kwargs={"fmt": "xml"})
    base = request.build_absolute_uri(services.rsplit("/", 1)[0])
    return base, request.build_absolute_uri(reverse("account-tokens"))


def _keywords(category: Category) -> str:
    # The label's parts ("水质异常（发黑发臭、死鱼）" → 水质异常, 发黑发臭, 死鱼) and the code.
    parts = [part for part in re.split(r"[（）()、，,\s]+", str(category.label)) if part]
    return ", ".join([*parts, category.value])


def services() -> list[dict]:
    groups = group_names()
    return [
        {
            "service_code": category.value,
            "service_name": str(category.label),
            "description": str(category.label),
            "metadata": False,
            "type": "realtime",
            "keywords": _keywords(category),
            "group": str(groups[GROUP_OF.get(category, OTHER)]),
        }
        for category in Category
    ]


def service_definition(code: str) -> dict:
    # We ask for nothing beyond the spec's own fields: no attributes (metadata is false).
    return {"service_code": code, "attributes": []}


def status_notes(row, today) -> str:
    """Our state in words: 已交办, 已交办（已逾期）, 已关闭：已解决, 已关闭：关闭未解决（不属于职责范围）."""
    label = str(State(row.state).label)
    if row.state == State.CLOSED and row.ending:
        label = _("%(state)s：%(ending)s") % {"state": label, "ending": Ending(row.ending).label}
        if row.ending == Ending.NOT_FIXED and row.not_fixed_reason:
            label = _("%(state)s（%(reason)s）") % {"state": label,
                                                  "reason": NotFixedReason(row.not_fixed_reason).label}
    elif is_overdue(row, today):
        label = _("%(state)s（已逾期）") % {"state": label}
    return label


def _expected(deadline) -> str | None:
    # The deadline day is still in time: its last second, in district time.
    if deadline is None:
        return None
    return w3c(timezone.make_aware(datetime.combine(deadline, time(23, 59, 59))))


def service_request(row, today) -> dict:
    closed = row.state == State.CLOSED
    # Closed: the spec's updated_datetime is when it was closed; open: the last move it made.
    updated = (row.closed_at or row.last_event_at) if closed else row.last_event_at
    point = row.lonlat
    on_rounds = row.source in FOUND_ON_ROUNDS
    decimals = ROUNDS_COORDINATE_DECIMALS if on_rounds else COORDINATE_DECIMALS
    description = row.note[:MAX_DESCRIPTION] if row.note and row.source in PUBLISHED_DESCRIPTIONS else None
    return {
        "service_request_id": str(row.id),
        "status": "closed" if closed else "open",
        "status_notes": status_notes(row, today),
        "service_name": str(Category(row.category).label),
        "service_code": row.category,
        "description": description,
        "agency_responsible": row.unit__name,
        "requested_datetime": w3c(row.requested_at),
        "updated_datetime": w3c(updated or row.requested_at),
        "expected_datetime": _expected(row.deadline),
        "address": row.waterway__name,
        "lat": round(point.y, decimals) if point is not None else None,
        "long": round(point.x, decimals) if point is not None else None,
    }


def created(problem) -> list[dict]:
    """POST requests: the id at once (our services are realtime), so no token; no account_id."""
    return [{
        "service_request_id": str(problem.pk),
        "service_notice": _("已收到。河长办受理后交办责任单位，办理进度可按 service_request_id 查询。"),
    }]
