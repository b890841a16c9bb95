"""A file per waterway (一河一档): one river's or gully's year, for its chief and for handover. Built
from the same sections as the district's report, narrowed to the waterway."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from patrols.compliance import level_label
from patrols.models import Activity, ServiceRecord
from people.models import ChiefAssignment
from problems.models import State
from problems.selectors import counted_q, overdue_q
from riverwatch.dates import day_bounds, local_day
from waterways.models import Reach, Waterway

from ..filters import ReportFilters, counted_activities
from . import links
from . import snapshot as s
from .scope import Scope
from .sections import (
    coverage_section,
    hotspot_section,
    methods_section,
    month_end,
    month_label,
    months_of,
    problem_figure_list,
    scope_dict,
)

PROBLEMS_LISTED = 100  # each table; the rest are one click away, on the problem list


def profile_section(waterway: Waterway, scope: Scope, today: date) -> dict:
    """Length, reaches, the chiefs and their posts (with history), the signboard's QR code.

    The QR code's address is the site's (SITE_URL, or the page the build was asked on) and is drawn
    with the images: the snapshot keeps the path alone, so its hash does not depend on the host."""
    reaches = Reach.objects.filter(waterway=waterway).count()
    # Posts held before the period ended, the current ones first.
    posts = (ChiefAssignment.objects.filter(waterway=waterway, since__lte=scope.end).select_related("person")
             .order_by(F("until").desc(nulls_first=True), "-since", "person__name"))
    signboard = reverse("public-report", kwargs={"code": waterway.code})
    figures = [
        s.figure("length_km", _("河道长度"), round(waterway.length_m / 1000, 2) if waterway.length_m else None,
                 unit=_("公里"), link=links.coverage_map(scope.start, scope.end, waterway=waterway.pk)),
        s.figure("reaches", _("河段"), reaches, unit=_("段"),
                 link=links.coverage_map(scope.start, scope.end, waterway=waterway.pk)),
    ]
    chiefs = s.table("chief_posts", _("河长及任职情况"), [
        s.column("name", _("河长")), s.column("level", _("层级")), s.column("since", _("任职起"), s.DATE),
        s.column("until", _("任职止"), s.DATE), s.column("state", _("状态"))],
        [{"name": post.person.name, "level": level_label(post.level), "since": post.since, "until": post.until,
          "state": _("在任") if post.until is None or post.until >= scope.as_of(today) else _("已卸任"),
          "_links": {"name": links.compliance(scope.start, scope.end, behind=False)}} for post in posts],
        empty=_("这条河道还没有登记河长。"))
    facts = s.text("facts", _("河道信息"), [
        _("%(name)s（%(code)s），%(kind)s。") % {"name": waterway.name, "code": waterway.code,
                                              "kind": waterway.get_kind_display()},
        _("群众扫码上报页面：%(path)s") % {"path": signboard}])
    qr = {"type": "image", "key": "signboard_qr", "title": _("河长公示牌二维码"), "path": signboard,
          "caption": _("扫码上报这条河道的问题（%(path)s）") % {"path": signboard},
          "missing": _("设置网站地址（SITE_URL，或命令的 --base-url）后生成二维码。")}
    return s.section("profile", _("一"), _("基本情况"), figures=figures, blocks=[facts, chiefs, qr])


def patrols_section(waterway: Waterway, scope: Scope, *, number) -> dict:
    activities = counted_activities(ReportFilters(start=scope.start, end=scope.end)).filter(waterway=waterway)
    by_month = {row["month"].date().replace(day=1): row for row in
                activities.annotate(month=TruncMonth("started_at")).values("month")
                .annotate(n=Count("id")).order_by()}
    records = {row["month"].date().replace(day=1): row for row in
               ServiceRecord.objects.filter(activity__in=activities)
               .annotate(month=TruncMonth("activity__started_at")).values("month")
               .annotate(records=Count("id"), people=Count("person_id", distinct=True), hours=Sum("hours")).order_by()}
    patrol_months = {row["month"].date().replace(day=1): row["n"] for row in
                     activities.filter(kind=Activity.Kind.PATROL).annotate(month=TruncMonth("started_at"))
                     .values("month").annotate(n=Count("id")).order_by()}
    months = months_of(scope)
    rows = []
    for month in months:
        record = records.get(month, {})
        rows.append({"month": month_label(month), "patrols": patrol_months.get(month, 0),
                     "activities": by_month.get(month, {}).get("n", 0), "records": record.get("records", 0),
                     "people": record.get("people", 0), "hours": record.get("hours") or 0,
                     "_links": {"activities": links.activities(month, month_end(month), waterway=waterway.code)}})
    chart = s.chart("activities_by_month_chart", _("每月巡河与活动"), [row["month"] for row in rows],
                    [(_("巡河"), [row["patrols"] for row in rows]), (_("全部活动"), [row["activities"] for row in rows])])
    table = s.table("activities_by_month", _("每月活动"), [
        s.column("month", _("月份")), s.column("patrols", _("巡河"), s.INT), s.column("activities", _("全部活动"), s.INT),
        s.column("records", _("服务记录"), s.INT), s.column("people", _("人数"), s.INT),
        s.column("hours", _("时长（小时）"), s.FLOAT)], rows)
    figures = [s.figure("waterway_patrols", _("巡河次数"), sum(patrol_months.values()), unit=_("次"),
                        link=links.activities(scope.start, scope.end, kind=Activity.Kind.PATROL, waterway=waterway.code)),
               s.figure("waterway_activities", _("全部活动"), activities.count(), unit=_("次"),
                        link=links.activities(scope.start, scope.end, waterway=waterway.code))]
    return s.section("patrols", number, _("巡河与活动"), figures=figures, blocks=[chart, table])


def problems_section(waterway: Waterway, scope: Scope, previous: Scope, today: date, *, number) -> dict:
    mine = waterway.problems.all()
    figures = problem_figure_list(scope, previous, today, queryset=mine, extra={"waterway": waterway.code})
    columns = [s.column("id", _("编号"), s.INT), s.column("category", _("类别")), s.column("state", _("状态")),
               s.column("observed", _("发现日期"), s.DATE), s.column("deadline", _("办理期限"), s.DATE),
               s.column("unit", _("责任单位"))]

    def row(problem, overdue=False):
        return {"id": problem.pk, "category": problem.get_category_display(),
                "state": problem.get_state_display() + (_("（逾期）") if overdue else ""),
                "observed": local_day(problem.observed_at), "deadline": problem.deadline,
                "unit": problem.unit.name if problem.unit_id else "", "_links": {"id": links.problem(problem.pk)}}

    low, high = day_bounds(scope.start, scope.end)
    # Found by the period's end (an open one from an earlier year is still this year's work); states
    # and overdue as of the build day, as the problem list shows them.
    counted = mine.filter(counted_q(), observed_at__lt=high).select_related("unit")
    still_open = counted.exclude(state=State.CLOSED).order_by("deadline", "id")
    overdue_ids = set(still_open.filter(overdue_q(today)).values_list("id", flat=True))
    closed = counted.filter(state=State.CLOSED, observed_at__gte=low).order_by("-observed_at", "-id")

    def listed(key, title, queryset, empty, link):
        total = queryset.count()
        shown = list(queryset[:PROBLEMS_LISTED])
        note = (_("共 %(total)s 件，这里列出前 %(shown)s 件；全部见问题清单。") % {"total": total, "shown": len(shown)}
                if total > len(shown) else "")
        table = s.table(key, title, columns, [row(problem, problem.pk in overdue_ids) for problem in shown],
                        empty=empty, note=note)
        table["link"] = link
        return table

    open_table = listed("open_problems", _("尚未关闭的问题"), still_open, _("没有尚未关闭的问题。"),
                        links.problems(None, scope.end, waterway=waterway.code, state="open"))
    closed_table = listed("closed_problems", _("本年发现并已关闭的问题"), closed, _("本年没有已关闭的问题。"),
                          links.problems(scope.start, scope.end, waterway=waterway.code, state="closed"))
    return s.section("problems", number, _("问题"), figures=figures, blocks=[open_table, closed_table])


def waterway_file(scope: Scope, *, today: date, step=lambda label: None) -> dict:
    waterway = Waterway.objects.get(code=scope.waterway_code)
    previous = scope.previous(today)
    step(_("基本情况"))
    profile = profile_section(waterway, scope, today)
    step(_("巡查覆盖"))
    parts = [profile, coverage_section(scope, previous, today, number=_("二"), waterway=waterway)]
    step(_("巡河与活动"))
    parts.append(patrols_section(waterway, scope, number=_("三")))
    step(_("问题"))
    parts.append(problems_section(waterway, scope, previous, today, number=_("四")))
    step(_("问题热点"))
    parts.append(hotspot_section(scope, today, number=_("五"), waterway=waterway))
    parts.append(methods_section(scope, today, number=_("六")))
    title = _("%(name)s %(year)s 年一河一档") % {"name": waterway.name, "year": scope.year}
    return {"scope": scope_dict(scope, today, title, waterway), "sections": parts}
