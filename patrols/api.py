"""The field API: submit activities (JSON or GPX) once and only once, add photos, list and review."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import date, datetime
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis import serializers as gis
from rest_framework_gis.pagination import GeoJsonPagination

from people import selectors as people_selectors
from waterways.api import Wgs84GeometryField

from . import gpx, selectors, services, tracks
from .models import Activity, Photo, ProblemReport
from .photos import PhotoError

COORDINATE_PRECISION = 6
# Room for multipart boundaries and the other form fields around an uploaded file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def refuse_oversized(request, limit_bytes, message):
    """Checked on the declared length, before Django reads (or spools to disk) the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit_bytes:
        raise PayloadTooLarge(message % {"size": length / 1e6, "max": limit_bytes / 1e6})


def as_drf_error(error: DjangoValidationError):
    return ValidationError({"non_field_errors": error.messages})


# --- Input --------------------------------------------------------------------

class OffsetDateTimeField(drf.DateTimeField):
    """ISO 8601 with an offset (2026-05-01T08:30:00+08:00): a phone's local time is ambiguous without it."""

    def to_internal_value(self, value):
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is not None and parsed.tzinfo is None:
            raise ValidationError(_("时间必须带时区，例如 2026-05-01T08:30:00+08:00。"))
        return super().to_internal_value(value)


def _lonlat(value, where):
    if (
        not isinstance(value, (list, tuple))
        or len(value) < 2
        or not all(isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in value[:2])
    ):
        raise ValidationError(_("%(where)s 的坐标应为 [经度, 纬度]。") % {"where": where})
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(_("%(where)s 的经纬度超出范围（应为 WGS-84 经度、纬度）。") % {"where": where})
    return lon, lat


def _point_lonlat(value, where):
    """[lon, lat] or a GeoJSON Point, in EPSG:4326."""
    coordinates = value.get("coordinates") if isinstance(value, dict) and value.get("type") == "Point" else value
    return _lonlat(coordinates, where)


def _geojson_lines(value):
    if not isinstance(value, dict) or value.get("type") not in ("LineString", "MultiLineString"):
        raise ValidationError(_("track 应为 GeoJSON LineString 或 MultiLineString（EPSG:4326）。"))
    coordinates = value.get("coordinates")
    lines = [coordinates] if value["type"] == "LineString" else coordinates
    if not isinstance(lines, list) or not all(isinstance(line, list) for line in lines):
        raise ValidationError(_("track 的坐标格式不对。"))
    if sum(len(line) for line in lines) > settings.TRACK_MAX_FIXES:
        raise ValidationError(_("轨迹点太多，上限 %(max)s 个。") % {"max": settings.TRACK_MAX_FIXES})
    return [[_lonlat(p, "track") for p in line] for line in lines]


# GPS time and the phone's clock may disagree a little; fixes far outside the activity's own
# times belong to another walk (or a broken clock) and would distort its duration.
FIX_TIME_MARGIN_MS = 3600 * 1000


def _check_fix_times(submission):
    started_ms = submission.started_at.timestamp() * 1000
    ended_ms = submission.ended_at.timestamp() * 1000
    track = submission.track
    if track.first_ms < started_ms - FIX_TIME_MARGIN_MS or track.last_ms > ended_ms + FIX_TIME_MARGIN_MS:
        raise ValidationError(
            _("轨迹点的时间（%(first)s 至 %(last)s）不在活动的开始、结束时间内。")
            % {
                "first": timezone.localtime(datetime.fromtimestamp(track.first_ms / 1000, tz=dt_timezone.utc)).strftime("%Y-%m-%d %H:%M"),
                "last": timezone.localtime(datetime.fromtimestamp(track.last_ms / 1000, tz=dt_timezone.utc)).strftime("%Y-%m-%d %H:%M"),
            }
        )


class FiguresSerializer(drf.Serializer):
    debris_kg = drf.DecimalField(max_digits=8, decimal_places=1, min_value=0, required=False, allow_null=True,
                                 help_text=_("清理垃圾重量（公斤）"))
    bags = drf.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True, help_text=_("垃圾袋数"))
    manholes_checked = drf.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    outfalls_checked = drf.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    findings = drf.CharField(required=False, allow_blank=True, max_length=4000)


