"""A report's records as a GeoPackage, for the office's GIS (QGIS, ArcGIS): the reaches with their
coverage, the activities, the problems and the hotspots of the report's period, all in the storage
CRS (EPSG:4546, settings.GIS_SRID), which every layer declares.

The period is the scope's first day to the day its figures stand on (snapshot scope "as_of": the
period's last day once it is over), Beijing days; a waterway's report (一河一档) keeps to its waterway.
Rules are the ones the reports use, read from where they live, never written again here:

- `reaches`: every reach (of the waterway). Its latest visit before the end by an activity that is
  not rejected is reports.selectors.coverage's REACH_LAST_VISIT_SQL; as there, a visit belongs to the
  period its own time falls in, so `covered` (a visit in the period) is the report's coverage:
  the covered reaches' length over all reaches' length. `visits` counts those visits in the period.
  `days_since_visit`: the as-of Beijing date minus the visit's (null: never visited).
- `activities`: every activity that started in the period (of the waterway, by the waterway it was
  snapped to), rejected ones too, marked `counted` false (patrols.scopes.counted_q), one row each;
  the geometry is the track, null for an activity without one. `activity_points`: the same rows for
  the activities that have no track but a point (a clean-up, a problem report), so they show on a map.
  `people` is the number of service records, `hours` their hours (人·小时).
- `problems`: the problems that count (problems.selectors.counted_q) observed in the period (of the
  waterway, by their own snapped waterway); `overdue` as of the as-of day (overdue_q). The point is
  the problem's own, else its activity's (point, else a point on the track: `at_activity` true), as
  the map places it; null when neither has one.
- `hotspots`: the cells of the snapshot's hotspot map, transformed from lon/lat; empty without one.

Times: `*_at` are DateTime fields in UTC, as the GeoPackage standard stores them; `*_local` repeat
them as Beijing wall-clock text ("2026-05-01 08:00"). Dates (deadlines) are ISO text. The file is
GeoPackage 1.2, which older GDAL (QGIS 3.x) reads without a warning."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import geopandas
import pandas
import pyogrio
from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import AsWKB, PointOnSurface
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from patrols import scopes
from patrols.models import Activity, ServiceRecord
from problems import selectors as problem_selectors
from problems.models import Category, Ending, Problem, Source, State
from waterways.models import Waterway

from ..filters import FILTERED_ACTIVITIES_SQL, ReportFilters
from ..selectors import coverage
from ..selectors.layers import Simplify
from .snapshot import blocks_of

GPKG_VERSION = "1.2"
TEXT, INTEGER, NULLABLE_INTEGER, REAL, BOOLEAN, MOMENT = "object", "int64", "Int64", "float64", "bool", "moment"

# Each reach with its latest visit before the end (coverage's own statement), the visits in the
# period by activities that are not rejected, and its line.
# (After "WITH reach_last AS (coverage.reach_last_sql(filters)),".)
REACHES_SQL = """
period_visits AS (
    SELECT v.reach_id, COUNT(*) AS visits
      FROM patrols_reachvisit v
      JOIN waterways_reach vr ON vr.id = v.reach_id
      JOIN (""" + FILTERED_ACTIVITIES_SQL + """) fa ON fa.id = v.activity_id
     WHERE v.visited_at >= %(period_start)s AND v.visited_at < %(end_at)s
       AND (%(waterways)s::bigint[] IS NULL OR vr.waterway_id = ANY(%(waterways)s::bigint[]))
     GROUP BY v.reach_id
)
SELECT w.code, w.name, rl.id, rl.seq, rl.start_m, rl.end_m, rl.end_m - rl.start_m,
       COALESCE(pv.visits, 0), COALESCE(rl.visited_at >= %(period_start)s, FALSE), EXTRACT(EPOCH FROM rl.visited_at),
       %(as_of)s::date - (rl.visited_at AT TIME ZONE %(tz)s)::date,
       ST_AsBinary(r.geom)
  FROM reach_last rl
  JOIN waterways_reach r ON r.id = rl.id
  JOIN waterways_waterway w ON w.id = rl.waterway_id
  LEFT JOIN period_visits pv ON pv.reach_id = rl.id
 ORDER BY w.kind = %(river)s DESC, w.code, rl.seq
