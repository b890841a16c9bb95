"""What a contribution earns: which rules are in force on a day, how many units a person's part
in an activity or a problem is, the caps, and the wording of the reason. The crediting
(services.py) and the pending preview (selectors.py) both ask here, so they never disagree."""

import functools
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from patrols.models import KINDS_WITHOUT_SERVICE

from .models import ZERO, Measure, Rule

TENTH = Decimal("0.1")


def in_force_q(day) -> Q:
    return Q(effective_from__lte=day) & (Q(effective_until__isnull=True) | Q(effective_until__gte=day))


def rules_in_force(day, measures) -> list[Rule]:
    return list(Rule.objects.filter(in_force_q(day), measure__in=list(measures)).order_by("id"))


def activity_units(rule: Rule, activity, record, counted_people: int):
    """(units, capped): the units of `rule` one person's service record earns on an activity after
    the cap per activity, and whether the cap cut them; None when the rule does not apply to it."""
    if activity.kind in KINDS_WITHOUT_SERVICE or (rule.activity_kinds and activity.kind not in rule.activity_kinds):
        return None
    if rule.measure == Measure.HOURS:
        units = Decimal(record.hours)
    elif rule.measure == Measure.ACTIVITY:
        units = Decimal(1)
    elif rule.measure == Measure.DEBRIS_KG:
        if not activity.debris_kg:
            return None
        # The debris is the team's: each person counted on it has an equal share.
        units = Decimal(activity.debris_kg) / max(counted_people, 1)
    else:
        return None
    if units <= 0:
        return None
    if rule.cap_per_activity is not None and units > rule.cap_per_activity:
        return rule.cap_per_activity, True
    return units, False


def points_for(rule: Rule, units) -> Decimal:
    return (Decimal(units) * rule.points_per_unit).quantize(TENTH, rounding=ROUND_HALF_UP)


def within_daily_cap(rule: Rule, amount: Decimal, already_today: Decimal) -> Decimal:
    """What is left of `amount` under the rule's cap for the day, given what the person earned by it that day."""
    if rule.cap_per_day is None:
        return amount
    return max(ZERO, min(amount, rule.cap_per_day - already_today))


def number(value) -> str:
    """1.0 → "1", 2.5 → "2.5": reasons read as people write them."""
    text = format(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize(), "f")
    return text


def in_register_language(build):
    """A reason is stored, not translated on reading: it is written in the register's language
    (settings.LANGUAGE_CODE), whatever language the reviewer's pages are in."""

    @functools.wraps(build)
    def stored(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)

    return stored


@in_register_language
def activity_reason(rule: Rule, activity, units, capped_by_activity: bool, granted, computed) -> str:
    what = {
        Measure.HOURS: _("服务 %(units)s 小时 × %(rate)s 分"),
        Measure.ACTIVITY: _("参加活动 1 次 × %(rate)s 分"),
        Measure.DEBRIS_KG: _("分得清理垃圾 %(units)s 公斤 × %(rate)s 分"),
    }[rule.measure] % {"units": number(units), "rate": number(rule.points_per_unit)}
    parts = [_("%(kind)s #%(id)s 审核通过：%(what)s（%(rule)s）") % {
        "kind": activity.get_kind_display(), "id": activity.pk, "what": what, "rule": rule.name}]
    if capped_by_activity:
        parts.append(_("每次活动最多计 %(cap)s") % {"cap": number(rule.cap_per_activity)})
    if granted < computed:
        parts.append(_("已达每日上限 %(cap)s 分") % {"cap": number(rule.cap_per_day)})
    return "；".join(parts)


@in_register_language
def problem_reason(rule: Rule, problem, granted, computed) -> str:
    text = {
        Measure.PROBLEM_ACCEPTED: _("上报的问题 #%(id)s 被受理（%(rule)s）"),
        Measure.PROBLEM_FIXED: _("上报的问题 #%(id)s 已核验解决（%(rule)s）"),
    }[rule.measure] % {"id": problem.pk, "rule": rule.name}
    if granted < computed:
        text += _("；已达每日上限 %(cap)s 分") % {"cap": number(rule.cap_per_day)}
    return text


@in_register_language
def overturn_reason(activity) -> str:
    return _("%(kind)s #%(id)s 审核结果改为驳回，冲销其积分：%(note)s") % {
        "kind": activity.get_kind_display(), "id": activity.pk, "note": activity.review_note[:120]}


@in_register_language
def removal_reason(activity, why: str) -> str:
    reason = _("从%(kind)s #%(id)s 的参与人员中移除，冲销其积分") % {"kind": activity.get_kind_display(), "id": activity.pk}
    return reason + (_("：%(why)s") % {"why": why[:120]} if why else "")


@in_register_language
def undone_reason(problem, event) -> str:
    return _("问题 #%(id)s %(action)s，冲销相应积分") % {"id": problem.pk, "action": event.get_action_display()}


@in_register_language
def topup_reason(credit) -> str:
    return _("同日其他积分冲销后每日上限腾出空间，补记：%(reason)s") % {"reason": credit.reason[:180]}


@in_register_language
def adjustment_reason(reason: str) -> str:
    return _("人工调整：%(reason)s") % {"reason": reason[:200]}


@in_register_language
def redemption_reason(place: str, item, quantity: int) -> str:
    return _("在%(place)s兑换 %(item)s × %(quantity)s") % {"place": place[:64], "item": item.name, "quantity": quantity}


@in_register_language
def expiry_reason(year: int) -> str:
    return _("%(year)s 年积分年底清零（服务时长记录不受影响）") % {"year": year}


# A rule's fields that decide what a contribution earns. Once the rule is in force, changing them
# would re-price service already done (credited or still waiting for review); only its end may
# move, and not before yesterday.
PRICING_FIELDS = ("measure", "points_per_unit", "activity_kinds", "cap_per_activity", "cap_per_day", "effective_from")


def check_change(*, before: Rule | None, after: Rule, today) -> None:
    """Refuses a rule change that would apply retroactively. `before`: the stored rule, or None for a new one."""
    errors = {}
    in_force_already = before is not None and before.effective_from <= today
    if in_force_already:
        changed = [str(Rule._meta.get_field(name).verbose_name) for name in PRICING_FIELDS
                   if getattr(before, name) != getattr(after, name)]
        if changed:
            errors["__all__"] = _("这条规则自 %(day)s 起已经生效，不能再改%(fields)s：规则不追溯。要改变计分办法，"
                                  "给它填失效日期，再新增一条从次日起生效的规则。") % {
                "day": before.effective_from.isoformat(), "fields": "、".join(changed)}
    elif after.effective_from < today:
        errors["effective_from"] = _("生效日期不能早于今天（%(today)s）：规则不追溯，已经发生的服务按当时的规则计分。") % {
            "today": today.isoformat()}
    yesterday = today - timedelta(days=1)
    moved_end = before is None or after.effective_until != before.effective_until
    if moved_end and before is not None and before.effective_until is not None and before.effective_until < yesterday:
        # Reopened or extended, it would cover days already past, when it was not in force.
        errors["effective_until"] = _("这条规则已于 %(day)s 结束，不能再延长或重新启用：规则不追溯。需要时请新增一条从今天起生效的规则。") % {
            "day": before.effective_until.isoformat()}
    elif moved_end and after.effective_until is not None and after.effective_until < yesterday:
        errors["effective_until"] = _("失效日期最早只能是昨天（%(day)s）：已经发生、还在等待审核的服务按当时的规则计分。") % {
            "day": yesterday.isoformat()}
    if errors:
        raise ValidationError(errors)
