"""People, for picking companions and for reviewers. Phone numbers only for staff and the person."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .models import Person


class ObtainToken(ObtainAuthToken):
    """POST username and password, get a token for scripts (header `Authorization: Token …`).
    Throttled per client address, so passwords cannot be guessed at speed."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


class PersonSerializer(drf.ModelSerializer):
    role_display = drf.CharField(source="get_role_display")
    level_display = drf.CharField(source="get_level_display")
    town = drf.CharField(source="town.name", default=None)
    village = drf.CharField(source="village.name", default=None)
    phone = drf.SerializerMethodField(help_text=_("仅工作人员和本人可见，其他人看到 null"))

    class Meta:
        model = Person
        fields = ["id", "name", "role", "role_display", "level", "level_display", "town", "village", "phone"]

    def get_phone(self, person) -> str | None:
        viewer = self.context["request"].user
        return person.phone if selectors.may_see_phone(viewer, person) else None


class PeoplePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class PersonList(APIView):
    """People in the register. `?teammates=1`: only people who share a team with you (companions)."""

    @extend_schema(
        parameters=[OpenApiParameter("teammates", bool), OpenApiParameter("q", str, description=_("按姓名查找"))],
        responses=PersonSerializer(many=True),
    )
    def get(self, request):
        people = selectors.people_visible_to(request.user)
        if request.query_params.get("teammates") in ("1", "true"):
            people = people.filter(id__in=selectors.teammate_ids(selectors.person_of(request.user)))
        if request.query_params.get("q"):
            people = people.filter(name__contains=request.query_params["q"][:64])
        paginator = PeoplePagination()
        page = paginator.paginate_queryset(people.order_by("name", "id"), request, view=self)
        return paginator.get_paginated_response(PersonSerializer(page, many=True, context={"request": request}).data)


class PersonDetail(APIView):
    @extend_schema(responses=PersonSerializer)
    def get(self, request, pk):
        person = selectors.people_visible_to(request.user).filter(pk=pk).first()
        if person is None:
            raise NotFound(_("没有这个人员。"))
        return Response(PersonSerializer(person, context={"request": request}).data)
