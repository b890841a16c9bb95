"""The closed-loop problem list (问题清单 + 闭环): problems, their categories' settings, the units
responsible for them, the append-only events that move them, their photos, re-inspections and the
working-day calendar their deadlines count in.

A problem's current state is its last event's `to_state`; `Problem.state` keeps a copy for lists and
figures, written only by problems.services in the same transaction as the event (a test compares them)."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _

from riverwatch.dates import FIRST_DAY, LAST_DAY


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday week: a public holiday (放假, also when it falls on a
    weekday) or a weekend day worked in exchange (调休上班). The State Council publishes each year's in
    November; staff enter the next year's here when it is out."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=32, help_text=_("如：春节、国庆节"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.name} {self.get_kind_display()}"

    def clean(self):
        if self.kind == self.Kind.WORKDAY and self.day and self.day.weekday() < 5:
            raise ValidationError({"kind": _("周一至周五本来就是工作日；“调休上班”只用于周六、周日。")})


class Category(models.TextChoices):
    """What the phone sends (the field API's `category`); each has its settings row (CategorySetting)."""

    GARBAGE = "garbage", _("垃圾漂浮物")
    SEWAGE = "sewage", _("污水直排")
    DUMPING = "dumping", _("乱堆乱倒")
    ENCROACHMENT = "encroachment", _("乱占乱建")
    SAND_MINING = "sand_mining", _("非法采砂")
    WATER_QUALITY = "water_quality", _("水质异常（发黑发臭、死鱼）")
    FACILITY = "facility", _("设施损坏")
    OTHER = "other", _("其他")


class ResponsibleUnit(models.Model):
    """A unit that answers for problems (责任单位): a department, a town or street, a village or
    community, or another body. Its members act for it; its supervisor hears when it runs late."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("区直部门")
        TOWN = "town", _("镇/街道")
        VILLAGE = "village", _("村/社区")
        OTHER = "other", _("其他单位")

    name = models.CharField(_("名称"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    town = models.ForeignKey(
        "waterways.Town", null=True, blank=True, on_delete=models.SET_NULL, related_name="units",
        verbose_name=_("所属镇/街道"), help_text=_("镇/街道单位填本镇；村/社区单位填所在镇。"),
    )
    village = models.ForeignKey(
        "waterways.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="units",
        verbose_name=_("村/社区"),
    )
    area = models.MultiPolygonField(
        _("辖区范围"), srid=settings.GIS_SRID, null=True, blank=True, spatial_index=False,
        help_text=_("可选。画出辖区后，落在范围内的问题会推荐给本单位。"),
    )
    members = models.ManyToManyField(
        "people.Person", blank=True, related_name="units", verbose_name=_("成员"),
        help_text=_("可以代表本单位处理、办结问题的人。"),
    )
    supervisor = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="supervised_units",
        verbose_name=_("分管领导"), help_text=_("问题逾期时升级提醒此人；不填则升级到区河长办。"),
    )
    email = models.EmailField(_("单位邮箱"), blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        indexes = [GistIndex(fields=["area"], name="unit_area_gist")]
        constraints = [
            models.CheckConstraint(condition=Q(area__isnull=True) | Q(area__isvalid=True), name="unit_area_valid"),
        ]

    def __str__(self):
        return self.name


class CategorySetting(models.Model):
    """A category's default deadline and unit: settings the office edits, since no national rule fixes them."""

    category = models.CharField(_("问题类别"), max_length=16, choices=Category.choices, unique=True)
    deadline_days = models.PositiveSmallIntegerField(
        _("默认办理时限（工作日）"), default=5, validators=[MinValueValidator(1), MaxValueValidator(250)],
    )
    default_unit = models.ForeignKey(
        ResponsibleUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("默认责任单位"),
    )
    route_by_place = models.BooleanField(
        _("按地点推荐"), default=True,
        help_text=_("勾选：先推荐问题所在辖区或河道河长所在的单位，找不到再用默认单位；不勾选：总是推荐默认单位（如专业部门）。"),
    )

    class Meta:
        ordering = ["category"]
        verbose_name = _("问题类别设置")
        verbose_name_plural = _("问题类别设置")

    def __str__(self):
        return self.get_category_display()


class State(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    ASSIGNED = "assigned", _("已交办")
    IN_PROGRESS = "in_progress", _("处理中")
    RESOLVED = "resolved", _("已办结待核验")
    CLOSED = "closed", _("已关闭")


# Before resolution a problem can run late; after it, the unit has done its part.
OPEN_STATES = [State.REPORTED, State.ACCEPTED, State.ASSIGNED, State.IN_PROGRESS, State.RESOLVED]
UNRESOLVED_STATES = [State.ACCEPTED, State.ASSIGNED, State.IN_PROGRESS]


def supervised_first():
    """The list's first sort key: 0 for a supervised (督办) problem still open, else 1. One expression
    for selectors.LIST_ORDER and the indexes problem_list_order and problem_state_list_order, which the
    planner uses only when they say exactly what the query says. Written as the migration writes it
    (lookups in name order, no output_field), or makemigrations would find the indexes changed every time."""
    return Case(When(state__in=OPEN_STATES, supervised_at__isnull=False, then=0), default=1)


class Ending(models.TextChoices):
    FIXED = "fixed", _("已解决")
    NOT_FIXED = "not_fixed", _("关闭未解决")
    DUPLICATE = "duplicate", _("重复问题")
    INVALID = "invalid", _("无效问题")


class NotFixedReason(models.TextChoices):
    NOT_OURS = "not_ours", _("不属于职责范围")
    NO_ACTION = "no_action", _("无法进一步处理")
    REFERRED = "referred", _("已移交其他部门")


class Source(models.TextChoices):
    PATROL = "patrol", _("巡河/清理中发现")
    PHONE = "phone", _("手机单独上报")
    HOTLINE = "hotline", _("热线电话")
    INSPECTION = "inspection", _("督查检查")
    DEPUTY = "deputy", _("人大代表建议")
    PUBLIC = "public", _("群众扫码上报")
    OPEN311 = "open311", _("外部系统（Open311）")


# Reports from outside (a QR scan, another system's key): claims until the office accepts them.
UNVETTED_SOURCES = (Source.PUBLIC, Source.OPEN311)


def _same(one: Q, other: Q) -> Q:
    """Both hold or neither: for constraints that tie two fields together."""
    return (one & other) | (~one & ~other)


class Problem(models.Model):
    category = models.CharField(_("问题类别"), max_length=16, choices=Category.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    note = models.TextField(_("问题描述"), blank=True)
    point = models.PointField(_("位置"), srid=settings.GIS_SRID, null=True, blank=True, spatial_index=False)
    observed_at = models.DateTimeField(_("发现时间"))
    waterway = models.ForeignKey(
        "waterways.Waterway", null=True, blank=True, on_delete=models.SET_NULL, related_name="problems",
        verbose_name=_("河流/支沟"),
    )
    position_m = models.FloatField(_("距源头（米）"), null=True, blank=True)
    # A phone's own id for the problem: the same submission sent twice is stored once.
    client_uuid = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4)
    activity = models.ForeignKey(
        "patrols.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="problems",
        verbose_name=_("活动"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("登记人"),
    )
    deputy = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="suggestions",
        verbose_name=_("提出建议的代表"),
    )
    # A member of the public: a phone number for the reply (only staff see it) and the code they track it by.
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    tracking_code = models.CharField(_("查询码"), max_length=16, null=True, blank=True, unique=True)

    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REPORTED)
    ending = models.CharField(_("结果"), max_length=16, choices=Ending.choices, blank=True)
    not_fixed_reason = models.CharField(_("未解决原因"), max_length=16, choices=NotFixedReason.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates", verbose_name=_("重复于"),
    )
    unit = models.ForeignKey(
        ResponsibleUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="problems",
        verbose_name=_("责任单位"),
    )
    deadline = models.DateField(_("办理期限"), null=True, blank=True)
    # The on-time rate is measured against the deadline first given, so a later supervision or
    # reassignment that moves `deadline` cannot turn a late item into an on-time one.
    first_deadline = models.DateField(
        _("首次办理期限"), null=True, blank=True, editable=False,
        help_text=_("第一次交办时定下的期限。按时办结率按它计算，督办或改派定下的新期限不改变它。"),
    )
    supervised_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("逾期升级时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("升级给"), help_text=_("空：升级到区河长办。"),
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("办结人"),
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重新打开次数"), default=0)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["observed_at", "id"]
        verbose_name = _("问题")
        verbose_name_plural = _("问题清单")
        indexes = [
            GistIndex(fields=["point"], name="problem_point_gist"),
            models.Index(fields=["observed_at"], name="problem_observed"),
            models.Index(fields=["state", "deadline"], name="problem_state_deadline"),
            models.Index(fields=["unit", "state"], name="problem_unit_state"),
            # The list's order (selectors.LIST_ORDER), so a page is read from the index instead of
            # sorting every problem that passes the filters; and the same after the state, for a list
            # of one state (reported and accepted ones have no deadline yet: they sort last in the first).
            models.Index(supervised_first(), F("deadline").asc(nulls_last=True), F("observed_at").desc(), F("id").desc(),
                         name="problem_list_order"),
            models.Index(F("state"), supervised_first(), F("deadline").asc(nulls_last=True), F("observed_at").desc(),
                         F("id").desc(), name="problem_state_list_order"),
            # The supervised (督办) filter and count: a few hundred rows out of the whole list.
            models.Index(fields=["supervised_at"], condition=Q(supervised_at__isnull=False), name="problem_supervised"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(point__isnull=True) | Q(point__isvalid=True), name="problem_point_valid"),
            models.CheckConstraint(
                condition=Q(observed_at__date__gte=FIRST_DAY, observed_at__date__lte=LAST_DAY),
                name="problem_observed_at_in_range",
            ),
            # An ending exactly when closed; a reason exactly when closed unfixed; a duplicate names its survivor.
            models.CheckConstraint(condition=_same(Q(state=State.CLOSED), ~Q(ending="")), name="problem_ending_when_closed"),
            models.CheckConstraint(
                condition=_same(Q(ending=Ending.NOT_FIXED), ~Q(not_fixed_reason="")), name="problem_reason_when_not_fixed",
            ),
            models.CheckConstraint(
                condition=_same(Q(ending=Ending.DUPLICATE), Q(duplicate_of__isnull=False)), name="problem_duplicate_names_original",
            ),
            models.CheckConstraint(condition=~Q(duplicate_of=models.F("id")), name="problem_not_own_duplicate"),
            models.CheckConstraint(condition=_same(Q(source=Source.DEPUTY), Q(deputy__isnull=False)), name="problem_deputy_names_deputy"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_category_display()}"

    @property
    def is_open(self):
        return self.state != State.CLOSED


class Action(models.TextChoices):
    """The moves an event records (problems.lifecycle says who may make each)."""

    REPORT = "report", _("上报")
    ACCEPT = "accept", _("受理")
    REJECT = "reject", _("认定无效")
    MERGE = "merge", _("合并为重复")
    ASSIGN = "assign", _("交办")
    START = "start", _("开始处理")
    RESOLVE = "resolve", _("办结")
    VERIFY = "verify", _("核验通过")
    SEND_BACK = "send_back", _("退回重办")
    CLOSE_NOT_FIXED = "close_not_fixed", _("关闭（未解决）")
    REOPEN = "reopen", _("重新打开")
    SUPERVISE = "supervise", _("督办")
    ESCALATE = "escalate", _("逾期升级")
    REINSPECT = "reinspect", _("回头看")
    COMMENT = "comment", _("备注")


class ProblemEvent(models.Model):
    """One move, never edited (a database trigger refuses to change what it records; only anonymising
    a person may replace their name in its text): who, when, from, to, note, photos."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events", verbose_name=_("问题"))
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("操作人"), help_text=_("空：系统（如逾期升级）或群众。"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    from_state = models.CharField(_("原状态"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=State.choices)
    note = models.TextField(_("说明"), blank=True)
    unit = models.ForeignKey(
        ResponsibleUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位"),
    )
    deadline = models.DateField(_("期限"), null=True, blank=True)
    # The key a phone's outbox gives a move: sent again after a lost answer, it finds this event
    # instead of making the move twice.
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("问题处理记录")
        verbose_name_plural = _("问题处理记录")
        indexes = [models.Index(fields=["problem", "at"], name="problem_event_problem_at")]

    def __str__(self):
        return f"#{self.problem_id} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


def problem_photo_path(instance, filename):
    return f"problems/{instance.problem_id}/{filename}"


class ProblemPhoto(models.Model):
    """A photo of a problem that came with no activity: from the public, or as evidence of an event
    (a resolution needs one). A patrol's photos of its problem stay with the activity (patrols.Photo)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="own_photos", verbose_name=_("问题"))
    event = models.ForeignKey(
        ProblemEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos", verbose_name=_("处理记录"),
    )
    image = models.ImageField(_("照片"), upload_to=problem_photo_path)
    thumbnail = models.ImageField(_("缩略图"), upload_to=problem_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["problem_id", "id"]
        verbose_name = _("问题照片")
        verbose_name_plural = _("问题照片")
        constraints = [models.UniqueConstraint(fields=["problem", "sha256"], name="problem_photo_once")]


class FollowUp(models.Model):
    """A quarter's re-inspection (回头看) of a problem fixed in it. A failed one reopens the problem."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("问题"))
    quarter = models.CharField(_("季度"), max_length=7, help_text=_("如 2026Q4"))
    due = models.DateField(_("完成期限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    passed = models.BooleanField(_("合格"), null=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["due", "id"]
        verbose_name = _("回头看")
        verbose_name_plural = _("回头看")
        constraints = [models.UniqueConstraint(fields=["problem", "quarter"], name="follow_up_once_per_quarter")]


class Notice(models.Model):
    """A message to a login, shown in the app and e-mailed: the day's digest of what is due and
    overdue, a problem's ending for everyone who reported it, a reminder to an inactive deputy.
    One digest per login and day: running the daily command twice sends nothing twice."""

    class Kind(models.TextChoices):
        DIGEST = "digest", _("每日待办")
        ENDING = "ending", _("办理结果")
        ESCALATION = "escalation", _("逾期升级")
        INACTIVE = "inactive", _("履职提醒")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("用户"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    day = models.DateField(_("日期"))
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("问题"))
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], condition=Q(kind="digest"), name="notice_one_digest_a_day"),
            models.UniqueConstraint(fields=["user", "day"], condition=Q(kind="inactive"), name="notice_one_nudge_a_day"),
        ]

    def __str__(self):
        return self.subject
