"""The points scheme (积分制): rules anyone can read, an append-only ledger whose sums are the
balances, and the catalogue people redeem points from. How it works: docs/points.md."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from riverwatch.dates import FIRST_DAY, LAST_DAY

# Points are kept to one decimal (0.1 kg of debris at 1 point a kg is worth showing).
POINTS = {"max_digits": 10, "decimal_places": 1}
ZERO = Decimal("0.0")


class Measure(models.TextChoices):
    """What a rule counts. The first three are measured on a verified activity, per person counted
    on it; the last two on a problem the person reported."""

    HOURS = "hours", _("服务时长（每小时）")
    ACTIVITY = "activity", _("参加活动（每次）")
    DEBRIS_KG = "debris_kg", _("清理垃圾（每公斤，参加者平分）")
    PROBLEM_ACCEPTED = "problem_accepted", _("上报的问题被受理（每件）")
    PROBLEM_FIXED = "problem_fixed", _("上报的问题已解决（每件）")


ACTIVITY_MEASURES = frozenset({Measure.HOURS, Measure.ACTIVITY, Measure.DEBRIS_KG})
PROBLEM_MEASURES = frozenset({Measure.PROBLEM_ACCEPTED, Measure.PROBLEM_FIXED})


class Rule(models.Model):
    """Points for one kind of contribution, in force over a period of contribution days. A rule that
    has earned anything is never changed but by ending it (rules.py): a new rule from a later day
    takes over, so nobody's earlier points change meaning."""

    name = models.CharField(_("名称"), max_length=64)
    measure = models.CharField(_("计分依据"), max_length=24, choices=Measure.choices)
    points_per_unit = models.DecimalField(
        _("每单位积分"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("如每小时 1 分、每次活动 2 分、每公斤垃圾 0.1 分。"),
    )
    activity_kinds = ArrayField(
        models.CharField(max_length=24), blank=True, default=list, verbose_name=_("适用活动类型"),
        help_text=_("只对这些活动类型计分；留空：所有计入服务记录的类型。问题类规则不看此项。"),
    )
    cap_per_activity = models.DecimalField(
        _("每次活动上限（单位）"), max_digits=7, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("一次活动最多计多少单位，如“最多计 2 小时”。留空：不设上限。"),
    )
    cap_per_day = models.DecimalField(
        _("每人每日上限（积分）"), max_digits=7, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("同一人同一天按本规则最多得多少分。留空：不设上限。"),
    )
    effective_from = models.DateField(
        _("生效日期"), validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        help_text=_("对这一天及以后的服务（活动开始日、问题发现日）计分。不能早于今天：规则不追溯。"),
    )
    effective_until = models.DateField(
        _("失效日期"), null=True, blank=True, validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        help_text=_("最后一个计分的日子；留空：长期有效。修改规则：给旧规则填失效日期，再新增一条从次日生效的规则。"),
    )
    description = models.TextField(_("说明"), blank=True, help_text=_("在积分规则页面上向所有人展示。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["effective_from", "id"]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=F("effective_from")),
                name="points_rule_period",
            ),
            models.CheckConstraint(condition=Q(points_per_unit__gt=0), name="points_rule_positive"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from patrols.models import KINDS_WITHOUT_SERVICE, Activity

        earning = {kind for kind in Activity.Kind.values if kind not in KINDS_WITHOUT_SERVICE}
        unknown = [kind for kind in self.activity_kinds if kind not in earning]
        if unknown:
            raise ValidationError({"activity_kinds": _("这些活动类型不计服务记录，不能计分：%(kinds)s。") % {
                "kinds": "、".join(unknown)}})

    def in_force_on(self, day) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)


class Scheme(models.Model):
    """The scheme's settings: one row (pk 1), edited in the admin."""

    yearly_expiry = models.BooleanField(
        _("积分每年 12 月 31 日清零"), default=False,
        help_text=_("开启后，每年 1 月 1 日（manage.py expire_points）清零上一年底的余额。兑换积分不影响服务时长。"),
    )

    class Meta:
        verbose_name = _("积分制设置")
        verbose_name_plural = _("积分制设置")

    def __str__(self):
        return str(_("积分制设置"))

    @classmethod
    def current(cls):
        scheme, _created = cls.objects.get_or_create(pk=1)
        return scheme


class Item(models.Model):
    """A thing in the points shop (积分超市)."""

    name = models.CharField(_("名称"), max_length=64)
    description = models.CharField(_("说明"), max_length=255, blank=True)
    price = models.PositiveIntegerField(_("所需积分"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("库存"), default=0)
    is_active = models.BooleanField(_("上架"), default=True)

    class Meta:
        ordering = ["price", "name"]
        verbose_name = _("兑换物品")
        verbose_name_plural = _("兑换物品")
        constraints = [models.CheckConstraint(condition=Q(price__gte=1), name="points_item_price_positive")]

    def __str__(self):
        return self.name


class Redemption(models.Model):
    """Points spent on an item at a service point, recorded by staff. Spending points never reduces
    the service hours a person has on record."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("人员"))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("物品"))
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1), MaxValueValidator(1000)])
    points = models.PositiveIntegerField(_("消耗积分"))
    place = models.CharField(_("兑换点"), max_length=64)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    at = models.DateTimeField(_("兑换时间"))
    # A form or a script sends its key once more after a lost answer: the redemption is made once.
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="points_redemption_quantity")]

    def __str__(self):
        return f"{self.person} · {self.item} × {self.quantity}"


class Entry(models.Model):
    """One line of the ledger, never edited or deleted (a database trigger refuses it: migration
    0001): a balance is the sum of a person's entries."""

    class Kind(models.TextChoices):
        CREDIT = "credit", _("获得")
        REVERSAL = "reversal", _("冲销")
        ADJUSTMENT = "adjustment", _("人工调整")
        REDEMPTION = "redemption", _("兑换")
        EXPIRY = "expiry", _("年度清零")

    class Cause(models.TextChoices):
        """The event that made the entry (a staff member's own act names them in made_by)."""

        ACTIVITY_VERIFIED = "activity_verified", _("活动审核通过")
        ACTIVITY_REJECTED = "activity_rejected", _("活动被驳回")
        PARTICIPANT_REMOVED = "participant_removed", _("参与人员被移除")
        PROBLEM_ACCEPTED = "problem_accepted", _("问题被受理")
        PROBLEM_FIXED = "problem_fixed", _("问题核验解决")
        PROBLEM_UNDONE = "problem_undone", _("问题被认定无效、合并或重新打开")
        STAFF = "staff", _("工作人员操作")
        YEAR_END = "year_end", _("年度清零")

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="point_entries", verbose_name=_("人员"))
    amount = models.DecimalField(_("积分"), **POINTS)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("原因"), max_length=255)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.PROTECT, related_name="entries", verbose_name=_("规则"))
    activity = models.ForeignKey(
        "patrols.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="point_entries",
        verbose_name=_("活动"),
    )
    # The service record credited (a removed participant's record is deleted: the id stays as the key's part).
    service_record_id = models.BigIntegerField(null=True, blank=True, editable=False)
    problem = models.ForeignKey(
        "problems.Problem", null=True, blank=True, on_delete=models.PROTECT, related_name="point_entries",
        verbose_name=_("问题"),
    )
    redemption = models.OneToOneField(
        Redemption, null=True, blank=True, on_delete=models.PROTECT, related_name="entry", verbose_name=_("兑换"),
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("冲销的记录"),
    )
    cause = models.CharField(_("触发事件"), max_length=24, choices=Cause.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("操作人"), help_text=_("审核人、核验人或经办的工作人员；空：系统。"),
    )
    # The day the contribution was made (an activity's start, a problem's finding): daily caps and
    # the boards count by it; for spending and adjustments, the day it happened.
    earned_on = models.DateField(_("所属日期"))
    at = models.DateTimeField(_("记账时间"))
    # What makes an entry once: the same event heard twice (a signal resent, a retry) meets this key.
    key = models.CharField(max_length=96, unique=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")
        indexes = [
            models.Index(fields=["person", "at"], name="points_entry_person_at"),
            models.Index(fields=["earned_on", "person"], name="points_entry_earned"),
            models.Index(fields=["person", "rule", "earned_on"], name="points_entry_daily_cap"),
        ]
        constraints = [
            # Earning and spending have their sign; an adjustment or a reversal may go either way.
            models.CheckConstraint(
                condition=~Q(kind__in=["credit"]) | Q(amount__gte=0), name="points_credit_not_negative"),
            models.CheckConstraint(
                condition=~Q(kind__in=["redemption", "expiry"]) | Q(amount__lt=0), name="points_spending_negative"),
            models.CheckConstraint(condition=~Q(kind="reversal") | Q(reverses__isnull=False), name="points_reversal_names_entry"),
            models.CheckConstraint(condition=~Q(kind="redemption") | Q(redemption__isnull=False), name="points_redemption_named"),
            models.CheckConstraint(condition=~Q(kind="adjustment") | Q(made_by__isnull=False), name="points_adjustment_by_staff"),
            models.CheckConstraint(condition=~Q(reason=""), name="points_entry_has_reason"),
        ]

    def __str__(self):
        return f"{self.person} {self.amount:+} · {self.reason}"
