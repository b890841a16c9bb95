"""The problem list's API: thin views over problems.selectors and problems.services."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from people import selectors as people_selectors
from people.models import Person, Role
from riverwatch.api_errors import Conflict, as_drf_error, refuse_oversized
from riverwatch.photos import PhotoError
from waterways import service_area

from . import services
from .figures import figures
from .models import Notice, Problem, ResponsibleUnit
from .params import FigureParams, ProblemListParams, list_filters
from .selectors import possible_duplicates, problem_detail, problem_list, readable_by, state_counts, tasks_of
from .serializers import (
    DuplicateCandidateSerializer,
    DuplicateQuerySerializer,
    MoveSerializer,
    NewProblemSerializer,
    ProblemDetailSerializer,
    ProblemPageSerializer,
    ProblemSerializer,
)

# Six photos and the form around them.
MOVE_MAX_BYTES = 6 * settings.PHOTO_MAX_BYTES + 64 * 1024


class ProblemPage(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


def _place(lonlat, field="point"):
    point = service_area.storage_point(lonlat)
    if point is None:
        raise ValidationError({field: [_("位置（%(lon)s, %(lat)s）不在张湾区及周边范围内。") % {"lon": lonlat[0], "lat": lonlat[1]}]})
    return point


class ProblemListCreate(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(operation_id="problems_list", parameters=[ProblemListParams, OpenApiParameter("page", int)],
                   responses=ProblemPageSerializer)
    def get(self, request):
        """The list (清单) this login may read: supervised first, then by deadline; with counts by state."""
        today = timezone.localdate()
        filters = list_filters(ProblemListParams.read(request.query_params))
        paginator = ProblemPage()
        page = paginator.paginate_queryset(problem_list(request.user, filters, today), request, view=self)
        response = paginator.get_paginated_response(ProblemSerializer(page, many=True, context={"today": today}).data)
        response.data["counts"] = state_counts(request.user, filters, today)
        return response

    @extend_schema(request=NewProblemSerializer, responses={201: ProblemDetailSerializer})
    def post(self, request):
        """The office enters a problem from a hotline call, an inspection or a deputy's suggestion."""
        if not people_selectors.is_office_staff(request.user):
            raise PermissionDenied(_("只有河长办工作人员可以登记问题。"))
        body = NewProblemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        deputy = None
        if data.get("deputy"):
            deputy = Person.objects.filter(pk=data["deputy"], role=Role.DEPUTY).first()
            if deputy is None:
                raise ValidationError({"deputy": [_("编号 %(id)s 不是人大代表。") % {"id": data["deputy"]}]})
        new = services.NewProblem(category=data["category"], note=data["note"],
                                  observed_at=data.get("observed_at") or timezone.now(),
                                  point=_place(data["point"]) if data.get("point") else None)
        try:
            problem = services.report(by=request.user, source=data["source"], new=new, deputy=deputy)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(ProblemDetailSerializer(problem_detail(request.user, problem.pk), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


def _readable(request, pk):
    problem = problem_detail(request.user, pk)
    if problem is None:
        raise NotFound(_("没有这个问题，或你无权查看。"))
    return problem


class ProblemDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProblemDetailSerializer)
    def get(self, request, pk):
        """A problem with its timeline and the moves this login may make now."""
        return Response(ProblemDetailSerializer(_readable(request, pk), context={"request": request}).data)


class ProblemMove(APIView):
    """Make one move of the life cycle (the transition table decides who may). Photos as multipart
    files named `photos`; a resolution needs a note and at least one photo (or one sent before it)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": MoveSerializer, "application/json": MoveSerializer},
                   responses={201: ProblemDetailSerializer})
    def post(self, request, pk):
        refuse_oversized(request, MOVE_MAX_BYTES, _("上传内容太大（%(size).1f MB），上限 %(max).0f MB。"))
        problem = _readable(request, pk)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unit = ResponsibleUnit.objects.filter(pk=data["unit"]).first() if data.get("unit") else None
        if data.get("unit") and unit is None:
            raise ValidationError({"unit": [_("没有编号为 %(id)s 的责任单位。") % {"id": data["unit"]}]})
        target = readable_by(request.user).filter(pk=data["duplicate_of"]).first() if data.get("duplicate_of") else None
        if data.get("duplicate_of") and target is None:
            raise ValidationError({"duplicate_of": [_("没有编号为 %(id)s 的问题。") % {"id": data["duplicate_of"]}]})
        photos = [upload.read(settings.PHOTO_MAX_BYTES + 1) for upload in data.get("photos", [])]
        if any(len(photo) > settings.PHOTO_MAX_BYTES for photo in photos):
            raise ValidationError({"photos": [_("照片太大，上限 %(max).0f MB。") % {"max": settings.PHOTO_MAX_BYTES / 1e6}]})
        move = services.Move(action=data["action"], note=data["note"], unit=unit, deadline=data.get("deadline"),
                             reason=data["reason"], duplicate_of=target, passed=data["passed"], photos=tuple(photos),
                             photo_ids=tuple(data.get("photo_ids", ())), client_uuid=data["client_uuid"])
        try:
            services.act(problem=problem, user=request.user, move=move)
        except services.MoveConflict as conflict:
            raise Conflict(str(conflict)) from None
        except DjangoPermissionDenied as refusal:
            raise PermissionDenied(str(refusal)) from None
        except PhotoError as error:
            raise ValidationError({"photos": [str(error)]}) from None
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(ProblemDetailSerializer(_readable(request, pk), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class ProblemPhotoUpload(APIView):
    """A photo sent ahead of a move (a phone's outbox sends photos first): it becomes the evidence
    of the next resolution. For the unit's members and the office."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {"photo": {"type": "string", "format": "binary"}}}},
                   responses={201: None})
    def post(self, request, pk):
        refuse_oversized(request, settings.PHOTO_MAX_BYTES + 64 * 1024, _("照片太大（%(size).1f MB），上限 %(max).0f MB。"))
        problem = _readable(request, pk)
        upload = request.FILES.get("photo")
        if upload is None:
            raise ValidationError({"photo": [_("请附上一张照片（photo）。")]})
        try:
            photo, created = services.add_photo(problem=problem, user=request.user, data=upload.read(settings.PHOTO_MAX_BYTES + 1))
        except DjangoPermissionDenied as refusal:
            raise PermissionDenied(str(refusal)) from None
        except PhotoError as error:
            raise ValidationError({"photo": [str(error)]}) from None
        return Response({"id": photo.pk, "created": created}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DuplicateCandidates(APIView):
    """Open problems of the same category within 50 m and 14 days: the phone asks before sending."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[DuplicateQuerySerializer], responses=DuplicateCandidateSerializer(many=True))
    def get(self, request):
        """Everyone about to report sees that one is open nearby (category, state, day, distance), so the
        same spot is not reported five times; its details only if they may read it."""
        query = DuplicateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        point = _place((query.validated_data["lon"], query.validated_data["lat"]), "lon")
        found = possible_duplicates(category=query.validated_data["category"], point=point, observed_at=timezone.now())
        rows = list(found.select_related("waterway")[:10])
        readable_ids = set(readable_by(request.user, Problem.objects.filter(pk__in=[row.pk for row in rows]))
                           .values_list("pk", flat=True))
        return Response(DuplicateCandidateSerializer(rows, many=True, context={"readable_ids": readable_ids}).data)


def _with_points(queryset):
    return queryset.annotate(point_api=Transform("point", settings.API_SRID)).select_related("unit", "waterway")


class MyTasks(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProblemSerializer(many=True))
    def get(self, request):
        """What waits for this login: a unit's assigned work, resolutions to verify, reports to accept."""
        today = timezone.localdate()
        rows = _with_points(tasks_of(request.user, today))[:200]
        return Response(ProblemSerializer(rows, many=True, context={"today": today}).data)


class Figures(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[FigureParams], responses={200: None})
    def get(self, request):
        """Found, accepted, fixed, closed-not-fixed, open, overdue, on-time rate, median days to fix and
        reopens, per unit, category or waterway (docs: problems/figures.py)."""
        if not people_selectors.is_office_staff(request.user) and not people_selectors.chief_scope(
                people_selectors.person_of(request.user)):
            raise PermissionDenied(_("统计数字仅供河长和河长办查看。"))
        params = FigureParams.read(request.query_params)
        rows = figures(start=params["start"], end=params["end"], today=timezone.localdate(), by=params.get("by"))
        return Response({"start": params["start"], "end": params["end"], "by": params.get("by"), "rows": rows})


class MyNotices(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: None})
    def get(self, request):
        """This login's notices (daily digests, endings of what they reported), newest first."""
        rows = Notice.objects.filter(user=request.user).order_by("-created_at", "-id")[:50]
        return Response([{"id": n.id, "kind": n.kind, "day": n.day, "subject": n.subject, "body": n.body,
                          "problem": n.problem_id, "read": n.read_at is not None} for n in rows])


class UnitList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: None})
    def get(self, request):
        """The responsible units in use."""
        return Response([{"id": u.id, "name": u.name, "kind": u.kind, "kind_display": u.get_kind_display()}
                         for u in ResponsibleUnit.objects.filter(is_active=True)])