"""

# The snapshot's lon/lat geometries (GeoJSON text, in order) in the storage SRID, each made multi.
TRANSFORM_SQL = """
SELECT ST_AsBinary(ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(g.text), %(api_srid)s), %(gis_srid)s))),
       GeometryType(ST_Multi(ST_GeomFromGeoJSON(g.text)))
  FROM unnest(%(geometries)s::text[]) WITH ORDINALITY AS g(text, n)
 ORDER BY g.n
"""

REACH_FIELDS = [
    ("waterway_code", TEXT), ("waterway_name", TEXT), ("reach_id", INTEGER), ("seq", INTEGER),
    ("start_m", REAL), ("end_m", REAL), ("length_m", REAL), ("visits", INTEGER), ("covered", BOOLEAN),
    ("last_visit_at", MOMENT), ("days_since_visit", NULLABLE_INTEGER),
]
ACTIVITY_FIELDS = [
    ("id", INTEGER), ("kind", TEXT), ("kind_label", TEXT), ("status", TEXT), ("status_label", TEXT),
    ("counted", BOOLEAN), ("started_at", MOMENT), ("ended_at", MOMENT), ("people", INTEGER), ("hours", REAL),
    ("distance_m", REAL), ("duration_min", INTEGER), ("debris_kg", REAL), ("bags", NULLABLE_INTEGER),
    ("manholes_checked", NULLABLE_INTEGER), ("outfalls_checked", NULLABLE_INTEGER),
    ("waterway_code", TEXT), ("waterway_name", TEXT),
]
PROBLEM_FIELDS = [
    ("id", INTEGER), ("category", TEXT), ("category_label", TEXT), ("state", TEXT), ("state_label", TEXT),
    ("ending", TEXT), ("ending_label", TEXT), ("source", TEXT), ("source_label", TEXT), ("observed_at", MOMENT),
    ("first_deadline", TEXT), ("deadline", TEXT), ("overdue", BOOLEAN), ("unit", TEXT),
    ("waterway_code", TEXT), ("waterway_name", TEXT), ("activity_id", NULLABLE_INTEGER), ("at_activity", BOOLEAN),
]
HOTSPOT_FIELDS = [("class", TEXT), ("label", TEXT), ("value", REAL), ("z", REAL), ("p", REAL)]


class Epoch(Func):
    """A moment as Unix seconds: 50,000 floats read in a blink, 50,000 timestamps take a second to parse."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def render(snapshot: dict, *, states_on: date | None = None) -> bytes:
    """The GeoPackage's bytes: layers reaches, activities, activity_points, problems, hotspots.
    states_on: the day problems' overdue flags are judged on, as the report's figures judge them (the
    day the version was built); the period's as-of day when not given."""
    filters, as_of = period_of(snapshot)
    activities = activity_layer(filters)
    with_points = activities.geometry.isna() & activities["_point"].notna()
    points = activities.loc[with_points].drop(columns=["geometry"]).rename(columns={"_point": "geometry"})
    points = geopandas.GeoDataFrame(points, geometry="geometry", crs=activities.crs)
    activities = activities.drop(columns=["_point"])
    hotspots, hotspot_type = hotspot_layer(snapshot)
    layers = [
        ("reaches", reach_layer(filters, as_of), "LineString",
         _("河段：本期巡查次数、是否覆盖、最近一次巡查（UTC 与北京时间）及距报告日的天数")),
        ("activities", activities, "MultiLineString",
         _("本期开始的活动，每条一行（含被驳回的，counted 为否）；几何为轨迹，无轨迹的为空")),
        ("activity_points", points, "Point", _("无轨迹但有位置的活动（与 activities 同一批记录）")),
        ("problems", problem_layer(filters, states_on or as_of), "Point", _("本期发现、计入统计的问题；overdue 按报告日判断")),
        ("hotspots", hotspots, hotspot_type, _("问题热点单元（报告中的热点图）")),
    ]
    with tempfile.TemporaryDirectory(prefix="riverwatch-gpkg-") as folder:
        path = Path(folder) / "report.gpkg"
        first = True
        while layers:  # each frame let go once written: the tracks are most of the memory
            name, frame, geometry_type, description = layers.pop(0)
            pyogrio.write_dataframe(
                frame, path, layer=name, driver="GPKG", geometry_type=geometry_type,
                dataset_options={"VERSION": GPKG_VERSION} if first else None,
                layer_options={"DESCRIPTION": description},
            )
            first = False
        return path.read_bytes()