MAX_PROBLEMS = 50


def _messages(detail):
    """(field, message) pairs of a nested DRF error, field None where the error is not a field's."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            for field_name, message in _messages(value):
                yield (field_name or (None if name == "non_field_errors" else name)), message
    elif isinstance(detail, list):
        for value in detail:
            yield from _messages(value)
    else:
        yield None, str(detail)


class ProblemListSerializer(drf.ListSerializer):
    """Each rejection names the problem by its number in the list, so the person on the phone
    can find the one to fix among several markers."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise ValidationError(_("problems 应为问题的列表。"))
        if self.max_length is not None and len(data) > self.max_length:
            raise ValidationError(_("一次最多上报 %(max)s 个问题。") % {"max": self.max_length})
        validated, errors = [], []
        for number, item in enumerate(data, start=1):
            try:
                validated.append(self.run_child_validation(item))
            except ValidationError as error:
                for field_name, message in _messages(error.detail):
                    if field_name:
                        errors.append(_("第 %(n)s 个问题的 %(field)s：%(message)s")
                                      % {"n": number, "field": field_name, "message": message})
                    else:
                        errors.append(_("第 %(n)s 个问题：%(message)s") % {"n": number, "message": message})
        if errors:
            raise ValidationError(errors)
        return validated


class ProblemReportInputSerializer(drf.Serializer):
    client_uuid = drf.UUIDField(help_text=_("手机为这个问题生成的 UUID；重发时保持不变。"))
    category = drf.ChoiceField(choices=ProblemReport.Category.choices)
    note = drf.CharField(required=False, allow_blank=True, max_length=2000)
    point = drf.JSONField(required=False, allow_null=True, help_text=_("GeoJSON Point 或 [经度, 纬度]（EPSG:4326）"))
    observed_at = OffsetDateTimeField(help_text=_("发现时间，须在活动开始前 1 小时到结束后 1 小时之间"))

    class Meta:
        list_serializer_class = ProblemListSerializer

    def validate_point(self, value):
        return _point_lonlat(value, "point") if value else None


class ActivityInputSerializer(drf.Serializer):
    client_uuid = drf.UUIDField(help_text=_("手机生成的 UUID；重发时保持不变。"))
    kind = drf.ChoiceField(choices=Activity.Kind.choices)
    started_at = OffsetDateTimeField()
    ended_at = OffsetDateTimeField()
    track = drf.JSONField(required=False, allow_null=True, help_text=_("GeoJSON LineString/MultiLineString，EPSG:4326"))
    points = drf.JSONField(
        required=False, allow_null=True,
        help_text=_("定位点 [经度, 纬度, 毫秒时间戳, 精度米] 的列表，或这种列表的列表（已分段）"),
    )
    point = drf.JSONField(required=False, allow_null=True, help_text=_("GeoJSON Point 或 [经度, 纬度]"))
    location_source = drf.ChoiceField(
        choices=[Activity.LocationSource.GPS, Activity.LocationSource.MAP], default=Activity.LocationSource.GPS
    )
    participants = drf.ListField(child=drf.IntegerField(min_value=1), required=False, max_length=500,
                                 help_text=_("参与人员编号；提交人本人自动计入"))
    figures = FiguresSerializer(required=False)
    notes = drf.CharField(required=False, allow_blank=True, max_length=4000)
    problems = ProblemReportInputSerializer(
        many=True, required=False, max_length=MAX_PROBLEMS,
        help_text=_("现场发现的问题，最多 %(max)s 个；问题上报（problem_report）至少一个。没有 point 时，活动位置取第一个带位置的问题")
        % {"max": MAX_PROBLEMS},
    )

    def validate(self, data):
        if data.get("track") and data.get("points"):
            raise ValidationError(_("track 和 points 只能给一个。"))
        return data

    def to_submission(self):
        data = self.validated_data
        submission = services.Submission(
            client_uuid=data["client_uuid"],
            kind=data["kind"],
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            participant_ids=data.get("participants", []),
            figures=services.Figures(**data.get("figures", {})),
            notes=data.get("notes", ""),
            location_source=data["location_source"],
            problems=[
                services.ProblemInput(
                    client_uuid=problem["client_uuid"], category=problem["category"], note=problem.get("note", ""),
                    point_lonlat=problem.get("point"), observed_at=problem["observed_at"],
                )
                for problem in data.get("problems", [])
            ],
        )
        try:
            if data.get("points"):
                raw = data["points"]
                segmented = isinstance(raw, list) and raw and isinstance(raw[0], list) and raw[0] and isinstance(raw[0][0], list)
                segments = raw if segmented else [raw]
                if not isinstance(raw, list) or not all(isinstance(segment, list) for segment in segments):
                    raise ValidationError(_("points 应为定位点列表。"))
                submission.track = tracks.clean(tracks.parse_fixes(segments))
                submission.raw_fixes, submission.raw_source = segments, "points"
                if not submission.track.segments:
                    raise ValidationError(
                        _("去掉精度差（>%(max)g 米）和重复的定位点后，轨迹不足两个点。") % {"max": settings.GPS_MAX_ACCURACY_M}
                    )
                _check_fix_times(submission)
            elif data.get("track"):
                lines = _geojson_lines(data["track"])
                submission.track = tracks.from_lines(lines)
                submission.raw_fixes, submission.raw_source = data["track"], "geojson"
        except tracks.TrackError as error:
            raise ValidationError({"track": [str(error)]}) from None
        point = data.get("point")
        if point:
            submission.point_lonlat = _point_lonlat(point, "point")
        return submission


