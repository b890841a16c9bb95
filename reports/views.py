"""Pages: the river-chief map and the compliance list."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from patrols.models import Activity
from patrols.selectors import target_status
from people.models import Role, Team
from people.selectors import is_office_staff
from riverwatch.dates import FIRST_DAY, LAST_DAY
from waterways.models import Waterway
from waterways.views import basemap_text

from .params import ComplianceParams, DeputyParams, default_period
from .permissions import may_use_reports, own_waterway_ids
from .selectors import compliance
from .selectors.coverage import DEFAULT_GAP_DAYS, FRESHNESS_CLASSES
from .selectors.layers import problem_state_labels
from .selectors.tiles import REACH_MIN_ZOOM


def _require_chief_or_staff(request):
    if not may_use_reports(request.user):
        raise PermissionDenied


def _map_text():
    """Words the map script shows, translated here so the script stays language-free."""
    return {
        **basemap_text(),
        "legend": _("图例"),
        "freshness": _("距上次巡查"),
        "freshness_days": _("距上次巡查（天）"),
        "freshness_classes": {name: str(label) for name, label in FRESHNESS_CLASSES},
        "tracks": _("巡河轨迹"),
        "activities": _("活动（按类型聚合）"),
        "problems": _("问题（按状态）"),
        "hotspots": _("热点（Gi*，显著性检验）"),
        "heat": _("热力（仅示意，未做检验）"),
        "heat_ramp": _("浅 → 深：少 → 多"),
        "stations": _("代表家站"),
        "outline": _("区界"),
        "network": _("河流与支沟"),
        "km": _("公里"),
        "labelled": _("%(label)s：%(value)s"),
        "days_ago": _("%(days)s 天前"),
        "gap_days": _("至少 %(days)s 天没人巡查"),
        "never": _("从未巡查"),
        "last_visit": _("最近巡查"),
        "gaps_summary": _("%(n)s 段，共 %(km)s 公里。点击一段，地图缩放到那里。"),
        "no_gaps": _("所选河道在这段时间内都有人巡查过，没有未巡河段。"),
        "gaps_more": _("另有 %(n)s 段较短的未巡河段，放大地图可见。"),
        "gaps_tiled": _("所选范围有 %(n)s 个河段，未巡河段不逐段列出，已在地图上以黄色标出；在“河道”中选一条河道可列出各段。"),
        "gaps_legend": _("未巡河段（超过 %(days)s 天）"),
        "loading": _("正在载入……"),
        "loaded": _("已更新"),
        "empty_period": _("所选时间段内没有活动记录。"),
        "load_failed": _("部分图层载入失败，请检查网络后重试。"),
        "details": _("查看详情"),
        "people": _("参与人数"),
        "debris": _("垃圾（公斤）"),
        "vector_tiles_note": _("记录较多，轨迹和活动以矢量瓦片显示。"),
        "reach_tiles_note": _("河段较多，河段颜色和未巡河段以矢量瓦片显示，地图缩得太小时不显示。"),
        "hotspot_classes": {
            "hot_99": _("热点（99% 置信）"),
            "hot_95": _("热点（95% 置信）"),
            "hot_90": _("热点（90% 置信）"),
            "not_significant": _("不显著"),
            "cold_90": _("冷点（90% 置信）"),
            "cold_95": _("冷点（95% 置信）"),
            "cold_99": _("冷点（99% 置信）"),
            "no_effort": _("无巡河记录，无法校正"),
        },
        "hotspot_summary": _("%(units)s 个单元：热点 %(hot)s 个，冷点 %(cold)s 个（已做 FDR 校正）。"),
        "hotspot_value": _("数值"),
        "hotspot_effort": _("巡河里程"),
        "service_records": _("%(count)s 条"),
        "kinds": dict(Activity.Kind.choices),
        "problem_states": problem_state_labels(),
    }


def _map_config(request):
    """What the script needs besides words: where the data is, and the defaults for this user."""
    start, end = default_period()
    mine = own_waterway_ids(request.user)
    return {
        "urls": {
            "summary": reverse("api-map-summary"),
            "coverage": reverse("api-coverage"),
            "freshness": reverse("api-coverage-reaches"),
            "gaps": reverse("api-coverage-gaps"),
            "hotspots": reverse("api-hotspots"),
            "activities": reverse("api-map-activities"),
            "tracks": reverse("api-map-tracks"),
            "problems": reverse("api-map-problems"),
            "tile": reverse("api-tile", kwargs={"layer": "LAYER", "z": 0, "x": 0, "y": 0}).replace("0/0/0", "{z}/{x}/{y}"),
            "waterways": reverse("api-waterways"),
            "district": reverse("api-district"),
            "stations": reverse("api-stations"),
        },
        "defaults": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "waterway": "mine" if mine else "",
            "days": DEFAULT_GAP_DAYS,
        },
        # Freshness and gap tiles start at this zoom (reports.selectors.tiles).
        "reach_tile_min_zoom": REACH_MIN_ZOOM,
        # The waterway layer identifies waterways by code.
        "mine_codes": list(Waterway.objects.filter(id__in=mine or []).values_list("code", flat=True)),
    }


@login_required
def river_chief_map(request):
    """Coverage, gaps, hotspots and the period's work on one map, for chiefs and the office."""
    _require_chief_or_staff(request)
    mine = set(own_waterway_ids(request.user) or [])
    target = target_status()
    waterways = list(Waterway.objects.only("id", "name", "kind", "code").order_by("-kind", "code"))
    return render(request, "reports/map.html", {
        "waterways": waterways,
        "mine_count": len(mine),
        "kinds": Activity.Kind.choices,
        "roles": Role.choices,
        "teams": Team.objects.only("id", "name").order_by("name"),
        "gap_days_choices": sorted({7, 30, 90, 180, 365, DEFAULT_GAP_DAYS}),
        "gap_days_default": DEFAULT_GAP_DAYS,
        "reach_m": settings.REACH_LENGTH_M,
        "hex_size_m": settings.HOTSPOT_HEX_SIZE_M,
        "neighbour_m": settings.HOTSPOT_NETWORK_NEIGHBOUR_M,
        "campaign": target["campaign"],
        "definition": target["definition"],
        "service_target": target,  # the header's counter: computed once for the page
        "map_text": _map_text(),
        "map_config": _map_config(request),
    })