def period_of(snapshot: dict) -> tuple[ReportFilters, date]:
    """The report's filters (first day to the as-of day, its waterway) and the as-of day."""
    scope = snapshot["scope"]
    start, end = date.fromisoformat(scope["start"]), date.fromisoformat(scope["end"])
    as_of = min(end, date.fromisoformat(scope.get("as_of") or scope["end"]))
    waterway_ids = None
    if scope.get("waterway"):
        # A waterway gone since the build has no reaches, activities or problems left to list.
        waterway_ids = tuple(Waterway.objects.filter(code=scope["waterway"]["code"]).values_list("pk", flat=True))
    # A period not yet begun (as_of before start) is empty: its end is its start's eve.
    return ReportFilters(start=start, end=max(as_of, start - timedelta(days=1)), waterway_ids=waterway_ids), as_of


# --- building frames -----------------------------------------------------------------------------------

def _frame(rows, fields, geometries) -> geopandas.GeoDataFrame:
    """A GeoDataFrame of rows (tuples in fields' order) with the columns' types fixed, so that an
    empty layer has the same schema as a full one; geometries: WKB (or None) per row."""
    columns = {}
    for index, (name, kind) in enumerate(fields):
        values = [row[index] for row in rows]
        if kind == MOMENT:  # Unix seconds
            seconds = pandas.Series([float(v) if v is not None else None for v in values], dtype=REAL)
            columns[name] = pandas.to_datetime(seconds, unit="s", utc=True).astype("datetime64[ms, UTC]")
        elif kind == REAL:
            columns[name] = pandas.Series([float(v) if v is not None else None for v in values], dtype=REAL)
        else:
            columns[name] = pandas.Series(values, dtype=kind)
    geometry = geopandas.GeoSeries.from_wkb([bytes(g) if g is not None else None for g in geometries],
                                            crs=settings.GIS_SRID)
    return geopandas.GeoDataFrame(columns, geometry=geometry, crs=settings.GIS_SRID)


def _local_text(frame, column: str) -> pandas.Series:
    """A UTC moment column as Beijing wall-clock text."""
    return frame[column].dt.tz_convert(settings.TIME_ZONE).dt.strftime("%Y-%m-%d %H:%M").astype(object) \
        .where(frame[column].notna(), None)


def _with_local(frame, column: str) -> geopandas.GeoDataFrame:
    at = frame.columns.get_loc(column) + 1
    frame.insert(at, column.removesuffix("_at") + "_local", _local_text(frame, column))
    return frame


def _labels(choices) -> dict:
    return {value: str(label) for value, label in choices}


# --- the layers ------------------------------------------------------------------------------------------

def reach_layer(filters: ReportFilters, as_of: date) -> geopandas.GeoDataFrame:
    params = coverage.read_params(filters, as_of=as_of)
    with connection.cursor() as cursor:
        cursor.execute("WITH reach_last AS (" + coverage.reach_last_sql(filters) + ")," + REACHES_SQL, params)
        rows = cursor.fetchall()
    frame = _frame([row[:-1] for row in rows], REACH_FIELDS, [row[-1] for row in rows])
    return _with_local(frame, "last_visit_at")


# Tracks are written simplified by 1 m (well inside a phone's GPS error): a district year's file is a
# fifth of the size and written in half the time (benchmarks/report_build.py).
TRACK_SIMPLIFY_M = 1.0


def activity_layer(filters: ReportFilters) -> geopandas.GeoDataFrame:
    """Every activity that started in the period (the waterway's, when scoped), with the track as
    geometry and the point kept aside in `_point` (WKB decoded) for activity_points."""
    records = ServiceRecord.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
    queryset = Activity.objects.filter(started_at__gte=filters.start_at, started_at__lt=filters.end_at)
    if filters.waterway_ids is not None:
        queryset = queryset.filter(waterway_id__in=filters.waterway_ids)
    rows = list(
        queryset.annotate(
            counted=Case(When(scopes.counted_q(), then=Value(True)), default=Value(False), output_field=BooleanField()),
            people=Coalesce(Subquery(records.annotate(n=Count("pk")).values("n")), 0),
            person_hours=Coalesce(Subquery(records.annotate(total=Sum("hours")).values("total")), Value(0),
                                  output_field=DecimalField()),
            started=Epoch("started_at"), ended=Epoch("ended_at"), point_wkb=AsWKB("point"),
            track_wkb=AsWKB(Simplify("track", TRACK_SIMPLIFY_M)),
        )
        .order_by("started_at", "id")
        .values_list("id", "kind", "status", "counted", "started", "ended", "people", "person_hours",
                     "distance_m", "duration_s", "debris_kg", "bags", "manholes_checked", "outfalls_checked",
                     "waterway__code", "waterway__name", "track_wkb", "point_wkb")
    )
    kinds, statuses = _labels(Activity.Kind.choices), _labels(Activity.Status.choices)
    table = [
        (pk, kind, kinds.get(kind, kind), status, statuses.get(status, status), counted, started, ended, people,
         hours, distance, round(duration / 60), debris, bags, manholes, outfalls, code, name)
        for (pk, kind, status, counted, started, ended, people, hours, distance, duration, debris, bags, manholes,
             outfalls, code, name, _track, _point) in rows
    ]
    frame = _frame(table, ACTIVITY_FIELDS, [row[-2] for row in rows])
    frame["_point"] = geopandas.GeoSeries.from_wkb([bytes(row[-1]) if row[-1] is not None else None for row in rows],
                                                   crs=settings.GIS_SRID).values
    frame = _with_local(frame, "started_at")
    return frame