class GpxUploadSerializer(drf.Serializer):
    file = drf.FileField(help_text=_("GPX 文件"))
    client_uuid = drf.UUIDField()
    kind = drf.ChoiceField(choices=Activity.Kind.choices, default=Activity.Kind.PATROL)
    participants = drf.ListField(child=drf.IntegerField(min_value=1), required=False, max_length=500)
    notes = drf.CharField(required=False, allow_blank=True, max_length=4000)


class ReviewSerializer(drf.Serializer):
    decision = drf.ChoiceField(choices=[("verify", _("通过")), ("reject", _("驳回"))])
    note = drf.CharField(required=False, allow_blank=True, max_length=2000)


class PhotoUploadSerializer(drf.Serializer):
    photo = drf.FileField(help_text=_("JPEG、PNG 或 WebP，不超过 10 MB"))
    problem = drf.UUIDField(required=False, help_text=_("照片所示问题的 client_uuid（须是本活动的问题）"))


class ActivityFilterSerializer(drf.Serializer):
    bbox = drf.CharField(required=False, help_text=_("西,南,东,北（经纬度）"))
    start = drf.DateField(required=False)
    end = drf.DateField(required=False)
    kind = drf.ChoiceField(choices=Activity.Kind.choices, required=False)
    waterway = drf.CharField(required=False, max_length=32)
    person = drf.IntegerField(required=False, min_value=1)
    team = drf.IntegerField(required=False, min_value=1)
    status = drf.ChoiceField(choices=Activity.Status.choices, required=False)

    def validate_bbox(self, value):
        try:
            west, south, east, north = (float(part) for part in value.split(","))
        except ValueError:
            raise ValidationError(_("bbox 应为 西,南,东,北 四个数（经纬度）。")) from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValidationError(_("bbox 范围不对：西 < 东，南 < 北，且在经纬度范围内。"))
        return (west, south, east, north)

    def validate(self, data):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError(_("结束日期早于开始日期。"))
        return data


# --- Output -------------------------------------------------------------------

class ParticipantSerializer(drf.Serializer):
    id = drf.IntegerField(source="person.id")
    name = drf.CharField(source="person.name")
    role = drf.CharField()
    role_display = drf.CharField(source="get_role_display")
    hours = drf.DecimalField(max_digits=5, decimal_places=1)


