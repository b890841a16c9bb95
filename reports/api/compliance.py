"""Patrol compliance of river chiefs, and deputies' participation (read-only, chiefs and staff)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ..params import ComplianceParams, DeputyParams, read
from ..permissions import ChiefOrStaff
from ..selectors import compliance as selectors


class ChiefComplianceView(APIView):
    """Each river chief's patrols against the rule of their level, most missing first."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(
        parameters=[ComplianceParams],
        responses={200: dict},
        description=gettext_lazy(
            "考核周期为 ISO 周（周一至周日）、自然月、自然季度（北京时间）；在统计期内结束的周期计入，"
            "包含今天（或结束日期）且尚未结束的周期显示为进行中，不计缺次。任期须覆盖整个周期才考核。"
            "计入次数 = 本人在任河长河道上的巡河中，未被驳回且达到当前规则的最少时长和里程的次数。"
        ),
    )
    def get(self, request):
        params = read(ComplianceParams, request)
        filters = params.filters()
        return Response(selectors.chief_compliance(
            viewer=request.user, start=filters.start, end=filters.end,
            behind_only=params.validated_data.get("behind", False), waterway_ids=filters.waterway_ids,
        ))


class DeputyParticipationView(APIView):
    """Deputies' participation rate for a year, and who has had no service record lately."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(
        parameters=[DeputyParams],
        responses={200: dict},
        description=gettext_lazy(
            "参与率 = 在册人大代表中，当年至少有一条服务记录（活动未被驳回）的人数 ÷ 在册人大代表人数。"
            "district_reported_pct 为区里报告的两年参与率，仅供对照。电话只对工作人员显示。"
        ),
    )
    def get(self, request):
        chosen = read(DeputyParams, request).validated_data
        return Response(selectors.deputy_participation(viewer=request.user, year=chosen["year"], days=chosen["days"],
                                                       as_of=chosen["as_of"]))
