"""The query parameters of the OGC API – Features endpoints (docs/ogc.md), read with riverwatch.params
as every other endpoint reads its own: `limit`, `offset`, `bbox`, `datetime` and `f`. Parameters the
standard does not name are ignored, as it allows; a known one with a value that cannot be read is a
400 naming it and quoting what was sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib.gis.geos import LinearRing, Polygon
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from riverwatch.dates import FIRST_DAY, LAST_DAY, day_bounds, day_start, local_day
from riverwatch.params import ChoiceField, QueryParams, WholeNumberField, shown
from waterways.service_area import projection_area

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
# PostgreSQL's integer: far beyond any collection, and offset + limit stays a small number.
MAX_OFFSET = 2**31 - 1
# The representations served: JSON only (GeoJSON for features).
FORMATS = ("json", "geojson", "application/json", "application/geo+json")

# A decimal number as people and programs write it: no "inf", "nan", "1_000" or hex, which float() takes.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
MAX_BBOX_TEXT = 200
# RFC 3339: a full date, or a date-time with its offset (Z or ±hh:mm); fractions beyond microseconds
# are cut, as PostgreSQL keeps microseconds.
FULL_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
DATE_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
                       r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))")
MAX_DATETIME_TEXT = 100
# "+08:00" written into an address without encoding arrives as " 08:00" (a plus is a space in a query).
PLUS_READ_AS_SPACE = re.compile(r"(?<=[0-9]) ([0-9]{2}:[0-9]{2})$")
ONE_MICROSECOND = timedelta(microseconds=1)

# Around a bbox, before the box is turned into the storage projection for the spatial index: its
# straight lon/lat edges are curves there. Features are then tested against the exact box in lon/lat.
SEARCH_MARGIN_DEG = 0.01
BOX_SEGMENTS = 16
# A box of no width (a point or a line asked for) is widened by this much, to stay a valid polygon.
DEGENERATE_WIDTH_DEG = 1e-9


@dataclass(frozen=True)
class Bbox:
    """A box in lon/lat (CRS84): west, south, east, north."""

    west: float
    south: float
    east: float
    north: float

    def polygon(self) -> Polygon:
        """The box itself, in lon/lat (settings.API_SRID)."""
        east = max(self.east, self.west + DEGENERATE_WIDTH_DEG)
        north = max(self.north, self.south + DEGENERATE_WIDTH_DEG)
        polygon = Polygon.from_bbox((self.west, self.south, east, north))
        polygon.srid = settings.API_SRID
        return polygon

    def search_area(self) -> Polygon | None:
        """The box with a margin, cut to where the storage projection is defined (outside it a point
        projects to infinity), densified so that it stays a box once the database transforms it to the
        storage projection; None when nothing stored can lie in it."""
        west, south, east, north = projection_area()
        west = max(west, self.west - SEARCH_MARGIN_DEG)
        south = max(south, self.south - SEARCH_MARGIN_DEG)
        east = min(east, self.east + SEARCH_MARGIN_DEG)
        north = min(north, self.north + SEARCH_MARGIN_DEG)
        if west >= east or south >= north:
            return None
        corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
        ring = []
        for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
            ring.extend((x0 + (x1 - x0) * i / BOX_SEGMENTS, y0 + (y1 - y0) * i / BOX_SEGMENTS)
                        for i in range(BOX_SEGMENTS))
        ring.append(ring[0])
        return Polygon(LinearRing(ring), srid=settings.API_SRID)


@dataclass(frozen=True)
class Interval:
    """Moments [start, end), either end open (None)."""

    start: datetime | None
    end: datetime | None

    @property
    def first_day(self) -> date | None:
        return local_day(self.start) if self.start is not None else None

    @property
    def last_day(self) -> date | None:
        return local_day(self.end - ONE_MICROSECOND) if self.end is not None else None


class BboxField(serializers.Field):
    """`bbox=west,south,east,north` in lon/lat (CRS84); six numbers (with heights) are read as the
    standard allows, the heights ignored."""

    def to_internal_value(self, value):
        text = value.strip() if isinstance(value, str) else ""
        if len(text) > MAX_BBOX_TEXT:
            self._refuse(_("%(label)s太长；收到“%(value)s…”。"), value)
        parts = [part.strip() for part in text.split(",")]
        if len(parts) not in (4, 6) or not all(NUMBER.fullmatch(part) for part in parts):
            self._refuse(_("%(label)s应为 4 个用逗号分隔的数：最小经度,最小纬度,最大经度,最大纬度"
                           "（WGS 84 经纬度，例如 110.6,32.5,110.9,32.8）；收到“%(value)s”。"), value)
        numbers = [float(part) for part in parts]
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        west, south, east, north = numbers
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
            self._refuse(_("%(label)s超出范围：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间；收到“%(value)s”。"), value)
        if west > east or south > north:
            self._refuse(_("%(label)s的最小值不能大于最大值（先写最小经度、最小纬度，再写最大经度、最大纬度）；"
                           "收到“%(value)s”。"), value)
        return Bbox(west, south, east, north)

    def _refuse(self, message, value):
        raise ValidationError(message % {"label": self.label, "value": shown(value)})


class IntervalField(serializers.Field):
    """`datetime` as RFC 3339 says, in the forms of OGC API – Features: an instant, or an interval
    `a/b` whose ends may be open (`..` or empty). A full date (2026-05-01) stands for the whole
    Beijing day; a date-time needs its offset (Z or +08:00). Between FIRST_DAY and LAST_DAY."""

    def to_internal_value(self, value):
        text = value.strip() if isinstance(value, str) else ""
        if len(text) > MAX_DATETIME_TEXT:
            self._refuse(_("%(label)s太长；收到“%(value)s…”。"), value)
        parts = text.split("/")
        if len(parts) == 1:
            start, end = self._moment(parts[0], value)
            return Interval(start, end)
        if len(parts) != 2:
            self._refuse(_("%(label)s应为一个时刻或“开始/结束”区间；收到“%(value)s”。"), value)
        start = None if parts[0] in ("", "..") else self._moment(parts[0], value)[0]
        end = None if parts[1] in ("", "..") else self._moment(parts[1], value)[1]
        if start is not None and end is not None and start >= end:
            self._refuse(_("%(label)s的开始不能晚于结束；收到“%(value)s”。"), value)
        return Interval(start, end)

    def _moment(self, text, value) -> tuple[datetime, datetime]:
        """[first moment, first moment after) of a date or a date-time."""
        text = PLUS_READ_AS_SPACE.sub(r"+\1", text)
        if FULL_DATE.fullmatch(text):
            day = self._day(text, value)
            return day_bounds(day, day)
        matched = DATE_TIME.fullmatch(text)
        if matched is None:
            self._refuse(_("%(label)s的格式应为 RFC 3339，例如 2026-05-01、2026-05-01T08:00:00+08:00、"
                           "2026-05-01T00:00:00Z/2026-05-31T23:59:59Z 或 2026-05-01/..；收到“%(value)s”。"), value)
        day_text, hours, minutes, seconds, fraction, zulu, sign, offset_hours, offset_minutes = matched.groups()
        day = self._day(day_text, value)
        hours, minutes, seconds = int(hours), int(minutes), int(seconds)
        offset_hours, offset_minutes = (0, 0) if zulu else (int(offset_hours), int(offset_minutes))
        # No leap second (PostgreSQL and Python have none) and no offset of a day or more.
        if hours > 23 or minutes > 59 or seconds > 59 or offset_hours > 23 or offset_minutes > 59:
            self._refuse(_("%(label)s不是真实存在的时刻；收到“%(value)s”。"), value)
        offset = timedelta(hours=offset_hours, minutes=offset_minutes)
        zone = dt_timezone(-offset if sign == "-" else offset)
        microseconds = int((fraction or "0").ljust(6, "0")[:6])
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which RFC 3339 allows.
        moment = datetime.combine(day, time(hours, minutes, seconds, microseconds), tzinfo=zone).astimezone(dt_timezone.utc)
        if not day_start(FIRST_DAY) <= moment < day_start(LAST_DAY + timedelta(days=1)):
            self._refuse_range(value)
        return moment, moment + ONE_MICROSECOND

    def _day(self, text, value) -> date:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self._refuse(_("%(label)s不是真实存在的日期；收到“%(value)s”。"), value)
        if not FIRST_DAY <= day <= LAST_DAY:
            self._refuse_range(value)
        return day

    def _refuse_range(self, value):
        raise ValidationError(_("%(label)s应在 %(first)s 到 %(last)s 之间（北京时间）；收到“%(value)s”。") % {
            "label": self.label, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat(), "value": shown(value)})

    def _refuse(self, message, value):
        raise ValidationError(message % {"label": self.label, "value": shown(value)})


class FormatParams(QueryParams):
    """What every endpoint reads: the representation asked for."""

    f = ChoiceField(choices=FORMATS, required=False, label=gettext_lazy("格式（f）"),
                    help_text=gettext_lazy("只提供 JSON：json（要素为 GeoJSON）"))


class FeatureParams(FormatParams):
    """One feature: `datetime` sets the period of a reach's visit (the reaches collection)."""

    datetime = IntervalField(required=False, label=gettext_lazy("时间（datetime）"))


class ItemsParams(FeatureParams):
    limit = WholeNumberField(required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT,
                             label=gettext_lazy("每页要素数（limit）"))
    offset = WholeNumberField(required=False, min_value=0, max_value=MAX_OFFSET, default=0,
                              label=gettext_lazy("跳过的要素数（offset）"))
    bbox = BboxField(required=False, label=gettext_lazy("范围（bbox）"))