class PhotoSerializer(drf.ModelSerializer):
    url = drf.SerializerMethodField()
    thumbnail_url = drf.SerializerMethodField()
    has_location = drf.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "url", "thumbnail_url", "width", "height", "taken_at", "has_location", "uploaded_at"]

    def get_url(self, photo) -> str:
        return reverse("activity-photo", args=[photo.activity_id, photo.pk, "full"])

    def get_thumbnail_url(self, photo) -> str:
        return reverse("activity-photo", args=[photo.activity_id, photo.pk, "thumb"])

    def get_has_location(self, photo) -> bool:
        return photo.exif_point is not None


class ProblemReportSerializer(drf.ModelSerializer):
    category_display = drf.CharField(source="get_category_display")
    point = drf.SerializerMethodField(help_text=_("[经度, 纬度]（EPSG:4326）"))
    waterway_name = drf.CharField(source="waterway.name", default=None, allow_null=True)
    photo_ids = drf.SerializerMethodField()

    class Meta:
        model = ProblemReport
        fields = ["client_uuid", "category", "category_display", "note", "point", "observed_at", "waterway_name", "photo_ids"]

    def get_point(self, problem) -> list[float] | None:
        if hasattr(problem, "point_wgs84"):
            point = problem.point_wgs84  # transformed in SQL by selectors.problems_prefetch
        else:  # a caller without that prefetch still gets the right answer, one row at a time
            point = problem.point.transform(4326, clone=True) if problem.point is not None else None
        return [round(point.x, COORDINATE_PRECISION), round(point.y, COORDINATE_PRECISION)] if point is not None else None

    def get_photo_ids(self, problem) -> list[int]:
        return [photo.pk for photo in problem.photos.all()]


class ActivityFeatureSerializer(gis.GeoFeatureModelSerializer):
    # Named after a model field so the OpenAPI generator can describe it; the value is the track,
    # or else the point, transformed in SQL.
    track = Wgs84GeometryField(source="geometry_wgs84")
    kind_display = drf.CharField(source="get_kind_display")
    status_display = drf.CharField(source="get_status_display")
    waterway = drf.CharField(source="waterway.code", default=None)
    waterway_name = drf.CharField(source="waterway.name", default=None)
    submitted_by = drf.CharField(source="submitted_by.username")
    reviewed_by = drf.CharField(source="reviewed_by.username", default=None)
    participants = ParticipantSerializer(source="service_records", many=True)
    figures = drf.SerializerMethodField()
    photos = PhotoSerializer(many=True)
    problems = ProblemReportSerializer(many=True)
    reach_visit_count = drf.IntegerField(default=None)
    compliance_note = drf.CharField(read_only=True)
    url = drf.SerializerMethodField()

    class Meta:
        model = Activity
        geo_field = "track"
        fields = [
            "id", "client_uuid", "kind", "kind_display", "status", "status_display", "started_at", "ended_at",
            "received_at", "waterway", "waterway_name", "waterway_position_m", "off_network", "location_source",
            "distance_m", "duration_s", "figures", "notes", "participants", "skipped_participants", "photos", "problems",
            "reach_visit_count", "counts_for_compliance", "compliance_detail", "compliance_note", "track_quality", "submitted_by", "reviewed_by",
            "reviewed_at", "review_note", "url",
        ]

    def get_figures(self, activity) -> dict:
        return {
            "debris_kg": float(activity.debris_kg) if activity.debris_kg is not None else None,
            "bags": activity.bags,
            "manholes_checked": activity.manholes_checked,
            "outfalls_checked": activity.outfalls_checked,
            "findings": activity.findings,
        }

    def get_url(self, activity) -> str:
        return reverse("activity-detail", args=[activity.pk])


class ActivityPagination(GeoJsonPagination):
    page_size = 100
    max_page_size = 1000


# --- Views --------------------------------------------------------------------

def _stored(request, activity, created):
    stored = selectors.activity_detail(request.user, activity.pk)
    return Response(
        ActivityFeatureSerializer(stored).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
    )


