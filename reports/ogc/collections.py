"""The collections served as OGC API – Features (docs/ogc.md), one definition each: its id, title,
description, geometry and temporal property, how its features are read, and its extent.

Each collection reads through the selector that owns its reading rule, never the tables on their own
terms: activities and tracks through patrols.scopes.readable_by and reports.filters.counted_activities
(rejected ones are not shown, as on the map), problems through problems.selectors.readable_by and the
map's on_map_q and located, the reaches' last visits through reports.selectors.coverage.last_visits.
A page is a constant number of queries: a count, the page's rows (values() with the geometry as
GeoJSON, transformed to lon/lat in the database) and, for reaches, their last visits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.aggregates import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON, PointOnSurface, Transform
from django.contrib.gis.geos import LinearRing, Polygon
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patrols import scopes
from patrols.models import Activity
from problems import selectors as problem_selectors
from problems.models import Problem
from riverwatch.dates import FIRST_DAY, LAST_DAY, day_bounds
from waterways.models import Reach, Station, Waterway

from ..filters import ReportFilters, counted_activities
from ..params import default_period
from ..selectors import coverage
from .params import Bbox, Interval

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
COORDINATE_PRECISION = 6  # about 0.1 m, as the map
EXTENT_SEGMENTS = 16  # pieces per side of an extent box before it is turned into lon/lat


@dataclass(frozen=True)
class Field:
    """A property of a collection's features, as its JSON schema (openapi.feature_schema) describes it."""

    name: str
    type: str  # JSON Schema: string, integer, number, boolean
    title: str
    format: str | None = None  # date-time, date
    nullable: bool = False


@dataclass(frozen=True)
class Query:
    """What narrows a collection: a box in lon/lat and a time interval (either may be absent), and the
    day it is asked on (for the reaches' default period and problems' overdue flag)."""

    bbox: Bbox | None = None
    interval: Interval | None = None
    today: date | None = None

    @property
    def day(self) -> date:
        return self.today or timezone.localdate()


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment is not None else None


def _geojson(expression):
    return AsGeoJSON(expression, precision=COORDINATE_PRECISION)


def _lonlat(expression):
    return Transform(expression, settings.API_SRID)


def _in_box(queryset, field: str, bbox: Bbox | None, *, lonlat=None):
    """The rows whose geometry meets the box: first the spatial index on `field` (storage SRID) with
    the box's search area, then the exact test in lon/lat on `lonlat` (default: `field` transformed)."""
    if bbox is None:
        return queryset
    area = bbox.search_area()
    if area is None:
        return queryset.none()
    queryset = queryset.filter(**{f"{field}__bboverlaps": area})
    if lonlat is None:
        queryset = queryset.annotate(lonlat_for_bbox=_lonlat(field))
        lonlat = "lonlat_for_bbox"
    return queryset.filter(**{f"{lonlat}__intersects": bbox.polygon()})


def _bbox_lonlat(box, srid) -> list[float] | None:
    """An extent (xmin, ymin, xmax, ymax) in `srid` as a CRS84 bbox: the box, densified, transformed
    (its straight edges in the storage projection are curves in lon/lat), and its extent taken."""
    if box is None:
        return None
    xmin, ymin, xmax, ymax = box
    if srid == settings.API_SRID:
        return [round(value, COORDINATE_PRECISION) for value in box]
    corners = [(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax), (xmin, ymin)]
    ring = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        ring.extend((x0 + (x1 - x0) * i / EXTENT_SEGMENTS, y0 + (y1 - y0) * i / EXTENT_SEGMENTS)
                    for i in range(EXTENT_SEGMENTS))
    ring.append(ring[0])
    polygon = Polygon(LinearRing(ring), srid=srid)
    polygon.transform(settings.API_SRID)
    west, south, east, north = polygon.extent
    # Outward to the coordinates' precision, so that every feature lies inside.
    step = 10 ** -COORDINATE_PRECISION
    return [round(west - step / 2, COORDINATE_PRECISION), round(south - step / 2, COORDINATE_PRECISION),
            round(east + step / 2, COORDINATE_PRECISION), round(north + step / 2, COORDINATE_PRECISION)]


def _union(*boxes):
    boxes = [box for box in boxes if box is not None]
    if not boxes:
        return None
    return (min(box[0] for box in boxes), min(box[1] for box in boxes),
            max(box[2] for box in boxes), max(box[3] for box in boxes))


def _extent(bbox, first=None, last=None, *, temporal=False) -> dict:
    extent = {}
    if bbox is not None:
        extent["spatial"] = {"bbox": [bbox], "crs": CRS84}
    if temporal:
        extent["temporal"] = {"interval": [[_iso(first), _iso(last)]], "trs": GREGORIAN}
    return extent


