"""GET /api/hotspots/: Getis-Ord Gi* hotspots of problems, debris or activities, as GeoJSON."""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ..params import HotspotParams, read
from ..permissions import ChiefOrStaff
from ..selectors.hotspots import hotspots


class HotspotsView(APIView):
    permission_classes = [ChiefOrStaff]

    @extend_schema(
        summary=gettext_lazy("热点分析（Getis-Ord Gi*，FDR 校正）"),
        description=gettext_lazy(
            "六边形网格或河段上的 Gi* 热点/冷点（二元权重，含自身），Benjamini–Hochberg 校正后分为 "
            "99/95/90% 置信的热点、冷点与不显著。返回 GeoJSON（经纬度）：每个单元的 value（热力图用）、"
            "raw、z、p、class（判断以 class 为准），以及 meta（方法、p 值来源、FDR 阈值、各类数量等）。"
            "活动类型筛选只作用于被统计的对象；按巡河里程校正时，里程总按巡河计。"
        ),
        parameters=[HotspotParams],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params = read(HotspotParams, request)
        chosen = params.validated_data
        return Response(hotspots(params.filters(), measure=chosen["measure"], method=chosen["method"],
                                 normalize=chosen["normalize"], size_m=chosen["size"]))