def _record(request, submission, digest):
    try:
        activity, created = services.record_activity(
            submitted_by=request.user, submission=submission, payload_sha256=digest
        )
    except services.DuplicateConflict as conflict:
        raise Conflict(str(conflict)) from None
    except DjangoValidationError as error:
        raise as_drf_error(error) from None
    return _stored(request, activity, created)


class ActivityListCreate(APIView):
    """GET: activities you may read, as GeoJSON (EPSG:4326), filtered and paginated.
    POST: record an activity. The same client_uuid again returns the stored record (200);
    the same uuid with a different body is refused (409)."""

    @extend_schema(parameters=[ActivityFilterSerializer], responses=ActivityFeatureSerializer(many=True))
    def get(self, request):
        filters = ActivityFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.activity_list(request.user, **filters.validated_data).prefetch_related(
            "service_records__person", "photos"
        )
        paginator = ActivityPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ActivityFeatureSerializer(page, many=True).data)

    @extend_schema(request=ActivityInputSerializer, responses={201: ActivityFeatureSerializer, 200: ActivityFeatureSerializer})
    def post(self, request):
        refuse_oversized(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE, _("提交内容太大（%(size).1f MB），上限 %(max).1f MB。"))
        serializer = ActivityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _record(request, serializer.to_submission(), services.payload_digest(request.data))


class ActivityGpxUpload(APIView):
    """Record an activity from a GPX file. Each <trkseg> stays a separate line; gaps inside one are split too."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": GpxUploadSerializer}, responses={201: ActivityFeatureSerializer})
    def post(self, request):
        refuse_oversized(
            request, settings.GPX_MAX_BYTES + MULTIPART_OVERHEAD_BYTES, _("GPX 文件太大（%(size).1f MB），上限 %(max).1f MB。")
        )
        serializer = GpxUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        content = data["file"].read(settings.GPX_MAX_BYTES + 1)
        try:
            segments, _name = gpx.read_gpx(content)
            track = tracks.clean(tracks.parse_fixes(segments))
        except (gpx.GpxError, tracks.TrackError) as error:
            raise ValidationError({"file": [str(error)]}) from None
        if not track.segments:
            raise ValidationError({"file": [_("GPX 轨迹去掉精度差和重复的点后不足两个点。")]})
        submission = services.Submission(
            client_uuid=data["client_uuid"],
            kind=data["kind"],
            started_at=datetime.fromtimestamp(track.first_ms / 1000, tz=dt_timezone.utc),
            ended_at=datetime.fromtimestamp(track.last_ms / 1000, tz=dt_timezone.utc),
            track=track,
            raw_fixes=segments,
            raw_source="gpx",
            location_source=Activity.LocationSource.GPX,
            participant_ids=data.get("participants", []),
            notes=data.get("notes", ""),
        )
        digest = services.payload_digest(
            {
                "file": hashlib.sha256(content).hexdigest(),
                "kind": data["kind"],
                "participants": data.get("participants", []),
                "notes": data.get("notes", ""),
            }
        )
        return _record(request, submission, digest)


def _visible_activity(request, pk):
    activity = selectors.activities_visible_to(request.user).filter(pk=pk).first()
    if activity is None:
        raise NotFound(_("没有这条活动记录，或您无权查看。"))
    return activity


class ActivityDetail(APIView):
    @extend_schema(responses=ActivityFeatureSerializer)
    def get(self, request, pk):
        activity = selectors.activity_detail(request.user, pk)
        if activity is None:
            raise NotFound(_("没有这条活动记录，或您无权查看。"))
        return Response(ActivityFeatureSerializer(activity).data)


class ActivityReview(APIView):
    """Verify or reject (with a reason). Team leaders, the waterway's chiefs and staff; never your own."""

    @extend_schema(request=ReviewSerializer, responses=ActivityFeatureSerializer)
    def post(self, request, pk):
        activity = _visible_activity(request, pk)
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.review_activity(
                activity=activity, reviewer=request.user, decision=serializer.validated_data["decision"],
                note=serializer.validated_data.get("note", ""),
            )
        except services.AlreadyReviewed as error:
            raise Conflict(" ".join(error.messages)) from None
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return _stored(request, activity, created=False)


