"""What a GeoReport v2 client sends, read and checked: the query of GET requests and the form of POST
requests. Every refusal is an Open311Error naming the field and quoting what was sent.

An empty parameter counts as absent (the spec's "Optional Arguments"); a parameter the spec lets a
client declare several times ("comma delimited") may also come repeated."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from riverwatch.dates import FIRST_DAY, LAST_DAY, day_start
from riverwatch.params import BIGINT_MAX, WHOLE_NUMBER, shown
from riverwatch.parsers import UNSTORABLE

from ..models import Category
from .errors import bad_request, not_found

# GeoReport v2: "may not span more than 90 days"; by default the most recent 90 days, at most 1000 requests.
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
# The spec limits a description to 4,000 characters.
MAX_DESCRIPTION = 4000
STATUSES = ("open", "closed")

# The W3C profile of ISO 8601 with a time and a zone, as the spec requires: 2010-01-01T00:00:00Z,
# 2026-11-18T10:30+08:00, 2026-11-18T10:30:00.5+08:00.
W3C_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
# A decimal number as people write one, not Python's wider float() syntax ("1_0", "inf", "nan").
DECIMAL = re.compile(r"[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})([eE][+-]?[0-9]{1,3})?")


def _values(data, name) -> list[str]:
    """Every value of a parameter, comma lists split, blanks dropped."""
    values = []
    for raw in data.getlist(name):
        values.extend(part.strip() for part in raw.split(","))
    return [value for value in values if value]


def _one(data, name) -> str:
    """The parameter's value, stripped ('' when absent or empty); sent twice, the last one, as Django reads forms."""
    return (data.get(name) or "").strip()


def _refuse_unstorable(name, value):
    if UNSTORABLE.search(value):
        raise bad_request(_("参数 %(name)s 里有无法处理的字符（空字符或孤立的 UTF-16 代理项）。") % {"name": name})


def request_id(text: str) -> int | None:
    """A service_request_id as our problems' ids are: a positive whole number within bigint."""
    if not WHOLE_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= BIGINT_MAX else None


def service_code(text: str) -> str:
    """A known category, or 404: the spec's "service_code … was not found"."""
    if text not in Category.values:
        raise not_found(_("没有这个 service_code：“%(value)s”。可用的见 services.xml 或 services.json。")
                        % {"value": shown(text)})
    return text


def w3c_datetime(name: str, text: str) -> datetime:
    problem = None
    moment = None
    if not W3C_DATETIME.fullmatch(text):
        problem = _("格式应为带时区的 W3C 日期时间，例如 2026-05-01T08:00:00+08:00 或 2026-05-01T00:00:00Z")
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            problem = _("不是存在的日期或时间")
    # Compared as moments: converting 9999-12-31T23:59:59Z to district time would overflow.
    if moment is not None and not day_start(FIRST_DAY) <= moment < day_start(LAST_DAY + timedelta(days=1)):
        problem = _("应在 %(first)s 到 %(last)s 之间") % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
    if problem:
        raise bad_request(_("%(name)s %(problem)s；收到“%(value)s”。") % {"name": name, "problem": problem,
                                                                        "value": shown(text)})
    return moment


@dataclass(frozen=True)
class RequestsQuery:
    """GET requests: either ids (which override every other argument) or a window and filters."""

    ids: tuple[int, ...] | None = None
    codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    limit: int = MAX_RESULTS


def requests_query(data, now: datetime) -> RequestsQuery:
    for name in ("service_request_id", "service_code", "start_date", "end_date", "status"):
        for value in data.getlist(name):
            _refuse_unstorable(name, value)
    raw_ids = _values(data, "service_request_id")
    if raw_ids:
        if len(raw_ids) > MAX_RESULTS:
            raise bad_request(_("service_request_id 一次最多 %(max)s 个。") % {"max": MAX_RESULTS})
        ids = []
        for text in raw_ids:
            number = request_id(text)
            if number is None:
                raise bad_request(_("service_request_id 应为正整数，多个用逗号分隔；收到“%(value)s”。")
                                  % {"value": shown(text)})
            ids.append(number)
        return RequestsQuery(ids=tuple(dict.fromkeys(ids)))

    codes = tuple(dict.fromkeys(service_code(code) for code in _values(data, "service_code")))
    statuses = tuple(dict.fromkeys(_values(data, "status")))
    for status in statuses:
        if status not in STATUSES:
            raise bad_request(_("status 只能是 open 或 closed（多个用逗号分隔）；收到“%(value)s”。")
                              % {"value": shown(status)})
    start_text, end_text = _one(data, "start_date"), _one(data, "end_date")
    start = w3c_datetime("start_date", start_text) if start_text else None
    end = w3c_datetime("end_date", end_text) if end_text else None
    if start is None and end is None:
        start, end = now - MAX_SPAN, now
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise bad_request(_("end_date 不能早于 start_date。"))
    if end - start > MAX_SPAN:
        raise bad_request(_("start_date 到 end_date 最多 90 天。"))
    return RequestsQuery(codes=codes, start=start, end=end, statuses=statuses)


@dataclass(frozen=True)
class NewRequest:
    """POST requests: what we keep. Name, e-mail, phone, device and account are not stored (we do
    not need them, and an Open311 client is a system, not the person); media_url is not fetched."""

    service_code: str
    lon: float
    lat: float
    description: str


def _coordinate(name: str, text: str, low: float, high: float) -> float:
    number = float(text) if DECIMAL.fullmatch(text) else math.nan
    if not (math.isfinite(number) and low <= number <= high):
        raise bad_request(_("%(name)s 应为 %(low)s 到 %(high)s 之间的十进制度数（WGS84）；收到“%(value)s”。")
                          % {"name": name, "low": low, "high": high, "value": shown(text)})
    return number


def new_request(data) -> NewRequest:
    """The form of POST requests, api_key aside (views check it first)."""
    for name in ("service_code", "lat", "long", "description", "address_string", "address_id"):
        for value in data.getlist(name):
            _refuse_unstorable(name, value)
    code = _one(data, "service_code")
    if not code:
        raise bad_request(_("缺少 service_code：问题类别见 services.xml 或 services.json。"))
    code = service_code(code)
    lat_text, long_text = _one(data, "lat"), _one(data, "long")
    if not lat_text and not long_text:
        if _one(data, "address_string") or _one(data, "address_id"):
            raise bad_request(_("本系统需要问题的位置坐标：请同时提供 lat 和 long（WGS84），仅有 address_string 或 address_id 无法受理。"))
        raise bad_request(_("缺少位置：请同时提供 lat 和 long（WGS84）。"))
    if not lat_text or not long_text:
        raise bad_request(_("lat 和 long 须同时提供。"))
    lat = _coordinate("lat", lat_text, -90, 90)
    lon = _coordinate("long", long_text, -180, 180)
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise bad_request(_("description 最多 %(max)s 个字符；收到 %(length)s 个。")
                          % {"max": MAX_DESCRIPTION, "length": len(description)})
    return NewRequest(service_code=code, lon=lon, lat=lat, description=description)
