"""GET /api/hotspots/: Getis-Ord Gi* hotspots of problems, debris or activities, as GeoJSON."""

from django.conf import settings
from django.utils.translation import gettext as _, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..filters import parse_bounded_int, parse_filters
from ..permissions import ChiefOrStaff
from ..selectors.hotspots import MEASURES, METHODS, NORMALIZATIONS, hotspots
from .layers import FILTER_PARAMETERS

SIZE_RANGE_M = (50, 5000)


def _choice(params, name, choices, default, described):
    value = (params.get(name) or "").strip() or default
    if value not in choices:
        raise ValidationError({name: _("参数 %(name)s 的值“%(value)s”无效，可选：%(choices)s。")
                               % {"name": name, "value": value[:40], "choices": described}})
    return value


class HotspotsView(APIView):
    permission_classes = [ChiefOrStaff]

    @extend_schema(
        summary=gettext_lazy("热点分析（Getis-Ord Gi*，FDR 校正）"),
        description=gettext_lazy(
            "六边形网格或河段上的 Gi* 热点/冷点（二元权重，含自身），Benjamini–Hochberg 校正后分为 "
            "99/95/90% 置信的热点、冷点与不显著。返回 GeoJSON（EPSG:4326）：每个单元的 value（热力图用）、"
            "raw、z、p、class（判断以 class 为准），以及 meta（方法、p 值来源、FDR 阈值、各类数量等）。"
            "活动类型筛选只作用于被统计的对象；按巡河里程校正时，里程总按巡河计。"
        ),
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("measure", str, enum=list(MEASURES),
                             description=gettext_lazy("统计对象：problems 问题数，debris 垃圾公斤数，activities 活动次数；默认 problems")),
            OpenApiParameter("method", str, enum=list(METHODS),
                             description=gettext_lazy("分析单元：hex 六边形网格，network 河段（沿河网相邻）；默认 hex")),
            OpenApiParameter("normalize", str, enum=list(NORMALIZATIONS),
                             description=gettext_lazy("effort：除以单元内巡河里程（公里）；默认 none")),
            OpenApiParameter("size", int, description=gettext_lazy("六边形边长（米），50–5000，默认 250；仅 hex")),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params = request.query_params
        filters = parse_filters(request)
        measure = _choice(params, "measure", MEASURES, "problems",
                          _("problems（问题数）、debris（垃圾公斤数）、activities（活动次数）"))
        method = _choice(params, "method", METHODS, "hex", _("hex（六边形网格）、network（河段）"))
        normalize = _choice(params, "normalize", NORMALIZATIONS, "none", _("none（不校正）、effort（按巡河里程）"))
        size = parse_bounded_int(params, "size", settings.HOTSPOT_HEX_SIZE_M, *SIZE_RANGE_M, _("六边形边长（米）"))
        return Response(hotspots(filters, measure=measure, method=method, normalize=normalize, size_m=size))
