"""The annual report (年度报告) and the quarterly notice (季度通报) as a snapshot (snapshot.py's shape).

Every figure is read through the selector that owns its rule (service records: patrols.selectors;
coverage and gaps: reports.selectors.coverage; chiefs: reports.selectors.compliance; problems:
problems.figures; hotspots: reports.selectors.hotspots; points: points.selectors), so the report says
what the pages say. Each figure carries the same figure for the previous period and the link to the
list behind it (links.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.selectors import certificate_list
from patrols.compliance import describe_rule, level_label
from patrols.models import Activity, PatrolRule
from patrols.selectors import (
    current_campaign,
    records_between,
    service_record_stats,
    service_record_totals,
)
from people.models import CHIEF_LEVELS_LOW_TO_HIGH
from people.selectors import has_demo_people
from points.selectors import board_teams, board_villages, period_totals
from problems import figures as problem_figures
from problems.models import Category, Problem, Source
from waterways.models import District, Waterway

from ..filters import ReportFilters, counted_activities
from ..selectors import compliance, coverage
from ..selectors.hotspots import hotspots
from . import links, maps
from . import snapshot as s
from .scope import QUARTERLY, Scope

# The report's hotspot test: problems over hex cells, as the map's default.
HOTSPOT_MEASURE, HOTSPOT_METHOD = "problems", "hex"
GAPS_LISTED = 10
CHIEFS_NAMED_MAX = 50



class OfficeReader:
    """Whom a report reads as: the office, which sees every post and record (the command has no login)."""

    is_authenticated = True
    is_staff = True
    is_superuser = False
    is_active = True
    pk = None


OFFICE = OfficeReader()


def percent(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def months_of(scope: Scope) -> list[date]:
    return [date(scope.year, month, 1) for month in range(scope.start.month, scope.end.month + 1)]


def month_label(month: date) -> str:
    return _("%(month)s月") % {"month": month.month}


def filters_of(scope: Scope, today: date, waterway_ids=None) -> ReportFilters:
    """The period up to the day the figures stand on."""
    return ReportFilters(start=scope.start, end=scope.as_of(today), waterway_ids=waterway_ids)


# --- 一、总体情况 --------------------------------------------------------------------------------------

def _records_in(scope: Scope):
    return records_between(scope.start, scope.end)


def _hours(scope: Scope):
    return _records_in(scope).aggregate(hours=Sum("hours"))["hours"] or 0


def _deputy_rate(scope: Scope, today: date):
    """Deputies with a counted service record in the year, of the active deputies (a year's figure)."""
    result = compliance.deputy_participation(viewer=OFFICE, year=scope.year, as_of=scope.as_of(today))
    return result["rate_pct"], result["deputies_total"]


def _activity_count(scope: Scope) -> int:
    """Activities that count (not rejected) started in the period, as the activity list counts them."""
    return counted_activities(ReportFilters(start=scope.start, end=scope.end)).count()


def _monthly_records(scope: Scope) -> dict[date, int]:
    rows = (_records_in(scope).annotate(month=TruncMonth("activity__started_at")).values("month")
            .annotate(n=Count("id")).order_by())
    return {row["month"].date().replace(day=1): row["n"] for row in rows}


def headline(scope: Scope, previous: Scope, today: date) -> dict:
    stats, before = service_record_stats(start=scope.start, end=scope.end), \
        service_record_stats(start=previous.start, end=previous.end)
    start, end = scope.start, scope.end
    figures = [
        s.figure("service_records", _("服务记录"), stats["total"], unit=_("条"), previous=before["total"],
                 link=links.activities(start, end),
                 note=_("其中已审核 %(verified)s 条，待审核 %(pending)s 条") % stats),
    ]
    campaign = current_campaign(scope.as_of(today))
    if scope.kind != QUARTERLY and campaign and campaign.start <= scope.end and campaign.end >= scope.start:
        progress = service_record_totals(start=campaign.start, end=min(campaign.end, scope.as_of(today)))["total"]
        figures.append(s.figure(
            "campaign", _("%(name)s完成") % {"name": campaign.name}, progress, unit=_("条"), target=campaign.target,
            link=links.activities(campaign.start, campaign.end),
            note=_("%(start)s 至 %(end)s，目标 %(target)s 条，已完成 %(pct)s%%") % {
                "start": campaign.start, "end": campaign.end, "target": campaign.target,
                "pct": percent(progress, campaign.target)}))
    figures += [
        s.figure("people", _("参与人数"), stats["people"], unit=_("人"), previous=before["people"],
                 link=links.activities(start, end)),
        s.figure("hours", _("服务时长"), _hours(scope), unit=_("小时"), previous=_hours(previous),
                 link=links.activities(start, end)),
        s.figure("activities", _("活动次数"), _activity_count(scope), unit=_("次"), previous=_activity_count(previous),
                 link=links.activities(start, end)),
    ]
    if scope.kind != QUARTERLY:
        rate, deputies = _deputy_rate(scope, today)
        figures.append(s.figure(
            "deputy_rate", _("人大代表参与率"), rate, unit="%", previous=_deputy_rate(previous, today)[0],
            target=compliance.DISTRICT_REPORTED_PCT, link=links.deputies(scope.year),
            note=_("在职代表 %(n)s 人中，全年至少参加一次活动的比例；目标为区里通报的参与率") % {"n": deputies}))
    before_by_kind = {row["kind"]: row["count"] for row in before["by_kind"]}
    before_by_role = {row["role"]: row["count"] for row in before["by_role"]}
    by_kind = s.table("records_by_kind", _("服务记录（按活动类型）"), [
        s.column("label", _("活动类型")), s.column("count", _("服务记录"), s.INT),
        s.column("previous", _("上期"), s.INT), s.column("share", _("占比"), s.PCT)],
        [{"label": row["label"], "count": row["count"], "previous": before_by_kind.get(row["kind"], 0),
          "share": percent(row["count"], stats["total"]),
          "_links": {"count": links.activities(start, end, kind=row["kind"])}} for row in stats["by_kind"]])
    by_role = s.table("records_by_role", _("服务记录（按身份）"), [
        s.column("label", _("身份")), s.column("count", _("服务记录"), s.INT),
        s.column("previous", _("上期"), s.INT), s.column("share", _("占比"), s.PCT)],
        [{"label": row["label"], "count": row["count"], "previous": before_by_role.get(row["role"], 0),
          "share": percent(row["count"], stats["total"]),
          "_links": {"count": links.activities(start, end, role=row["role"])}} for row in stats["by_role"]])
    this_year = _monthly_records(scope)
    months = months_of(scope)
    series = [(scope.period_label(), [this_year.get(month, 0) for month in months])]
    if scope.kind != QUARTERLY:
        whole_last_year = Scope(scope.year - 1)  # the trend beside the whole of last year, month by month
        last_year = _monthly_records(whole_last_year)
        series.append((whole_last_year.period_label(),
                       [last_year.get(month.replace(year=whole_last_year.year), 0) for month in months]))
    trend = s.chart("records_by_month", _("每月服务记录"), [month_label(m) for m in months], series,
                    kind="line", unit=_("条"))
    return s.section("headline", _("一"), _("总体情况"), figures=figures, blocks=[by_kind, by_role, trend])


# --- 二、巡查覆盖 --------------------------------------------------------------------------------------

def _coverage(scope: Scope, today: date, waterway_ids=None) -> dict:
    return coverage.coverage_summary(filters_of(scope, today, waterway_ids))


def _longest_gaps(scope: Scope, today: date, waterway_ids=None) -> list[dict]:
    """Stretches nobody visited in the whole period, longest first."""
    filters = filters_of(scope, today, waterway_ids)
    days = max((filters.end - filters.start).days, 1)
    return [gap["properties"] for gap in coverage.gap_stretches(filters, days=days)[:GAPS_LISTED]]


def coverage_section(scope: Scope, previous: Scope, today: date, *, number, waterway: Waterway | None = None) -> dict:
    ids = (waterway.pk,) if waterway else None
    now, before = _coverage(scope, today, ids), _coverage(previous, today, ids)
    district, district_before = now["district"], before["district"]
    start, as_of = scope.start, scope.as_of(today)
    map_link = links.coverage_map(start, as_of, waterway=waterway.pk if waterway else "")
    figures = [
        s.figure("coverage_pct", _("河道巡查覆盖率"), district["coverage_pct"], unit="%",
                 previous=district_before["coverage_pct"], link=map_link,
                 note=_("巡查轨迹 %(m)s 米内的河段计为已巡查") % {"m": f"{settings.PATROL_BUFFER_M:g}"}),
        s.figure("visited_km", _("已巡查河道长度"), round(district["visited_m"] / 1000, 1), unit=_("公里"),
                 previous=round(district_before["visited_m"] / 1000, 1), link=map_link),
        s.figure("network_km", _("河道总长"), round(district["length_m"] / 1000, 1), unit=_("公里"), link=map_link),
        s.figure("reaches_unvisited", _("期内无人巡查的河段"), district["reaches_total"] - district["reaches_visited"],
                 unit=_("段"), previous=district_before["reaches_total"] - district_before["reaches_visited"],
                 link=links.coverage_map(start, as_of, waterway=waterway.pk if waterway else "",
                                         days=max((as_of - start).days, 1)),
                 note=_("每段约 %(m)s 米") % {"m": int(settings.REACH_LENGTH_M)}),
    ]
    before_by_id = {row["id"]: row for row in before["waterways"]}
    per_waterway = s.table("coverage_by_waterway", _("各河道巡查覆盖"), [
        s.column("name", _("河道")), s.column("code", _("编码")), s.column("length_km", _("长度（公里）"), s.FLOAT),
        s.column("visited_km", _("已巡查（公里）"), s.FLOAT), s.column("coverage_pct", _("覆盖率"), s.PCT),
        s.column("previous_pct", _("上期覆盖率"), s.PCT), s.column("unvisited", _("无人巡查河段"), s.INT),
        s.column("last_visit", _("最近巡查"), s.DATE)],
        [{"name": row["name"], "code": row["code"], "length_km": round(row["length_m"] / 1000, 2),
          "visited_km": round(row["visited_m"] / 1000, 2), "coverage_pct": row["coverage_pct"],
          "previous_pct": before_by_id.get(row["id"], {}).get("coverage_pct"),
          "unvisited": row["reaches_total"] - row["reaches_visited"],
          "last_visit": row["last_visit"][:10] if row["last_visit"] else None,
          "_links": {"name": links.coverage_map(start, as_of, waterway=row["id"])}}
         for row in sorted(now["waterways"], key=lambda row: (row["coverage_pct"], row["code"]))])
    gaps = s.table("longest_gaps", _("期内无人巡查的最长河段"), [
        s.column("waterway", _("河道")), s.column("from_m", _("起点（米）"), s.INT), s.column("to_m", _("止点（米）"), s.INT),
        s.column("length_km", _("长度（公里）"), s.FLOAT), s.column("last_visit", _("最近巡查"), s.DATE)],
        [{"waterway": gap["waterway_name"], "from_m": int(gap["start_m"]), "to_m": int(gap["end_m"]),
          "length_km": round(gap["length_m"] / 1000, 2),
          "last_visit": gap["last_visit"][:10] if gap["last_visit"] else None,
          "_links": {"waterway": links.coverage_map(start, as_of, waterway=gap["waterway"],
                                                    days=max((as_of - start).days, 1))}}
         for gap in _longest_gaps(scope, today, ids)],
        empty=_("期内每一段河道都有人巡查过。"))
    months = months_of(scope)
    pct_by_month, patrols_by_month = [], []
    counts = _activities_by_month(scope, today, kind=Activity.Kind.PATROL, waterway=waterway)
    for month in months:
        last = month_end(month)
        if month > as_of:
            pct_by_month.append(None)
        else:
            filters = ReportFilters(start=month, end=min(last, as_of), waterway_ids=ids)
            pct_by_month.append(coverage.coverage_summary(filters)["district"]["coverage_pct"])
        patrols_by_month.append(counts.get(month, 0))
    trend = s.chart("coverage_by_month", _("每月巡查覆盖率（%）"), [month_label(m) for m in months],
                    [(_("覆盖率"), pct_by_month)], kind="line", unit="%")
    patrols = s.chart("patrols_by_month", _("每月巡河次数"), [month_label(m) for m in months],
                      [(_("巡河"), patrols_by_month)], kind="bar", unit=_("次"))
    coverage_map = s.map_block("coverage_map", _("河道巡查新鲜度（截至 %(day)s）") % {"day": as_of}, "coverage",
                               maps.coverage_legend())
    return s.section("coverage", number, _("巡查覆盖"), figures=figures,
                     blocks=[coverage_map, per_waterway, gaps, trend, patrols])


def month_end(month: date) -> date:
    return date.fromordinal(date(month.year + (month.month == 12), month.month % 12 + 1, 1).toordinal() - 1)


def _activities_by_month(scope: Scope, today: date, *, kind=None, waterway=None) -> dict[date, int]:
    queryset = counted_activities(ReportFilters(start=scope.start, end=scope.end))
    if kind:
        queryset = queryset.filter(kind=kind)
    if waterway is not None:
        queryset = queryset.filter(waterway=waterway)
    rows = queryset.annotate(month=TruncMonth("started_at")).values("month").annotate(n=Count("id")).order_by()
    return {row["month"].date().replace(day=1): row["n"] for row in rows}


# --- 三、河长巡河 ---------------------------------------------------------------------------------------

def _compliance(scope: Scope, today: date) -> dict:
    # As of the build day: a period that ended on the scope's last day is finished by now (and counted).
    return compliance.chief_compliance(viewer=OFFICE, start=scope.start, end=scope.end, today=today)


def chiefs_section(scope: Scope, previous: Scope, today: date, *, number) -> dict:
    now, before = _compliance(scope, today), _compliance(previous, today)
    summary = now["summary"]
    start, end = scope.start, scope.end
    figures = [
        s.figure("chiefs", _("河长人数"), summary["chiefs"], unit=_("人"), previous=before["summary"]["chiefs"],
                 link=links.compliance(start, end, behind=False)),
        s.figure("chief_patrols_required", _("应巡次数"), summary["required"], unit=_("次"),
                 previous=before["summary"]["required"], link=links.compliance(start, end, behind=False)),
        s.figure("chief_patrols_counted", _("达标巡河次数"), summary["counted"], unit=_("次"),
                 previous=before["summary"]["counted"], link=links.compliance(start, end, behind=False)),
        s.figure("chief_compliance_pct", _("巡河达标率"), percent(summary["counted"], summary["required"]), unit="%",
                 previous=percent(before["summary"]["counted"], before["summary"]["required"]),
                 link=links.compliance(start, end, behind=False),
                 note=_("达标次数（每周期至多计应巡次数）÷ 应巡次数；只算已结束的考核周期")),
        s.figure("chiefs_behind", _("未达标河长"), summary["behind"], unit=_("人"), previous=before["summary"]["behind"],
                 link=links.compliance(start, end)),
    ]
    by_level = defaultdict(lambda: {"chiefs": 0, "required": 0, "done": 0, "counted": 0, "missing": 0, "behind": 0})
    for chief in now["chiefs"]:
        row = by_level[chief["level"]]
        row["chiefs"] += 1
        row["behind"] += chief["behind"]
        for key in ("required", "done", "counted", "missing"):
            row[key] += chief[key]
    rules = {rule["level"]: rule for rule in now["rules"]}
    levels = s.table("chiefs_by_level", _("各级河长巡河情况"), [
        s.column("level", _("层级")), s.column("rule", _("巡河要求")), s.column("chiefs", _("河长"), s.INT),
        s.column("required", _("应巡"), s.INT), s.column("done", _("已巡"), s.INT), s.column("counted", _("达标"), s.INT),
        s.column("missing", _("缺少"), s.INT), s.column("rate", _("达标率"), s.PCT), s.column("behind", _("未达标河长"), s.INT)],
        [{"level": level_label(level), "rule": rules.get(level, {}).get("summary", _("未设要求")),
          **by_level[level], "rate": percent(by_level[level]["counted"], by_level[level]["required"]),
          "_links": {"behind": links.compliance(start, end)}}
         for level in reversed(CHIEF_LEVELS_LOW_TO_HIGH) if level in by_level])
    chief_columns = [s.column("name", _("河长")), s.column("level", _("层级")), s.column("waterways", _("河道")),
                     s.column("required", _("应巡"), s.INT), s.column("done", _("已巡"), s.INT),
                     s.column("counted", _("达标"), s.INT), s.column("missing", _("缺少"), s.INT)]

    def chief_row(chief):
        return {"name": chief["name"], "level": chief["level_label"], "waterways": "、".join(chief["waterways"]),
                **{key: chief[key] for key in ("required", "done", "counted", "missing")},
                "_links": {"name": links.compliance(start, end)}}

    behind = [chief for chief in now["chiefs"] if chief["behind"]]
    named = s.table("chiefs_behind", _("巡河未达标的河长（点名）"), chief_columns,
                    [chief_row(chief) for chief in behind[:CHIEFS_NAMED_MAX]],
                    empty=_("所有河长都按要求巡河。"),
                    note=_("另有 %(n)s 人未列出，见考核页面。") % {"n": len(behind) - CHIEFS_NAMED_MAX}
                    if len(behind) > CHIEFS_NAMED_MAX else "")
    blocks = [levels, named]
    if scope.kind == QUARTERLY:
        # The notice's table: every chief, behind first.
        blocks.insert(1, s.table("chiefs_all", _("河长巡河情况一览"), chief_columns,
                                 [chief_row(chief) for chief in now["chiefs"]], empty=_("没有在任河长。")))
    return s.section("chiefs", number, _("河长巡河"), figures=figures, blocks=blocks)


# --- 四、问题处置 ---------------------------------------------------------------------------------------

PROBLEM_FIGURES = (
    ("found", gettext_lazy("发现问题"), {}),
    ("accepted", gettext_lazy("受理"), {"accepted": 1}),
    ("fixed", gettext_lazy("已解决"), {"ending": "fixed"}),
    ("closed_not_fixed", gettext_lazy("关闭未解决"), {"ending": "not_fixed"}),
    ("open", gettext_lazy("尚未关闭"), {"state": "open"}),
    ("overdue", gettext_lazy("逾期未办结"), {"overdue": 1}),
    ("reopened_problems", gettext_lazy("被重新打开的问题"), {"reopened": 1}),
)


def _problem_figures(scope: Scope, today: date, *, by=None, queryset=None):
    # Overdue and on time as of the build day, as the problem list judges them: the list behind each
    # figure shows the same problems. (States are the states on the build day too.)
    return problem_figures.figures(start=scope.start, end=scope.end, today=today, by=by, queryset=queryset)


def problem_figure_list(scope: Scope, previous: Scope, today: date, *, queryset=None, extra=None) -> list[dict]:
    now = _problem_figures(scope, today, queryset=queryset)[0]
    before = _problem_figures(previous, today, queryset=queryset)[0]
    extra = extra or {}
    start, end = scope.start, scope.end
    figures = [s.figure(f"problems_{key}", label, now[key], unit=_("件"), previous=before[key],
                        link=links.problems(start, end, **params, **extra))
               for key, label, params in PROBLEM_FIGURES]
    figures[-1]["note"] = _("共重新打开 %(n)s 次") % {"n": now["reopened"]}
    figures += [
        s.figure("problems_on_time_rate", _("按期办结率"), percent(now["on_time"], now["due"]), unit="%",
                 previous=percent(before["on_time"], before["due"]),
                 link=links.problems_due(start, end, **extra),
                 note=_("期限在本期内的 %(due)s 件中按期解决 %(on_time)s 件；逾期仍未办结的计为超期") % now),
        s.figure("problems_median_days", _("解决用时中位数"), now["median_days_to_fix"], unit=_("天"),
                 previous=before["median_days_to_fix"], link=links.problems(start, end, ending="fixed", **extra)),
    ]
    return figures


def _problem_table(key, title, group, rows, label_of, link_of):
    return s.table(key, title, [
        s.column("label", group), s.column("found", _("发现"), s.INT),
        s.column("accepted", _("受理"), s.INT), s.column("fixed", _("已解决"), s.INT),
        s.column("closed_not_fixed", _("关闭未解决"), s.INT), s.column("open", _("未关闭"), s.INT),
        s.column("overdue", _("逾期"), s.INT), s.column("on_time_rate", _("按期办结率"), s.PCT),
        s.column("median_days_to_fix", _("解决用时中位数（天）"), s.FLOAT)],
        [{"label": label_of(row), **{key: row[key] for key in
                                     ("found", "accepted", "fixed", "closed_not_fixed", "open", "overdue")},
          "on_time_rate": percent(row["on_time"], row["due"]), "median_days_to_fix": row["median_days_to_fix"],
          "_links": {"found": link_of(row, {}), "fixed": link_of(row, {"ending": "fixed"}),
                     "open": link_of(row, {"state": "open"}), "overdue": link_of(row, {"overdue": 1})}}
         for row in rows], empty=_("本期没有问题记录。"))


def problems_section(scope: Scope, previous: Scope, today: date, *, number) -> dict:
    start, end = scope.start, scope.end
    figures = problem_figure_list(scope, previous, today)
    categories = dict(Category.choices)
    by_category = _problem_table(
        "problems_by_category", _("按问题类别"), _("问题类别"), _problem_figures(scope, today, by="category"),
        lambda row: str(categories.get(row["category"], row["category"])),
        lambda row, extra: links.problems(start, end, category=row["category"], **extra))
    by_unit = _problem_table(
        "problems_by_unit", _("按责任单位"), _("责任单位"), _problem_figures(scope, today, by="unit"),
        lambda row: row["unit__name"] or _("未交办"),
        lambda row, extra: links.problems(start, end, unit=row["unit_id"], **extra) if row["unit_id"] else None)
    deputy = _problem_figures(scope, today, queryset=Problem.objects.filter(source=Source.DEPUTY))[0]
    figures.append(s.figure(
        "deputy_suggestions", _("人大代表建议办理"), deputy["fixed"] + deputy["closed_not_fixed"], unit=_("件"),
        link=links.problems(start, end, source=Source.DEPUTY, ending="fixed,not_fixed"),
        note=_("收到 %(found)s 件，已办结 %(done)s 件，未关闭 %(open)s 件") % {
            "found": deputy["found"], "done": deputy["fixed"] + deputy["closed_not_fixed"], "open": deputy["open"]}))
    return s.section("problems", number, _("问题处置"), figures=figures, blocks=[by_category, by_unit])


# --- 五、问题热点 ---------------------------------------------------------------------------------------

def hotspot_section(scope: Scope, today: date, *, number, waterway: Waterway | None = None) -> dict:
    filters = filters_of(scope, today, (waterway.pk,) if waterway else None)
    result = hotspots(filters, measure=HOTSPOT_MEASURE, method=HOTSPOT_METHOD, normalize="none")
    meta = result["meta"]
    labels = _hotspot_labels()
    significant = [feature for feature in result["features"] if feature["properties"]["class"] in maps.HOTSPOT_COLOURS]
    significant.sort(key=lambda feature: -(feature["properties"]["z"] or 0))
    features = [{"type": "Feature", "geometry": feature["geometry"],
                 "properties": {"id": feature["properties"]["id"], "class": feature["properties"]["class"],
                                "label": labels[feature["properties"]["class"]],
                                "value": feature["properties"]["raw"], "z": feature["properties"]["z"],
                                "p": feature["properties"]["p"]}} for feature in significant]
    hot = sum(1 for f in features if f["properties"]["class"].startswith("hot"))
    link = links.coverage_map(filters.start, filters.end, waterway=waterway.pk if waterway else "",
                              measure=HOTSPOT_MEASURE)
    figures = [
        s.figure("hotspots", _("问题热点单元"), hot, unit=_("个"), link=link,
                 note=_("Getis-Ord Gi* 检验，%(size)s 米六边形，%(n)s 次随机重排，FDR 校正") % {
                     "size": meta["size_m"], "n": meta["permutations"]}),
        s.figure("hotspot_items", _("参与检验的问题"), meta["items"], unit=_("件"), link=link),
    ]
    table = s.table("hotspot_cells", _("显著的热点与冷点"), [
        s.column("id", _("单元")), s.column("label", _("类别")), s.column("value", _("问题数"), s.INT),
        s.column("z", _("Z 值"), s.FLOAT), s.column("p", _("P 值"), s.FLOAT)],
        [{**feature["properties"], "_links": {"id": link}} for feature in features],
        empty=_("本期没有统计上显著的热点或冷点。"))
    legend = [{"key": key, "label": labels[key], "colour": colour} for key, colour in maps.HOTSPOT_COLOURS.items()]
    return s.section("hotspots", number, _("问题热点"), figures=figures,
                     blocks=[s.map_block("hotspot_map", _("问题热点分布"), "hotspots", legend, features), table])


def _hotspot_labels() -> dict:
    return {
        "hot_99": _("热点（99% 置信）"), "hot_95": _("热点（95% 置信）"), "hot_90": _("热点（90% 置信）"),
        "cold_90": _("冷点（90% 置信）"), "cold_95": _("冷点（95% 置信）"), "cold_99": _("冷点（99% 置信）"),
    }


# --- 六、清漂保洁与管网排查 ------------------------------------------------------------------------------

def _work(scope: Scope) -> dict:
    activities = counted_activities(ReportFilters(start=scope.start, end=scope.end))
    return activities.aggregate(
        cleanups=Count("id", filter=Q(kind=Activity.Kind.CLEANUP)),
        inspections=Count("id", filter=Q(kind=Activity.Kind.SEWER_INSPECTION)),
        debris_kg=Sum("debris_kg"), bags=Sum("bags"),
        manholes=Sum("manholes_checked"), outfalls=Sum("outfalls_checked"))


def work_section(scope: Scope, previous: Scope, today: date, *, number) -> dict:
    now, before = _work(scope), _work(previous)
    start, end = scope.start, scope.end
    cleanup = links.activities(start, end, kind=Activity.Kind.CLEANUP)
    inspection = links.activities(start, end, kind=Activity.Kind.SEWER_INSPECTION)
    figures = [
        s.figure("cleanups", _("清漂保洁"), now["cleanups"], unit=_("次"), previous=before["cleanups"], link=cleanup),
        s.figure("debris_kg", _("清理垃圾"), now["debris_kg"] or 0, unit=_("公斤"), previous=before["debris_kg"] or 0,
                 link=links.activities(start, end)),
        s.figure("bags", _("垃圾袋"), now["bags"] or 0, unit=_("袋"), previous=before["bags"] or 0,
                 link=links.activities(start, end)),
        s.figure("inspections", _("污水管网排查"), now["inspections"], unit=_("次"), previous=before["inspections"],
                 link=inspection),
        s.figure("manholes", _("排查检查井"), now["manholes"] or 0, unit=_("个"), previous=before["manholes"] or 0,
                 link=links.activities(start, end)),
        s.figure("outfalls", _("排查排污口"), now["outfalls"] or 0, unit=_("个"), previous=before["outfalls"] or 0,
                 link=links.activities(start, end)),
    ]
    return s.section("work", number, _("清漂保洁与管网排查"), figures=figures)


# --- 七、积分与志愿服务证明 -------------------------------------------------------------------------------

def _points(scope: Scope) -> dict:
    return {**period_totals(scope.start, scope.end),
            "certificates": certificate_list(scope.year).count()}  # an annual report's section


def points_section(scope: Scope, previous: Scope, today: date, *, number) -> dict:
    now, before = _points(scope), _points(previous)
    board, certificates = links.points(scope.year), links.certificates(scope.year)
    figures = [
        s.figure("points_awarded", _("发放积分"), now["points"], unit=_("分"), previous=before["points"], link=board,
                 note=_("积分按服务发生日计；撤销与调整已计入")),
        s.figure("points_people", _("获得积分的人数"), now["people"], unit=_("人"), previous=before["people"], link=board),
        s.figure("redemptions", _("积分兑换"), now["redemptions"], unit=_("次"), previous=before["redemptions"],
                 link=links.points(scope.year), note=_("共用去 %(n)s 分") % {"n": now["spent"] or 0}),
        s.figure("certificates", _("出具志愿服务证明"), now["certificates"], unit=_("份"),
                 previous=before["certificates"], link=certificates),
    ]
    villages = s.table("points_villages", _("最活跃的村（社区）"), [
        s.column("rank", _("名次"), s.INT), s.column("name", _("村（社区）")), s.column("town", _("街道（镇）")),
        s.column("people", _("人数"), s.INT), s.column("points", _("积分"), s.FLOAT)],
        [{key: row[key] for key in ("rank", "name", "town", "people", "points")}
         | {"_links": {"name": links.village_points(row["code"], scope.year)}}
         for row in board_villages(scope.start, scope.end, limit=10)], empty=_("本期没有积分记录。"))
    teams = s.table("points_teams", _("最活跃的队伍"), [
        s.column("rank", _("名次"), s.INT), s.column("name", _("队伍")), s.column("kind", _("类型")),
        s.column("points", _("积分"), s.FLOAT)],
        [{"rank": row["rank"], "name": row["name"], "kind": row["kind_display"], "points": row["points"],
          "_links": {"name": board}} for row in board_teams(scope.start, scope.end, limit=10)],
        empty=_("本期没有积分记录。"))
    return s.section("points", number, _("积分与志愿服务证明"), figures=figures, blocks=[villages, teams])


# --- 八、与上期相比 ---------------------------------------------------------------------------------------

def change_section(sections: list[dict], scope: Scope, today: date, *, number) -> dict:
    """Every figure that has a previous value, side by side."""
    rows = []
    for part in sections:
        for figure in part["figures"]:
            if figure["previous"] is None and figure["value"] is None:
                continue
            previous, value = figure["previous"], figure["value"]
            rows.append({
                "section": part["title"], "label": figure["label"], "unit": figure["unit"],
                "value": value, "previous": previous, "change": figure["change"],
                "change_pct": percent(value - previous, previous)
                if isinstance(value, (int, float)) and isinstance(previous, (int, float)) and figure["unit"] != "%"
                else None,
                "_links": {"value": figure["link"]} if figure["link"] else {},
            })
    label = scope.previous_label(today)
    table = s.table("changes", _("主要指标与%(previous)s对比") % {"previous": label}, [
        s.column("section", _("部分")), s.column("label", _("指标")), s.column("value", _("本期"), s.FLOAT),
        s.column("previous", label, s.FLOAT), s.column("change", _("变化"), s.FLOAT),
        s.column("change_pct", _("变化幅度"), s.PCT), s.column("unit", _("单位"))], rows,
        note=_("百分比指标的变化以百分点计。"))
    return s.section("changes", number, _("与%(previous)s相比") % {"previous": label}, blocks=[table])


# --- 九、方法与说明 ---------------------------------------------------------------------------------------

def methods_section(scope: Scope, today: date, *, number) -> dict:
    rules = "；".join(f"{rule['level_label']}：{rule['summary']}" for rule in
                     (describe_rule(rule) for rule in PatrolRule.objects.all())) or _("未设")
    terms = [
        (_("服务记录"), _("一人参加一次巡河、清漂保洁、污水管网排查、垃圾分类宣传等活动计 1 条，同一人同一活动只计一次；"
                       "被驳回的活动不计，待审核的计入并单列。按活动开始时间（北京时间）归期。"), ""),
        (_("巡查覆盖"), _("河网按固定长度切成河段；期内有未被驳回的活动轨迹经过其缓冲区的河段计为已巡查。覆盖率 = "
                       "已巡查河段长度 ÷ 河道总长。"),
         _("河段长度 %(reach)s 米；巡查缓冲 %(buffer)s 米") % {"reach": settings.REACH_LENGTH_M,
                                                      "buffer": settings.PATROL_BUFFER_M}),
        (_("河长巡河达标"), _("按各级河长巡河要求，在已结束的考核周期内数达到时长、里程要求的巡河，每周期至多计应巡次数。"),
         rules),
        (_("热点"), _("对每个单元的问题数做 Getis-Ord Gi* 局部检验：随机重排得到 P 值，再做 Benjamini–Hochberg "
                    "错误发现率校正；只列出显著的单元。"),
         _("六边形 %(size)s 米；随机重排 %(n)s 次；随机种子 %(seed)s") % {
             "size": settings.HOTSPOT_HEX_SIZE_M, "n": settings.HOTSPOT_PERMUTATIONS, "seed": settings.HOTSPOT_SEED}),
        (_("按期办结率"), _("期限（首次交办的期限，督办延期不改变）在本期内的问题中，在期限当天结束前解决的比例；"
                        "逾期仍未办结的计为超期，不剔除；重复、无效问题不计。"), ""),
        (_("问题计数"), _("群众扫码上报与外部系统上报的问题经受理后才计入；按发现时间归期；状态为生成报告时的状态。"), ""),
        (_("积分"), _("按积分规则在服务发生日计分；撤销审核、移出参与人时冲销，兑换不减少已获积分。"), ""),
    ]
    caveats = [_("数据截至 %(day)s。") % {"day": scope.as_of(today)}]
    district = District.objects.only("accuracy").first()
    if district is not None:
        caveats.append(_("区界精度：%(label)s。") % {"label": district.get_accuracy_display()})
    accuracy = dict(Waterway.objects.values_list("accuracy").annotate(n=Count("id")))
    labels = dict(Waterway._meta.get_field("accuracy").choices)
    if accuracy:
        caveats.append(_("河网精度：%(parts)s。河道长度与覆盖率随河网位置精度而定。") % {
            "parts": "，".join(f"{labels.get(key, key)} {n} 条" for key, n in sorted(accuracy.items()))})
    if has_demo_people():
        caveats.append(_("数据库中含演示数据（备注以“[演示数据]”开头的人员及其活动），本报告的数字包括这些演示数据，"
                         "不能作为正式统计上报。"))
    return s.section("methods", number, _("方法与说明"), blocks=[
        s.definitions("definitions", _("统计口径"), terms), s.text("caveats", _("数据说明"), caveats)])


# --- The whole report --------------------------------------------------------------------------------

def district_report(scope: Scope, *, today: date, step=lambda label: None) -> dict:
    """The annual report, or the quarterly notice: one snapshot."""
    previous = scope.previous(today)
    parts = []
    step(_("总体情况"))
    parts.append(headline(scope, previous, today))
    step(_("巡查覆盖"))
    parts.append(coverage_section(scope, previous, today, number=_("二")))
    step(_("河长巡河"))
    parts.append(chiefs_section(scope, previous, today, number=_("三")))
    step(_("问题处置"))
    parts.append(problems_section(scope, previous, today, number=_("四")))
    step(_("问题热点"))
    parts.append(hotspot_section(scope, today, number=_("五")))
    if scope.kind != QUARTERLY:
        step(_("清漂保洁与管网排查"))
        parts.append(work_section(scope, previous, today, number=_("六")))
        step(_("积分"))
        parts.append(points_section(scope, previous, today, number=_("七")))
    numbers = [_("六"), _("七"), _("八"), _("九")][len(parts) - 5:]
    parts.append(change_section(parts, scope, today, number=numbers[0]))
    parts.append(methods_section(scope, today, number=numbers[1]))
    if scope.kind == QUARTERLY:
        title = _("张湾区%(period)s河长巡河情况通报") % {"period": scope.period_label()}
    else:
        title = _("张湾区 %(year)s 年河湖巡护年度报告") % {"year": scope.year}
    return {"scope": scope_dict(scope, today, title), "sections": parts}


def scope_dict(scope: Scope, today: date, title: str, waterway: Waterway | None = None) -> dict:
    return {"kind": scope.kind, "key": scope.key, "year": scope.year, "quarter": scope.quarter,
            "waterway": {"code": waterway.code, "name": waterway.name, "kind": waterway.kind} if waterway else None,
            "start": scope.start.isoformat(), "end": scope.end.isoformat(), "as_of": scope.as_of(today).isoformat(),
            "title": str(title), "subtitle": _("数据截至 %(day)s") % {"day": scope.as_of(today)},
            "previous_label": scope.previous_label(today)}

