"""How a problem is shown (the API; the pages read the same fields)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers as drf

from people import selectors as people_selectors

from . import lifecycle, selectors
from .models import Problem, ProblemEvent


def lonlat(point):
    return [round(point.x, 6), round(point.y, 6)] if point is not None else None


class EventSerializer(drf.ModelSerializer):
    action_display = drf.CharField(source="get_action_display")
    unit_name = drf.CharField(source="unit.name", default=None, allow_null=True)
    photo_urls = drf.SerializerMethodField()

    class Meta:
        model = ProblemEvent
        fields = ["id", "at", "actor_name", "action", "action_display", "from_state", "to_state", "note", "unit_name",
                  "deadline", "photo_urls"]

    def get_photo_urls(self, event) -> list[str]:
        return [reverse("problem-photo", args=[event.problem_id, photo.pk, "thumb"]) for photo in event.photos.all()]


class ProblemSerializer(drf.ModelSerializer):
    category_display = drf.CharField(source="get_category_display")
    state_display = drf.CharField(source="get_state_display")
    ending_display = drf.CharField(source="get_ending_display")
    source_display = drf.CharField(source="get_source_display")
    point = drf.SerializerMethodField(help_text=_("[经度, 纬度]"))
    waterway_code = drf.CharField(source="waterway.code", default=None, allow_null=True)
    waterway_name = drf.CharField(source="waterway.name", default=None, allow_null=True)
    unit_name = drf.CharField(source="unit.name", default=None, allow_null=True)
    overdue = drf.SerializerMethodField()
    days_left = drf.SerializerMethodField(help_text=_("距期限的天数；负数为逾期天数"))
    supervised = drf.SerializerMethodField()
    url = drf.SerializerMethodField()

    class Meta:
        model = Problem
        fields = ["id", "category", "category_display", "source", "source_display", "note", "point", "observed_at",
                  "waterway_code", "waterway_name", "state", "state_display", "ending", "ending_display",
                  "not_fixed_reason", "duplicate_of", "unit", "unit_name", "deadline", "overdue", "days_left",
                  "supervised", "escalated_at", "accepted_at", "resolved_at", "closed_at", "reopen_count", "activity",
                  "url"]

    def _today(self):
        return self.context.get("today") or timezone.localdate()

    def get_point(self, problem) -> list[float] | None:
        return lonlat(getattr(problem, "point_api", None))

    def get_overdue(self, problem) -> bool:
        return selectors.is_overdue(problem, self._today())

    def get_days_left(self, problem) -> int | None:
        return selectors.days_left(problem, self._today())

    def get_supervised(self, problem) -> bool:
        return problem.supervised_at is not None

    def get_url(self, problem) -> str:
        return reverse("problem-detail", args=[problem.pk])


class ProblemDetailSerializer(ProblemSerializer):
    events = EventSerializer(many=True)
    allowed_actions = drf.SerializerMethodField()
    contact_phone = drf.SerializerMethodField(help_text=_("群众留下的电话，仅工作人员可见"))
    photo_urls = drf.SerializerMethodField()

    class Meta(ProblemSerializer.Meta):
        fields = ProblemSerializer.Meta.fields + ["events", "allowed_actions", "contact_phone", "photo_urls"]

    def get_allowed_actions(self, problem) -> list[str]:
        return lifecycle.allowed_actions(self.context["request"].user, problem)

    def get_contact_phone(self, problem) -> str | None:
        return problem.contact_phone if people_selectors.is_office_staff(self.context["request"].user) else None

    def get_photo_urls(self, problem) -> list[str]:
        own = [reverse("problem-photo", args=[problem.pk, photo.pk, "thumb"]) for photo in problem.own_photos.all()]
        patrol = [reverse("activity-photo", args=[photo.activity_id, photo.pk, "thumb"]) for photo in problem.photos.all()]
        return own + patrol


class NewProblemSerializer(drf.Serializer):
    """What the office enters: a hotline call, an inspection, or a deputy's suggestion."""

    category = drf.ChoiceField(choices=Problem._meta.get_field("category").choices)
    source = drf.ChoiceField(choices=[("hotline", _("热线电话")), ("inspection", _("督查检查")), ("deputy", _("人大代表建议"))])
    note = drf.CharField(max_length=4000)
    point = drf.ListField(child=drf.FloatField(), min_length=2, max_length=2, required=False, allow_null=True,
                          help_text=_("[经度, 纬度]"))
    observed_at = drf.DateTimeField(required=False)
    deputy = drf.IntegerField(required=False, min_value=1, help_text=_("提出建议的代表（人员编号）"))


