"""The default patrol rule set: Akqi County water bureau 2022, as the reference notes suggest,
until the office enters Hubei's own figures in the admin. Plain data, so the data migration
can use it without importing models."""

SOURCE = "默认值：阿合奇县水利局 2022 年河长巡河要求（参考），请河长办按湖北省规定修改"

# level, period, required per period, min minutes, min metres, season first and last month
DEFAULT_RULES = [
    ("district", "quarter", 1, 30, 0, 1, 12),
    ("township", "month", 1, 30, 2000, 3, 12),
    ("village", "week", 1, 30, 2000, 3, 12),
]


def add_default_rules(PatrolRule):
    """Adds the rules missing for a level; never changes one the office edited."""
    for level, period, count, minutes, metres, first, last in DEFAULT_RULES:
        PatrolRule.objects.get_or_create(
            level=level,
            defaults={
                "period": period, "required_count": count, "min_duration_min": minutes, "min_distance_m": metres,
                "season_start_month": first, "season_end_month": last, "source": SOURCE,
            },
        )