class Collection:
    """One collection. Subclasses name the queryset (`features`), the columns of a page (`rows`),
    the properties of a row and the extent."""

    id: str = ""
    title = ""
    description = ""
    geometry_type = ""
    fields: tuple[Field, ...] = ()
    # The property `datetime` selects on (its schema marks it the primary instant); None: no time of
    # its own, `datetime` is ignored unless it sets the period.
    temporal_property: str | None = None
    # Whether `datetime` sets the period the properties describe instead of selecting features (it
    # then applies to a single feature too).
    datetime_sets_period = False

    def features(self, user, query: Query):
        raise NotImplementedError

    def rows(self, queryset):
        raise NotImplementedError

    def properties(self, row: dict, context) -> dict:
        raise NotImplementedError

    def page_context(self, rows: list[dict], query: Query):
        """What the properties of a page's rows need beyond their own columns (one query at most)."""
        return None

    def members(self, query: Query) -> dict:
        """Members the collection's answers carry beside the features."""
        return {}

    def extent(self, user) -> dict:
        raise NotImplementedError

    def feature(self, row: dict, context) -> dict:
        return {"type": "Feature", "id": row["id"], "geometry": json.loads(row["geometry"]),
                "properties": self.properties(row, context)}

    def page(self, user, query: Query, *, limit: int, offset: int) -> tuple[int, list[dict]]:
        """(numberMatched, the features from offset on, at most limit), ordered by id."""
        queryset = self.features(user, query)
        matched = queryset.count()
        rows = list(self.rows(queryset.order_by("id")[offset:offset + limit])) if offset < matched else []
        context = self.page_context(rows, query)
        return matched, [self.feature(row, context) for row in rows]

    def one(self, user, query: Query, pk: int) -> dict | None:
        rows = list(self.rows(self.features(user, query).filter(pk=pk)))
        if not rows:
            return None
        return self.feature(rows[0], self.page_context(rows, query))


class Waterways(Collection):
    id = "waterways"
    title = _("河流与支沟")
    description = _("张湾区的河网：每条河流或支沟的中心线（自源头至河口），编码、名称、类型、汇入河流、长度（米）与位置精度。")
    geometry_type = "LineString"
    fields = (
        Field("code", "string", _("编码")),
        Field("name", "string", _("名称")),
        Field("kind", "string", _("类型：river 河流，gully 支沟")),
        Field("parent_code", "string", _("汇入河流的编码"), nullable=True),
        Field("length_m", "number", _("长度（米）")),
        Field("accuracy", "string", _("位置精度")),
    )

    def features(self, user, query):
        return _in_box(Waterway.objects.all(), "geom", query.bbox)

    def rows(self, queryset):
        return queryset.values("id", "code", "name", "kind", "parent__code", "length_m", "accuracy",
                               geometry=_geojson(_lonlat("geom")))

    def properties(self, row, context):
        return {"code": row["code"], "name": row["name"], "kind": row["kind"], "parent_code": row["parent__code"],
                "length_m": round(row["length_m"], 1), "accuracy": row["accuracy"]}

    def extent(self, user):
        return _extent(_bbox_lonlat(Waterway.objects.aggregate(box=Extent("geom"))["box"], settings.GIS_SRID))


class Reaches(Collection):
    id = "reaches"
    title = _("100 米河段与巡查")
    description = _("每条河道按 100 米分段：河道编码、序号、起止距离（米），以及所选期间内是否巡查过（visited）和"
                    "期间结束前最近一次巡查时间（last_visit）。datetime 设定期间（按北京时间整日），不筛选河段；"
                    "默认为今年 1 月 1 日至今天。不计被驳回的活动，与覆盖率统计相同。")
    geometry_type = "LineString"
    datetime_sets_period = True
    fields = (
        Field("waterway_code", "string", _("河道编码")),
        Field("seq", "integer", _("序号（自源头起，从 1 开始）")),
        Field("start_m", "number", _("起点距源头（米）")),
        Field("end_m", "number", _("终点距源头（米）")),
        Field("last_visit", "string", _("期间结束前最近一次巡查"), "date-time", nullable=True),
        Field("visited", "boolean", _("期间内巡查过")),
    )

    def period(self, query: Query) -> ReportFilters:
        interval = query.interval
        if interval is None:
            start, end = default_period(query.day)
        else:
            start, end = interval.first_day or FIRST_DAY, interval.last_day or LAST_DAY
        return ReportFilters(start=start, end=end)

    def features(self, user, query):
        return _in_box(Reach.objects.all(), "geom", query.bbox)

    def rows(self, queryset):
        return queryset.values("id", "waterway__code", "seq", "start_m", "end_m", geometry=_geojson(_lonlat("geom")))

    def page_context(self, rows, query):
        filters = self.period(query)
        return filters, coverage.last_visits(filters, [row["id"] for row in rows])

    def properties(self, row, context):
        filters, last_visits = context
        last_visit = last_visits.get(row["id"])
        return {"waterway_code": row["waterway__code"], "seq": row["seq"], "start_m": round(row["start_m"], 1),
                "end_m": round(row["end_m"], 1), "last_visit": _iso(last_visit),
                "visited": last_visit is not None and last_visit >= filters.start_at}

    def members(self, query):
        filters = self.period(query)
        return {"period": {"start": filters.start.isoformat(), "end": filters.end.isoformat()}}

    def extent(self, user):
        box = Reach.objects.aggregate(box=Extent("geom"))["box"]
        times = counted_activities(ReportFilters(start=FIRST_DAY, end=LAST_DAY)).aggregate(
            first=Min("started_at"), last=Max("started_at"))
        return _extent(_bbox_lonlat(box, settings.GIS_SRID), times["first"], times["last"], temporal=True)