class DuplicateCandidateSerializer(drf.ModelSerializer):
    """A possible duplicate as anyone about to report may see it: what, how it stands, which day, which
    waterway and how far. The distance to the metre and the page only for those who may read the
    problem itself; to others to the nearest 10 m. Never its description or reporter."""

    category_display = drf.CharField(source="get_category_display")
    state_display = drf.CharField(source="get_state_display")
    observed_on = drf.SerializerMethodField(help_text=_("发现日期（区内时间）"))
    waterway_name = drf.CharField(source="waterway.name", default=None, allow_null=True)
    distance_m = drf.SerializerMethodField(help_text=_("与所报位置的距离（米）"))
    url = drf.SerializerMethodField(help_text=_("问题页面；无权查看时为空"))

    class Meta:
        model = Problem
        fields = ["id", "category", "category_display", "state", "state_display", "observed_on", "waterway_name",
                  "distance_m", "url"]

    def get_observed_on(self, problem) -> str:
        return timezone.localtime(problem.observed_at).date().isoformat()

    def get_distance_m(self, problem) -> float:
        if problem.pk in self.context["readable_ids"]:
            return round(problem.distance.m, 1)
        return float(max(10, round(problem.distance.m, -1)))

    def get_url(self, problem) -> str | None:
        return reverse("problem-detail", args=[problem.pk]) if problem.pk in self.context["readable_ids"] else None


class MoveSerializer(drf.Serializer):
    action = drf.ChoiceField(choices=list(lifecycle.MOVES))
    note = drf.CharField(required=False, allow_blank=True, max_length=4000, default="")
    unit = drf.IntegerField(required=False, min_value=1)
    deadline = drf.DateField(required=False)
    reason = drf.CharField(required=False, allow_blank=True, max_length=16, default="")
    duplicate_of = drf.IntegerField(required=False, min_value=1)
    passed = drf.BooleanField(required=False, allow_null=True, default=None)
    photos = drf.ListField(child=drf.FileField(allow_empty_file=False), required=False, max_length=6)
    photo_ids = drf.ListField(
        child=drf.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=6,
        help_text=_("办结时作为凭证的、预先上传到 /api/problems/<id>/photos/ 的照片编号；不填则取本人预先上传、"
                    "尚未用过的全部照片。"))
    client_uuid = drf.UUIDField(
        required=False, allow_null=True, default=None,
        help_text=_("手机为这次操作生成的编号：没收到回复而重发时，只办一次并得到同样的回复；同一编号用于别的操作则返回 409。"))


class DuplicateQuerySerializer(drf.Serializer):
    category = drf.ChoiceField(choices=Problem._meta.get_field("category").choices)
    lon = drf.FloatField(min_value=-180, max_value=180)
    lat = drf.FloatField(min_value=-90, max_value=90)


class StateCountSerializer(drf.Serializer):
    state = drf.CharField()
    label = drf.CharField()
    count = drf.IntegerField()


class CountsSerializer(drf.Serializer):
    states = StateCountSerializer(many=True)
    overdue = drf.IntegerField()
    supervised = drf.IntegerField()


class ProblemPageSerializer(drf.Serializer):
    """A page of the list, with the counts by state the list shows at its head."""

    count = drf.IntegerField()
    next = drf.URLField(allow_null=True)
    previous = drf.URLField(allow_null=True)
    results = ProblemSerializer(many=True)
    counts = CountsSerializer()
