from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import selectors


def basemap_text():
    """Names of the basemap choices (static/js/basemap.js), for every map page's words."""
    return {
        "tianditu_vector": _("天地图 矢量"),
        "tianditu_imagery": _("天地图 影像"),
        "no_basemap": _("无底图"),
    }


def _map_text():
    """Words the map script shows, translated here so the script stays language-free."""
    return {
        **basemap_text(),
        "legend": _("图例"),
        "rivers": _("河流"),
        "gullies": _("支沟"),
        "outline": _("区界"),
        "stations": _("代表家站"),
        "reaches": _("河段（每段 %(metres)g 米，点击河道显示）") % {"metres": settings.REACH_LENGTH_M},
        "kind": _("类型"),
        "length": _("长度"),
        "km": _("公里"),
        "parent": _("汇入"),
        "town": _("乡镇"),
        "accuracy": _("精度"),
        "approximate_position": _("位置为近似示意"),
        "loaded": _("已显示 %(n)s 条河道"),
        "reach_label": _("第 %(seq)s 段：%(start)s–%(end)s 米"),
        "load_failed": _("部分地图数据载入失败，请检查网络后刷新。"),
    }


@login_required
def network_map(request):
    """The district's water network on a map, with the list of waterways beside it."""
    return render(
        request,
        "waterways/network_map.html",
        {
            "waterways": selectors.waterway_list_rows(),
            "totals": selectors.network_totals(),
            "map_text": _map_text(),
            "reach_length_m": settings.REACH_LENGTH_M,
        },
    )
