"""Activities: list and record (JSON or GPX) once and only once, read one, review; staff overturn a
verification or remove a participant."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from people.models import Person
from riverwatch import prefer
from riverwatch.api_errors import Conflict, as_drf_error, refuse_oversized
from riverwatch.parsers import StrictJSONParser

from .. import selectors, services, submissions
from ..params import ActivityParams
from ..serializers import ActivityFeatureSerializer, ActivityStoredSerializer, activity_features
from .inputs import (
    ActivityInputSerializer,
    GpxUploadSerializer,
    OverturnSerializer,
    RemoveParticipantSerializer,
    ReviewSerializer,
)

# Room for multipart boundaries and the other form fields around an uploaded file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

PREFER_PARAMETER = OpenApiParameter(
    "Prefer", str, OpenApiParameter.HEADER, required=False,
    description=gettext_lazy("RFC 7240。return=minimal：只返回记录编号、状态和河道（id、client_uuid、kind、status、waterway、"
                             "off_network、skipped_participants、url），不回传轨迹；应答带 Preference-Applied。"),
)
# The answer to a new record; Location names it. The minimal form is described in words: as a oneOf
# beside the feature (whose schema requires nothing) a minimal body would match both, which OpenAPI
# forbids.
RECORDED = OpenApiResponse(
    ActivityFeatureSerializer,
    description=gettext_lazy("整条记录（GeoJSON Feature）；在 Prefer: return=minimal 时只有 id、client_uuid、kind、status、"
                             "waterway、off_network、skipped_participants、url。Location 应答头指向这条记录。"),
)


class ActivityPagination(GeoJsonPagination):
    page_size = 100
    max_page_size = 1000


def _stored(request, activity, created):
    stored = selectors.activity_detail(request.user, activity.pk)
    return Response(
        ActivityFeatureSerializer(stored, context={"viewer": request.user}).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


def _recorded(request, activity, created):
    """The answer to a new record: the whole feature, or with `Prefer: return=minimal` only what the
    phone keeps (its id), which spares re-reading and re-sending the track."""
    minimal = prefer.wants_minimal(request)
    if minimal:
        response = Response(ActivityStoredSerializer(activity).data,
                            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
    else:
        response = _stored(request, activity, created)
    response["Location"] = reverse("api-activity", args=[activity.pk])
    return prefer.applied(response, minimal)


def _record(request, build, digest):
    """Builds the submission (ValidationError → 400) and stores it once."""
    try:
        submission = build()
        activity, created = services.record_activity(
            submitted_by=request.user, submission=submission, payload_sha256=digest
        )
    except services.DuplicateConflict as conflict:
        raise Conflict(str(conflict)) from None
    except DjangoValidationError as error:
        raise as_drf_error(error) from None
    return _recorded(request, activity, created)


def visible_activity(request, pk):
    activity = selectors.readable_activity(request.user, pk)
    if activity is None:
        raise NotFound(_("没有这条活动记录，或您无权查看。"))
    return activity


class ActivityListCreate(APIView):
    """GET: activities you may read, as GeoJSON (lon/lat), filtered and paginated.
    POST: record an activity, as JSON. The same client_uuid again returns the stored record (200);
    the same uuid with a different body is refused (409). With `Prefer: return=minimal` (RFC 7240)
    the answer is the record's id, status and waterway only, not the whole feature."""

    # A form encoding cannot carry `problems` or `figures`: refused (415) rather than dropped.
    parser_classes = [StrictJSONParser]

    @extend_schema(parameters=[ActivityParams], responses=ActivityFeatureSerializer(many=True))
    def get(self, request):
        filters = ActivityParams.read(request.query_params)
        paginator = ActivityPagination()
        page = paginator.paginate_queryset(selectors.activity_list(request.user, **filters), request, view=self)
        return paginator.get_paginated_response(activity_features(page, viewer=request.user))

    @extend_schema(request=ActivityInputSerializer, parameters=[PREFER_PARAMETER], responses={201: RECORDED, 200: RECORDED})
    def post(self, request):
        refuse_oversized(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE, _("提交内容太大（%(size).1f MB），上限 %(max).1f MB。"))
        serializer = ActivityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def build():
            return submissions.build(
                client_uuid=data["client_uuid"], kind=data["kind"], started_at=data["started_at"],
                ended_at=data["ended_at"], points=data.get("points"), track=data.get("track"), point=data.get("point"),
                location_source=data["location_source"], participant_ids=data.get("participants", []),
                figures=submissions.Figures(**data.get("figures", {})), notes=data.get("notes", ""),
                problems=data.get("problems", []),
            )

        return _record(request, build, submissions.payload_digest(request.data))