KIND_LABELS = dict(Activity.Kind.choices)


def _readable_activities(user, interval: Interval | None):
    """The activities the user may read that count (not rejected), started in the interval."""
    if interval is None:
        filters = ReportFilters(start=FIRST_DAY, end=LAST_DAY)
    else:
        filters = ReportFilters(start=interval.first_day or FIRST_DAY, end=interval.last_day or LAST_DAY)
    queryset = counted_activities(filters, scopes.readable_by(user))
    if interval is not None and interval.start is not None:
        queryset = queryset.filter(started_at__gte=interval.start)
    if interval is not None and interval.end is not None:
        queryset = queryset.filter(started_at__lt=interval.end)
    return queryset


class Activities(Collection):
    id = "activities"
    title = _("巡护活动")
    description = _("河长地图的活动图层：每次活动一个点（活动位置，或轨迹上的一点），类型、起止时间、所在河道、审核状态、"
                    "里程（米）和服务记录数（people）。只含本人可查看、未被驳回的活动；datetime 按开始时间筛选。")
    geometry_type = "Point"
    temporal_property = "started_at"
    fields = (
        Field("id", "integer", _("活动编号")),
        Field("kind", "string", _("活动类型")),
        Field("kind_label", "string", _("活动类型（中文）")),
        Field("started_at", "string", _("开始时间"), "date-time"),
        Field("ended_at", "string", _("结束时间"), "date-time"),
        Field("waterway_code", "string", _("所在河道编码"), nullable=True),
        Field("status", "string", _("审核状态：submitted 待审核，verified 已审核")),
        Field("distance_m", "number", _("里程（米）")),
        Field("people", "integer", _("服务记录数（参与人数）")),
    )

    def features(self, user, query):
        location = Coalesce("point", PointOnSurface("track"), output_field=PointField(srid=settings.GIS_SRID))
        queryset = (_readable_activities(user, query.interval)
                    .filter(Q(point__isnull=False) | Q(track__isnull=False))
                    .annotate(location=_lonlat(location)))
        if query.bbox is None:
            return queryset
        area = query.bbox.search_area()
        if area is None:
            return queryset.none()
        # The index on point, else on track (the location lies on the track), then the exact test.
        nearby = Q(point__bboverlaps=area) | Q(point__isnull=True, track__bboverlaps=area)
        return queryset.filter(nearby, location__intersects=query.bbox.polygon())

    def rows(self, queryset):
        return (queryset.annotate(people=Count("service_records"))
                .values("id", "kind", "status", "started_at", "ended_at", "distance_m", "waterway__code", "people",
                        geometry=_geojson("location")))

    def properties(self, row, context):
        return {"id": row["id"], "kind": row["kind"], "kind_label": KIND_LABELS.get(row["kind"], row["kind"]),
                "started_at": _iso(row["started_at"]), "ended_at": _iso(row["ended_at"]),
                "waterway_code": row["waterway__code"], "status": row["status"],
                "distance_m": round(row["distance_m"], 1), "people": row["people"]}

    def extent(self, user):
        found = (_readable_activities(user, None).filter(Q(point__isnull=False) | Q(track__isnull=False))
                 .aggregate(points=Extent("point"), tracks=Extent("track"), first=Min("started_at"),
                            last=Max("started_at")))
        box = _bbox_lonlat(_union(found["points"], found["tracks"]), settings.GIS_SRID)
        return _extent(box, found["first"], found["last"], temporal=True)


