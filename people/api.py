"""People, for picking companions and for reviewers. Phone numbers only for staff and the person."""

from datetime import timedelta

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LoginView as KnoxLoginView
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from riverwatch.client_address import client_address

from . import selectors, services
from .models import Person
from .params import PeopleParams


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


class LoginThrottle(ScopedRateThrottle):
    """Counts per client address as the login lockout does (riverwatch.client_address: the address
    our own proxies saw, never what the client wrote in X-Forwarded-For). The counts are kept in the
    default cache, which is in the database (settings.CACHES), so every worker counts the same."""

    def get_ident(self, request):
        return client_address(request) or super().get_ident(request)


class CredentialsSerializer(drf.Serializer):
    # No longer than a username can be: the login lockout records the name of every failed attempt.
    username = drf.CharField(label=gettext_lazy("用户名"), write_only=True,
                             max_length=get_user_model()._meta.get_field("username").max_length)
    password = drf.CharField(label=gettext_lazy("密码"), write_only=True, trim_whitespace=False, max_length=4096,
                             style={"input_type": "password"})

    def validate(self, attrs):
        # authenticate() goes through django-axes, which counts a failure and flags a lockout.
        user = authenticate(request=self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:
            raise drf.ValidationError(_("用户名或密码不正确。"), code="authorization")
        attrs["user"] = user
        return attrs


class IssuedTokenSerializer(drf.Serializer):
    token = drf.CharField(help_text=gettext_lazy("只在这一次给出，服务器只保存它的摘要。请求头：Authorization: Token …"))
    expiry = drf.DateTimeField(help_text=gettext_lazy("到期时间，之后需要重新获取"))


class ObtainToken(KnoxLoginView):
    """POST username and password (JSON or form), get a token for scripts (header
    `Authorization: Token …`) and its expiry. Every call gives a new token, valid for
    API_TOKEN_TTL_DAYS; the database keeps only its hash. Throttled per client address, so
    passwords cannot be guessed at speed; and like the login page, locked for a while after too many
    wrong passwords for one username or from one address: 429 `{"detail": …, "code": "locked_out"}`
    with Retry-After."""

    # The password in the body is the credential: a stale token or session sent along does not stand
    # in the way of getting a new token.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    def get_token_ttl(self):
        return timedelta(days=settings.API_TOKEN_TTL_DAYS)

    @extend_schema(request=CredentialsSerializer, responses=IssuedTokenSerializer)
    def post(self, request, format=None):
        credentials = CredentialsSerializer(data=request.data, context={"request": request})
        try:
            credentials.is_valid(raise_exception=True)
        except ValidationError:
            # authenticate() got this DRF request, so django-axes flags the lockout on it; its
            # middleware only looks at the Django request underneath, so the answer is given here.
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(request) from None
            raise
        request.user = credentials.validated_data["user"]
        instance, token = self.create_token()
        return self.get_post_response(request, token, instance)


class TokenSerializer(drf.Serializer):
    id = drf.CharField(source="digest", help_text=gettext_lazy("撤销时用：DELETE /api/auth/tokens/<id>/"))
    key_prefix = drf.SerializerMethodField(help_text=gettext_lazy("令牌的开头几位，用来认出是哪一个"))
    created = drf.DateTimeField()
    expiry = drf.DateTimeField()
    current = drf.SerializerMethodField(help_text=gettext_lazy("是否就是这次请求所用的令牌"))

    def get_key_prefix(self, token) -> str:
        return selectors.key_prefix(token)

    def get_current(self, token) -> bool:
        used = self.context["request"].auth
        return isinstance(used, AuthToken) and used.digest == token.digest


class TokenList(APIView):
    """Your own API tokens that still work, newest first: when each was issued, when it expires and
    its first characters. Never the token itself: the server does not have it."""

    @extend_schema(responses=TokenSerializer(many=True))
    def get(self, request):
        return Response(TokenSerializer(selectors.active_tokens(request.user), many=True, context={"request": request}).data)


class TokenRevoke(APIView):
    """Revoke one of your tokens: scripts using it get 401 from then on."""

    @extend_schema(responses={204: None})
    def delete(self, request, token_id):
        if services.revoke_token(user=request.user, token_id=token_id) is None:
            raise NotFound(_("没有这个令牌（可能已过期或已撤销）。"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAll(APIView):
    """Revoke all your tokens at once (a lost laptop, a leaked script). Page logins are not affected."""

    @extend_schema(request=None, responses=inline_serializer("TokensRevoked", {"revoked": drf.IntegerField()}))
    def post(self, request):
        return Response({"revoked": services.revoke_all_tokens(user=request.user)})


class PersonSerializer(drf.ModelSerializer):
    role_display = drf.CharField(source="get_role_display")
    level_display = drf.CharField(source="get_level_display")
    town = drf.CharField(source="town.name", default=None, allow_null=True)
    village = drf.CharField(source="village.name", default=None, allow_null=True)
    phone = drf.SerializerMethodField(help_text=_("仅工作人员和本人可见，其他人看到 null"))

    class Meta:
        model = Person
        fields = ["id", "name", "role", "role_display", "level", "level_display", "town", "village", "phone"]

    def get_phone(self, person) -> str | None:
        viewer = self.context["request"].user
        return person.phone if selectors.may_see_phone(viewer, person) else None


class PersonPageSerializer(drf.Serializer):
    """One page of people, as PeoplePagination answers (for the schema)."""

    count = drf.IntegerField()
    next = drf.URLField(allow_null=True)
    previous = drf.URLField(allow_null=True)
    results = PersonSerializer(many=True)


class PeoplePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class PersonList(APIView):
    """People in the register. `?teammates=1`: only people who share a team with you (companions)."""

    @extend_schema(operation_id="people_list", parameters=[PeopleParams], responses=PersonPageSerializer)
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