class ActivityGpxUpload(APIView):
    """Record an activity from a GPX file. Each <trkseg> stays a separate line; gaps inside one are split too."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": GpxUploadSerializer}, parameters=[PREFER_PARAMETER],
                   responses={201: RECORDED, 200: RECORDED})
    def post(self, request):
        refuse_oversized(
            request, settings.GPX_MAX_BYTES + MULTIPART_OVERHEAD_BYTES, _("GPX 文件太大（%(size).1f MB），上限 %(max).1f MB。")
        )
        serializer = GpxUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        content = data["file"].read(settings.GPX_MAX_BYTES + 1)
        digest = submissions.payload_digest({
            "file": hashlib.sha256(content).hexdigest(), "kind": data["kind"],
            "participants": data.get("participants", []), "notes": data.get("notes", ""),
        })
        return _record(request, lambda: submissions.from_gpx(
            content, client_uuid=data["client_uuid"], kind=data["kind"],
            participant_ids=data.get("participants", []), notes=data.get("notes", ""),
        ), digest)


class ActivityDetail(APIView):
    @extend_schema(responses=ActivityFeatureSerializer)
    def get(self, request, pk):
        activity = selectors.activity_detail(request.user, pk)
        if activity is None:
            raise NotFound(_("没有这条活动记录，或您无权查看。"))
        return Response(ActivityFeatureSerializer(activity, context={"viewer": request.user}).data)


class ActivityReview(APIView):
    """Verify or reject (with a reason). Team leaders, the waterway's chiefs and staff; never your own."""

    @extend_schema(request=ReviewSerializer, responses=ActivityFeatureSerializer)
    def post(self, request, pk):
        activity = visible_activity(request, pk)
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


def _correctable_activity(request, pk, refusal):
    """The activity, if the login may read it (else 404) and correct records (else 403, before the
    body is read: the body is no business of someone who may not do this at all). The refusal is
    Django's PermissionDenied, which DRF answers as a 403 with its words."""
    activity = visible_activity(request, pk)
    services.refuse_unless_may_correct(request.user, refusal)
    return activity


class ActivityOverturn(APIView):
    """Staff only: overturn a verification (撤销审核并驳回). The verified activity becomes rejected,
    with the reason as its review note and you as its reviewer. An activity not verified: 409."""

    @extend_schema(request=OverturnSerializer, responses=ActivityFeatureSerializer)
    def post(self, request, pk):
        activity = _correctable_activity(request, pk, services.OVERTURN_REFUSED)
        serializer = OverturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.overturn_verification(activity=activity, by=request.user, note=serializer.validated_data["note"])
        except services.NotVerified as error:
            raise Conflict(" ".join(error.messages)) from None
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return _stored(request, activity, created=False)


class ActivityParticipantRemove(APIView):
    """Staff only: remove a participant (移除参与人员), with a reason. Their service record is deleted;
    the activity keeps who was removed, by whom, when and why (removed_participants). Someone who
    is not (or no longer) a participant: 404."""

    @extend_schema(request=RemoveParticipantSerializer, responses=ActivityFeatureSerializer)
    def post(self, request, pk, person_id):
        activity = _correctable_activity(request, pk, services.REMOVAL_REFUSED)
        serializer = RemoveParticipantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            raise NotFound(_("没有这名人员。"))
        try:
            services.remove_participant(activity=activity, person=person, by=request.user,
                                        reason=serializer.validated_data["reason"])
        except services.NotAParticipant as error:
            raise NotFound(" ".join(error.messages)) from None
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return _stored(request, activity, created=False)
