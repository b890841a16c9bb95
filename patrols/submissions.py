"""A submitted activity, from whatever brought it (the phone's JSON, a GPX file, the demo), checked and
turned into what services.record_activity stores: fixes cleaned into a track, fix times within the
activity's own, every position inside the service area and projected to the storage SRID.

Nothing here writes. Every refusal is a ValidationError whose message tells the person who sent the
record what was wrong, in their language; where it concerns one field, under that field's name."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiLineString, Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from riverwatch.dates import from_unix_ms, local_minute
from waterways import service_area

from . import gpx, tracks
from .models import Activity
from .tracks import CleanTrack, storage_to_lonlat

# GPS time and the phone's clock may disagree a little; fixes far outside the activity's own
# times belong to another walk (or a broken clock) and would distort its duration.
FIX_TIME_MARGIN = timedelta(hours=1)


@dataclass
class Figures:
    debris_kg: Decimal | None = None
    bags: int | None = None
    manholes_checked: int | None = None
    outfalls_checked: int | None = None
    findings: str = ""


@dataclass
class ProblemInput:
    """A problem seen during the activity (or the whole of a standalone report)."""

    client_uuid: object
    category: str
    observed_at: datetime
    note: str = ""
    point: Point | None = None  # storage SRID


@dataclass
class Submission:
    """What services.record_activity stores: checked, cleaned and projected."""

    client_uuid: object
    kind: str
    started_at: datetime
    ended_at: datetime
    track: CleanTrack | None = None
    raw_fixes: object = None
    raw_source: str = ""
    point: Point | None = None  # storage SRID
    location_source: str = ""
    participant_ids: list = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)
    notes: str = ""
    problems: list[ProblemInput] = field(default_factory=list)

    @property
    def track_geometry(self) -> MultiLineString | None:
        if self.track is None or not self.track.segments:
            return None
        # Built by shapely and handed over as WKB: GEOS through Django takes a call per vertex.
        lines = shapely.multilinestrings([shapely.linestrings(segment) for segment in self.track.segments])
        return GEOSGeometry(memoryview(shapely.to_wkb(lines)), srid=settings.GIS_SRID)


def payload_digest(payload) -> str:
    """The same body, whatever the key order or spacing, gives the same digest: a repeat of a
    submission is recognised as such, another body under the same uuid as a conflict."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


# --- Positions ---------------------------------------------------------------------------------------

def lonlat_pair(value, field: str, where: str | None = None) -> tuple[float, float]:
    """[lon, lat] in lon/lat (WGS-84). field: the body's field, for the error; where: how the
    message names the position (the field's name unless given)."""
    where = where or field
    if not isinstance(value, (list, tuple)) or len(value) < 2 or not all(tracks.is_finite_number(n) for n in value[:2]):
        raise ValidationError({field: _("%(where)s 的坐标应为 [经度, 纬度]。") % {"where": where}})
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError({field: _("%(where)s 的经纬度超出范围（应为 WGS-84 经度、纬度）。") % {"where": where}})
    return lon, lat


def point_lonlat(value, field: str, where: str | None = None) -> tuple[float, float]:
    """[lon, lat] or a GeoJSON Point."""
    coordinates = value.get("coordinates") if isinstance(value, dict) and value.get("type") == "Point" else value
    return lonlat_pair(coordinates, field, where)


def _outside_message(where: str, lon: float, lat: float) -> str:
    return _("%(where)s（经度 %(lon).5f，纬度 %(lat).5f）不在服务范围内：离区界超过 %(km)s 公里。"
             "请检查是否选错了文件或手机定位有误；这条记录没有保存。") % {
        "where": where, "lon": lon, "lat": lat, "km": service_area.buffer_km()}


def point_inside(lonlat) -> Point | None:
    """A lon/lat as a Point in the storage SRID, or None when it lies outside the service area."""
    return service_area.storage_point(lonlat)


def project_point(lonlat, field: str, where: str | None = None) -> Point:
    """A lon/lat inside the service area as a Point in the storage SRID; refused otherwise."""
    point = point_inside(lonlat)
    if point is None:
        raise ValidationError({field: _outside_message(where or field, *lonlat)})
    return point


def _check_lonlats(lons, lats, label):
    """Refuses a track with a position where the storage projection means nothing."""
    index = service_area.first_outside_lonlat(lons, lats)
    if index is not None:
        where = _("第 %(n)s 个轨迹点") % {"n": index + 1}
        raise ValidationError({label: _outside_message(where, lons[index], lats[index])})


def _check_track_area(track: CleanTrack, label: str):
    points = [point for segment in track.segments for point in segment]
    index = service_area.first_outside([x for x, _y in points], [y for _x, y in points])
    if index is not None:
        lon, lat = storage_to_lonlat().transform(*points[index])
        raise ValidationError({label: _outside_message(_("轨迹上的一点"), lon, lat)})


# --- Tracks ------------------------------------------------------------------------------------------