def problem_layer(filters: ReportFilters, as_of: date) -> geopandas.GeoDataFrame:
    queryset = Problem.objects.filter(problem_selectors.counted_q(), observed_at__gte=filters.start_at,
                                      observed_at__lt=filters.end_at)
    if filters.waterway_ids is not None:
        queryset = queryset.filter(waterway_id__in=filters.waterway_ids)
    location = Coalesce("point", "activity__point", PointOnSurface("activity__track"),
                        output_field=PointField(srid=settings.GIS_SRID))
    rows = list(
        queryset.annotate(
            is_overdue=Case(When(problem_selectors.overdue_q(as_of), then=Value(True)), default=Value(False),
                            output_field=BooleanField()),
            at_activity=Case(When(Q(point__isnull=True, activity__isnull=False), then=Value(True)),
                             default=Value(False), output_field=BooleanField()),
            observed=Epoch("observed_at"), location_wkb=AsWKB(location),
        )
        .order_by("observed_at", "id")
        .values_list("id", "category", "state", "ending", "source", "observed", "first_deadline", "deadline",
                     "is_overdue", "unit__name", "waterway__code", "waterway__name", "activity_id", "at_activity",
                     "location_wkb")
    )
    categories, states = _labels(Category.choices), _labels(State.choices)
    endings, sources = _labels(Ending.choices), _labels(Source.choices)
    table = [
        (pk, category, categories.get(category, category), state, states.get(state, state), ending or None,
         endings.get(ending) if ending else None, source, sources.get(source, source), observed,
         first_deadline.isoformat() if first_deadline else None, deadline.isoformat() if deadline else None,
         overdue, unit, code, name, activity, at_activity and location is not None)
        for (pk, category, state, ending, source, observed, first_deadline, deadline, overdue, unit, code, name,
             activity, at_activity, location) in rows
    ]
    frame = _frame(table, PROBLEM_FIELDS, [row[-1] for row in rows])
    return _with_local(frame, "observed_at")


def hotspot_layer(snapshot: dict) -> tuple[geopandas.GeoDataFrame, str]:
    """The hotspot map's features in the storage SRID, and the layer's geometry type."""
    features = [feature for _part, block in blocks_of(snapshot, "map") if block.get("map") == "hotspots"
                for feature in block.get("features", []) if feature.get("geometry")]
    rows, geometries, types = [], [], set()
    if features:
        with connection.cursor() as cursor:
            cursor.execute(TRANSFORM_SQL, {"api_srid": settings.API_SRID, "gis_srid": settings.GIS_SRID,
                                           "geometries": [json.dumps(feature["geometry"]) for feature in features]})
            transformed = cursor.fetchall()
        for feature, (wkb, kind) in zip(features, transformed):
            properties = feature.get("properties") or {}
            rows.append(tuple(properties.get(name) for name, _kind in HOTSPOT_FIELDS))
            geometries.append(wkb)
            types.add(kind)
    # Hexagon cells are polygons; a layer of mixed kinds is declared as any geometry.
    kinds = {"MULTIPOLYGON": "MultiPolygon", "MULTILINESTRING": "MultiLineString", "MULTIPOINT": "MultiPoint"}
    geometry_type = "MultiPolygon" if not types else kinds.get(types.pop(), "Unknown") if len(types) == 1 else "Unknown"
    return _frame(rows, HOTSPOT_FIELDS, geometries), geometry_type
