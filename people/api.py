"""People, for picking companions and for reviewers. Phone numbers only for staff and the person."""

from axes.helpers import get_cool_off
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .params import PeopleParams
from .models import Person


class LoginLockedOut(APIException):
    """429: too many failed logins for this username or from this address (django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, request):
        cool_off = get_cool_off(request)
        self.wait = int(cool_off.total_seconds()) if cool_off else None  # DRF sends it as Retry-After
        if cool_off:
            message = _("登录失败次数太多，账号或本机地址已暂时锁定，请 %(minutes)s 分钟后再试，或联系河长办工作人员解锁。") % {
                "minutes": round(cool_off.total_seconds() / 60)}
        else:
            message = _("登录失败次数太多，账号或本机地址已锁定，请联系河长办工作人员解锁。")
        super().__init__({"detail": message, "code": self.default_code})


class ObtainToken(ObtainAuthToken):
    """POST username and password, get a token for scripts (header `Authorization: Token …`).
    Throttled per client address, so passwords cannot be guessed at speed; and like the login page,
    locked for a while after too many wrong passwords for one username or from one address:
    429 `{"detail": …, "code": "locked_out"}` with Retry-After."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # authenticate() got this DRF request, so django-axes flags the lockout on it; its
            # middleware only looks at the Django request underneath, so the answer is given here.
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(request) from None
            raise


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

    @extend_schema(parameters=[PeopleParams], responses=PersonSerializer(many=True))
    def get(self, request):
        params = PeopleParams.read(request.query_params)
        people = selectors.people_visible_to(request.user)
        if params["teammates"]:
            people = people.filter(id__in=selectors.teammate_ids(selectors.person_of(request.user)))
        if params.get("q"):
            people = people.filter(name__contains=params["q"])
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