def fix_segments(raw) -> list:
    """The `points` of a body: [[lon, lat, unix_ms, accuracy], …], or a list of such lists (segments)."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"points": _("points 应为定位点列表。")})
    segmented = isinstance(raw[0], list) and raw[0] and isinstance(raw[0][0], list)
    segments = raw if segmented else [raw]
    if not all(isinstance(segment, list) for segment in segments):
        raise ValidationError({"points": _("points 应为定位点列表。")})
    return segments


def geojson_lines(value) -> list:
    """The lines of a GeoJSON LineString or MultiLineString, as lists of (lon, lat)."""
    if not isinstance(value, dict) or value.get("type") not in ("LineString", "MultiLineString"):
        raise ValidationError({"track": _("track 应为 GeoJSON LineString 或 MultiLineString（经纬度）。")})
    coordinates = value.get("coordinates")
    lines = [coordinates] if value["type"] == "LineString" else coordinates
    if not isinstance(lines, list) or not all(isinstance(line, list) for line in lines):
        raise ValidationError({"track": _("track 的坐标格式不对。")})
    if sum(len(line) for line in lines) > settings.TRACK_MAX_FIXES:
        raise ValidationError({"track": _("轨迹点太多，上限 %(max)s 个。") % {"max": settings.TRACK_MAX_FIXES}})
    return [[lonlat_pair(p, "track") for p in line] for line in lines]


def _check_fix_times(track: CleanTrack, started_at: datetime, ended_at: datetime):
    if from_unix_ms(track.first_ms) < started_at - FIX_TIME_MARGIN or from_unix_ms(track.last_ms) > ended_at + FIX_TIME_MARGIN:
        raise ValidationError({"points": _("轨迹点的时间（%(first)s 至 %(last)s）不在活动的开始、结束时间内。") % {
            "first": local_minute(from_unix_ms(track.first_ms)), "last": local_minute(from_unix_ms(track.last_ms))}})


def clean_fixes(segments, *, label="points") -> CleanTrack:
    """Phone or GPX fixes in segments, checked and cleaned into a track inside the service area."""
    try:
        parsed = tracks.parse_fixes(segments)
        fixes = [fix for segment in parsed for fix in segment]
        _check_lonlats([fix.lon for fix in fixes], [fix.lat for fix in fixes], label)
        track = tracks.clean(parsed)
    except tracks.TrackError as error:
        raise ValidationError({label: str(error)}) from None
    if not track.segments:
        raise ValidationError({label: _("去掉精度差（>%(max)g 米）和重复的定位点后，轨迹不足两个点。")
                               % {"max": settings.GPS_MAX_ACCURACY_M}})
    _check_track_area(track, label)
    return track


def _lines_track(lines) -> CleanTrack:
    points = [point for line in lines for point in line]
    _check_lonlats([p[0] for p in points], [p[1] for p in points], "track")
    try:
        track = tracks.from_lines(lines)
    except tracks.TrackError as error:
        raise ValidationError({"track": str(error)}) from None
    _check_track_area(track, "track")
    return track


# --- Whole submissions -------------------------------------------------------------------------------

def build(*, client_uuid, kind, started_at, ended_at, points=None, track=None, point=None,
          location_source="", participant_ids=(), figures: Figures | None = None, notes="",
          problems=()) -> Submission:
    """A Submission from already typed values (a body the API has read, or the demo's plan).
    points: phone fixes (see fix_segments); track: GeoJSON lines; point: [lon, lat] or GeoJSON.
    problems: dicts with client_uuid, category, observed_at, note, point ([lon, lat] or None)."""
    if track and points:
        raise ValidationError(_("track 和 points 只能给一个。"))
    submission = Submission(
        client_uuid=client_uuid, kind=kind, started_at=started_at, ended_at=ended_at,
        location_source=location_source, participant_ids=list(participant_ids), figures=figures or Figures(),
        notes=notes,
    )
    if points:
        segments = fix_segments(points)
        submission.track = clean_fixes(segments)
        submission.raw_fixes, submission.raw_source = segments, "points"
        _check_fix_times(submission.track, started_at, ended_at)
    elif track:
        submission.track = _lines_track(geojson_lines(track))
        submission.raw_fixes, submission.raw_source = track, "geojson"
    if point:
        submission.point = project_point(point_lonlat(point, "point"), "point")
    for number, problem in enumerate(problems, start=1):
        where = _("第 %(n)s 个问题的位置（point）") % {"n": number}
        lonlat = point_lonlat(problem["point"], "problems", where) if problem.get("point") else None
        submission.problems.append(ProblemInput(
            client_uuid=problem["client_uuid"], category=problem["category"], observed_at=problem["observed_at"],
            note=problem.get("note", ""), point=project_point(lonlat, "problems", where) if lonlat else None,
        ))
    return submission


def from_gpx(content: bytes, *, client_uuid, kind, participant_ids=(), notes="") -> Submission:
    """A Submission from a GPX file: its times are the first and last fix kept."""
    try:
        segments, _name = gpx.read_gpx(content)
    except gpx.GpxError as error:
        raise ValidationError({"file": str(error)}) from None
    track = clean_fixes(segments, label="file")
    return Submission(
        client_uuid=client_uuid, kind=kind, started_at=from_unix_ms(track.first_ms), ended_at=from_unix_ms(track.last_ms),
        track=track, raw_fixes=segments, raw_source="gpx", location_source=Activity.LocationSource.GPX,
        participant_ids=list(participant_ids), notes=notes,
    )
