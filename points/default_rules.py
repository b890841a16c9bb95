"""The scheme's starting rules: defaults drawn from schemes already running (黄石: an hour of
service is a point; 海林: at most 2 hours of one activity count), until the office sets its own in
the admin. Plain data, so the data migration can use it without importing models."""

from datetime import date

SINCE = date(2026, 1, 1)
NOTE = "默认规则（参照黄石、海林等地做法），河长办可在后台按本区办法修改：填失效日期并新增规则。"

# name, measure, points per unit, activity kinds, cap per activity (units), cap per day (points)
DEFAULT_RULES = [
    ("服务时长积分", "hours", "1.00", [], "2.0", "8.0"),
    ("清漂保洁垃圾积分", "debris_kg", "0.10", ["cleanup"], "50.0", "10.0"),
    ("问题上报受理积分", "problem_accepted", "2.00", [], None, "10.0"),
    ("问题解决积分", "problem_fixed", "3.00", [], None, None),
]


def add_default_rules(Rule):
    """Adds the default rules when the scheme has none: never touches rules the office made."""
    if Rule.objects.exists():
        return
    for name, measure, rate, kinds, per_activity, per_day in DEFAULT_RULES:
        Rule.objects.create(name=name, measure=measure, points_per_unit=rate, activity_kinds=kinds,
                            cap_per_activity=per_activity, cap_per_day=per_day, effective_from=SINCE, description=NOTE)