class ActivityPhotoUpload(APIView):
    """Add a photo (JPEG/PNG/WebP, at most PHOTO_MAX_BYTES). The stored copy is re-encoded without
    EXIF; its GPS position becomes the activity's location when the activity has none. With
    `problem` (a problem's client_uuid), the photo shows that problem of this activity."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer}, responses={201: PhotoSerializer})
    def post(self, request, pk):
        refuse_oversized(
            request, settings.PHOTO_MAX_BYTES + MULTIPART_OVERHEAD_BYTES, _("照片太大（%(size).1f MB），上限 %(max).0f MB。")
        )
        activity = _visible_activity(request, pk)
        if activity.submitted_by_id != request.user.pk and not people_selectors.is_office_staff(request.user):
            raise NotFound(_("只能给自己提交的活动添加照片。"))
        serializer = PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        content = serializer.validated_data["photo"].read(settings.PHOTO_MAX_BYTES + 1)
        try:
            photo, created, location_used = services.add_photo(
                activity=activity, uploaded_by=request.user, data=content,
                problem_uuid=serializer.validated_data.get("problem"),
            )
        except PhotoError as error:
            raise ValidationError({"photo": [str(error)]}) from None
        except services.UnknownProblem as error:
            raise ValidationError({"problem": error.messages}) from None
        body = PhotoSerializer(photo).data
        body["location_used"] = location_used
        body["problem"] = str(photo.problem.client_uuid) if photo.problem_id else None
        if photo.exif_point is not None:
            lonlat = photo.exif_point.transform(4326, clone=True)
            body["exif_location"] = {"type": "Point", "coordinates": [round(lonlat.x, 6), round(lonlat.y, 6)]}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class KindCountSerializer(drf.Serializer):
    kind = drf.ChoiceField(choices=Activity.Kind.choices)
    label = drf.CharField()
    count = drf.IntegerField()


class RoleCountSerializer(drf.Serializer):
    role = drf.CharField()
    label = drf.CharField()
    count = drf.IntegerField()


class TargetPeriodSerializer(drf.Serializer):
    start = drf.DateField()
    end = drf.DateField()
    count = drf.IntegerField()
    percent = drf.FloatField(allow_null=True)


class ServiceRecordStatsSerializer(drf.Serializer):
    """Documents the response of ServiceRecordStats."""

    year = drf.IntegerField()
    total = drf.IntegerField(help_text=_("服务记录数（不含被驳回的活动）"))
    verified = drf.IntegerField()
    pending = drf.IntegerField()
    by_kind = KindCountSerializer(many=True)
    by_role = RoleCountSerializer(many=True)
    people = drf.IntegerField(help_text=_("参与人数"))
    activities = drf.IntegerField()
    target = drf.IntegerField()
    target_period = TargetPeriodSerializer()
    definition = drf.CharField()


class ServiceRecordStats(APIView):
    """Service records (one person in one activity) in a year, by kind and role, beside the district's target."""

    @extend_schema(parameters=[OpenApiParameter("year", int, description=_("年份，默认今年"))],
                   responses=ServiceRecordStatsSerializer)
    def get(self, request):
        year_text = request.query_params.get("year") or str(timezone.localdate().year)
        if not re.fullmatch(r"[0-9]{4}", year_text) or not 2000 <= int(year_text) <= 2100:
            raise ValidationError({"year": [_("年份应为 2000 到 2100 之间的整数。")]})
        year = int(year_text)
        stats = selectors.service_record_stats(start=date(year, 1, 1), end=date(year, 12, 31))
        progress = selectors.target_progress()
        return Response(
            {
                "year": year,
                **stats,
                "target": progress["target"],
                "target_period": {"start": progress["start"], "end": progress["end"], "count": progress["count"],
                                  "percent": progress["percent"]},
                "definition": progress["definition"],
            }
        )