class Tracks(Activities):
    id = "tracks"
    title = _("巡河轨迹")
    description = _("有轨迹的活动，几何为轨迹（MultiLineString，按 GPS 中断分段，未简化）；属性与活动图层相同。"
                    "只含本人可查看、未被驳回的活动；datetime 按开始时间筛选。")
    geometry_type = "MultiLineString"

    def features(self, user, query):
        queryset = _readable_activities(user, query.interval).filter(track__isnull=False)
        return _in_box(queryset, "track", query.bbox)

    def rows(self, queryset):
        return (queryset.annotate(people=Count("service_records"))
                .values("id", "kind", "status", "started_at", "ended_at", "distance_m", "waterway__code", "people",
                        geometry=_geojson(_lonlat("track"))))

    def extent(self, user):
        found = _readable_activities(user, None).filter(track__isnull=False).aggregate(
            box=Extent("track"), first=Min("started_at"), last=Max("started_at"))
        return _extent(_bbox_lonlat(found["box"], settings.GIS_SRID), found["first"], found["last"], temporal=True)


class Problems(Collection):
    id = "problems"
    title = _("问题清单")
    description = _("河长地图的问题图层：问题清单上的问题（重复、无效和未受理的群众上报除外），位置为问题自身的点，"
                    "没有则为所属活动的位置。类别、状态、发现时间、办理期限、是否逾期和所在河道；datetime 按发现时间筛选。")
    geometry_type = "Point"
    temporal_property = "observed_at"
    fields = (
        Field("id", "integer", _("问题编号")),
        Field("category", "string", _("问题类别")),
        Field("state", "string", _("状态")),
        Field("observed_at", "string", _("发现时间"), "date-time"),
        Field("deadline", "string", _("办理期限"), "date", nullable=True),
        Field("overdue", "boolean", _("已逾期")),
        Field("waterway_code", "string", _("所在河道编码"), nullable=True),
    )

    def _located(self, user, interval: Interval | None):
        start_at, end_at = day_bounds(FIRST_DAY, LAST_DAY)
        if interval is not None:
            start_at, end_at = interval.start or start_at, interval.end or end_at
        readable = problem_selectors.readable_by(user, Problem.objects.filter(problem_selectors.on_map_q()))
        return problem_selectors.located(readable, start_at, end_at)

    def features(self, user, query):
        queryset = self._located(user, query.interval).annotate(
            overdue=ExpressionWrapper(problem_selectors.overdue_q(query.day), output_field=BooleanField()))
        if query.bbox is None:
            return queryset
        area = query.bbox.search_area()
        if area is None:
            return queryset.none()
        # Only a problem's own point has an index; one placed at its activity is tested exactly.
        nearby = Q(point__bboverlaps=area) | Q(point__isnull=True)
        return queryset.filter(nearby, location__intersects=query.bbox.polygon())

    def rows(self, queryset):
        return queryset.values("id", "category", "state", "observed_at", "deadline", "overdue", "waterway__code",
                               geometry=_geojson("location"))

    def properties(self, row, context):
        return {"id": row["id"], "category": row["category"], "state": row["state"],
                "observed_at": _iso(row["observed_at"]),
                "deadline": row["deadline"].isoformat() if row["deadline"] else None,
                "overdue": row["overdue"], "waterway_code": row["waterway__code"]}

    def extent(self, user):
        found = self._located(user, None).aggregate(box=Extent("location"), first=Min("observed_at"),
                                                    last=Max("observed_at"))
        return _extent(_bbox_lonlat(found["box"], settings.API_SRID), found["first"], found["last"], temporal=True)


class Stations(Collection):
    id = "stations"
    title = _("人大代表之家与联络站")
    description = _("人大代表之家和人大代表联络站（家站）的位置：名称、编号和类型。")
    geometry_type = "Point"
    fields = (
        Field("code", "string", _("编号")),
        Field("name", "string", _("名称")),
        Field("kind", "string", _("类型：home 人大代表之家，liaison 人大代表联络站")),
    )

    def features(self, user, query):
        return _in_box(Station.objects.all(), "geom", query.bbox)

    def rows(self, queryset):
        return queryset.values("id", "code", "name", "kind", geometry=_geojson(_lonlat("geom")))

    def properties(self, row, context):
        return {"code": row["code"], "name": row["name"], "kind": row["kind"]}

    def extent(self, user):
        return _extent(_bbox_lonlat(Station.objects.aggregate(box=Extent("geom"))["box"], settings.GIS_SRID))


COLLECTIONS = {collection.id: collection for collection in (
    Waterways(), Reaches(), Activities(), Tracks(), Problems(), Stations())}