@login_required
def compliance_page(request):
    """河长巡河考核: chiefs behind schedule (with each period and each patrol's reason) and deputies'
    participation. The same selectors as /api/compliance/…, so page and API agree."""
    _require_chief_or_staff(request)
    today = timezone.localdate()
    errors = []

    def _messages(error):
        detail = error.detail
        return [str(message) for messages in (detail.values() if isinstance(detail, dict) else [detail])
                for message in (messages if isinstance(messages, list) else [messages])]

    # The chiefs to act on, unless asked otherwise.
    query = request.GET.copy()
    query.setdefault("behind", "1")
    try:
        params = ComplianceParams(query, context={"own_waterway_ids": lambda: own_waterway_ids(request.user),
                                                  "today": today})
        params.is_valid(raise_exception=True)
        filters = params.filters()
        start, end, waterway_ids = filters.start, filters.end, filters.waterway_ids
        behind_only = params.validated_data.get("behind", True)
    except ValidationError as error:
        errors += _messages(error)
        (start, end), waterway_ids, behind_only = default_period(today), None, True
    # The year the chosen period ends in, kept to the years a report may name whatever the dates.
    deputy_query = request.GET.copy()
    deputy_query.setdefault("year", str(min(max(end.year, FIRST_DAY.year), LAST_DAY.year)))
    try:
        deputy = DeputyParams.read(deputy_query, today=today)
        year, days, as_of = deputy["year"], deputy["days"], deputy["as_of"]
    except ValidationError as error:
        errors += _messages(error)
        year, days, as_of = end.year, compliance.DEFAULT_SILENT_DAYS, today

    result = compliance.chief_compliance(viewer=request.user, start=start, end=end, today=today,
                                         behind_only=behind_only, waterway_ids=waterway_ids)
    presets = compliance.window_presets(today)
    for preset in presets:
        preset["active"] = (preset["start"], preset["end"]) == (start, end)
    summary = result["summary"]
    return render(request, "reports/compliance.html", {
        "result": result,
        "summary": summary,
        "counted_pct": round(100 * summary["counted"] / summary["required"]) if summary["required"] else None,
        "start": start, "end": end, "as_of": result["period"]["as_of"], "today": today,
        "behind_only": behind_only, "presets": presets, "errors": errors,
        "is_staff_viewer": is_office_staff(request.user),
        "may_edit_rules": request.user.is_staff and request.user.has_perm("patrols.change_patrolrule"),
        "deputies": compliance.deputy_participation(viewer=request.user, year=year, days=days, as_of=as_of),
    })
