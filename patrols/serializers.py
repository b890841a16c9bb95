"""How an activity is shown, as GeoJSON (lon/lat): the API's answers and the pages' maps and tables
use the same representation, so this module belongs to neither."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as drf
from rest_framework_gis import serializers as gis

from problems.models import Problem
from waterways.serializers import LonLatGeometryField

from . import scopes, selectors
from .models import Activity, Photo

COORDINATE_PRECISION = 6


def lonlat(point) -> list[float] | None:
    """[lon, lat] of a stored point (storage SRID), rounded to about 0.1 m."""
    if point is None:
        return None
    if point.srid != settings.API_SRID:
        point = point.transform(settings.API_SRID, clone=True)
    return [round(point.x, COORDINATE_PRECISION), round(point.y, COORDINATE_PRECISION)]


def page_url(activity) -> str:
    """The activity's own page, which both answers link to."""
    return reverse("activity-detail", args=[activity.pk])


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
    point = drf.SerializerMethodField(help_text=_("[经度, 纬度]"))
    waterway_name = drf.CharField(source="waterway.name", default=None, allow_null=True)
    photo_ids = drf.SerializerMethodField()

    class Meta:
        model = Problem
        fields = ["client_uuid", "category", "category_display", "note", "point", "observed_at", "waterway_name", "photo_ids"]

    def get_point(self, problem) -> list[float] | None:
        # Transformed in SQL by problem_reports.prefetch(); one row at a time otherwise.
        return lonlat(getattr(problem, "point_api", problem.point))

    def get_photo_ids(self, problem) -> list[int]:
        return [photo.pk for photo in problem.photos.all()]


class ComplianceChiefSerializer(drf.Serializer):
    person = drf.IntegerField()
    name = drf.CharField()
    level = drf.CharField()
    counts = drf.BooleanField(allow_null=True)
    reasons = drf.ListField(child=drf.CharField(), help_text=_("不计入的原因代码"))


class ComplianceSerializer(drf.Serializer):
    counts = drf.BooleanField(allow_null=True, help_text=_("是否计入河长巡河考核；无规则适用时为 null"))
    reason = drf.CharField(help_text=_("没有河长被考核的原因代码（no_chief、no_chief_of_waterway），否则为空"))
    chiefs = ComplianceChiefSerializer(many=True)


class RemovedParticipantSerializer(drf.Serializer):
    person = drf.IntegerField()
    name = drf.CharField()
    hours = drf.CharField()
    by = drf.IntegerField(help_text=_("移除人的用户编号"))
    at = drf.DateTimeField()
    reason = drf.CharField()


class ActivityFeatureSerializer(gis.GeoFeatureModelSerializer):
    """An activity as a GeoJSON Feature. Its patrol compliance is judged when shown (after any
    review, rule edit or change of waterway): pass {"compliance": selectors.compliance_of(rows)} in
    the context for a list, or it is judged row by row. Pass {"viewer": the login}: what is shown
    depends on who looks (removals: scopes.readable_removals); without one, no removals are shown."""

    # Named after a model field so the OpenAPI generator can describe it; the value is the track,
    # or else the point, transformed in SQL.
    track = LonLatGeometryField(source="geometry_api")
    kind_display = drf.CharField(source="get_kind_display")
    status_display = drf.CharField(source="get_status_display")
    waterway = drf.CharField(source="waterway.code", default=None, allow_null=True)
    waterway_name = drf.CharField(source="waterway.name", default=None, allow_null=True)
    submitted_by = drf.CharField(source="submitted_by.username")
    reviewed_by = drf.CharField(source="reviewed_by.username", default=None, allow_null=True)
    participants = ParticipantSerializer(source="service_records", many=True)
    figures = drf.SerializerMethodField()
    removed_participants = drf.SerializerMethodField(
        help_text=_("已被工作人员移除的参与人员：工作人员看到全部，被移除者本人只看到自己的，其他人看不到"))
    photos = PhotoSerializer(many=True)
    problems = ProblemReportSerializer(many=True)
    reach_visit_count = drf.IntegerField(default=None)
    counts_for_compliance = drf.SerializerMethodField()
    compliance = drf.SerializerMethodField()
    compliance_note = drf.SerializerMethodField()
    url = drf.SerializerMethodField()

    class Meta:
        model = Activity
        geo_field = "track"
        fields = [
            "id", "client_uuid", "kind", "kind_display", "status", "status_display", "started_at", "ended_at",
            "received_at", "waterway", "waterway_name", "waterway_position_m", "off_network", "location_source",
            "distance_m", "duration_s", "figures", "notes", "participants", "skipped_participants",
            "removed_participants", "photos", "problems", "reach_visit_count", "counts_for_compliance", "compliance",
            "compliance_note", "track_quality", "submitted_by", "reviewed_by", "reviewed_at", "review_note", "url",
        ]

    def _compliance(self, activity):
        judged = self.context.setdefault("compliance", {})
        if activity.pk not in judged:
            judged.update(selectors.compliance_of([activity]))
        return judged[activity.pk]

    def get_counts_for_compliance(self, activity) -> bool | None:
        return self._compliance(activity).counts

    @extend_schema_field(ComplianceSerializer)
    def get_compliance(self, activity):
        return self._compliance(activity).as_data()

    def get_compliance_note(self, activity) -> str:
        return self._compliance(activity).note

    def get_figures(self, activity) -> dict:
        return {
            "debris_kg": float(activity.debris_kg) if activity.debris_kg is not None else None,
            "bags": activity.bags,
            "manholes_checked": activity.manholes_checked,
            "outfalls_checked": activity.outfalls_checked,
            "findings": activity.findings,
        }

    @extend_schema_field(RemovedParticipantSerializer(many=True))
    def get_removed_participants(self, activity):
        return scopes.readable_removals(self.context.get("viewer"), activity.removed_participants or [])

    def get_url(self, activity) -> str:
        return page_url(activity)


class ActivityStoredSerializer(drf.ModelSerializer):
    """What a phone needs back after sending a record with `Prefer: return=minimal` (RFC 7240):
    which record it became and how the server placed it, without the track echoed back."""

    waterway = drf.CharField(source="waterway.code", default=None, allow_null=True)
    url = drf.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "client_uuid", "kind", "status", "waterway", "off_network", "skipped_participants", "url"]

    def get_url(self, activity) -> str:
        return page_url(activity)


def activity_features(activities, *, viewer) -> list[dict]:
    """Features of a page of activities as `viewer` (a login) may see them, their compliance judged in one go."""
    rows = list(activities)
    return ActivityFeatureSerializer(
        rows, many=True, context={"compliance": selectors.compliance_of(rows), "viewer": viewer}).data
