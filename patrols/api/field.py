"""Small reads for the phone pages: who I am with my counts, and my recent records without geometry,
so that a phone on one bar of signal fetches a few kilobytes, not tracks."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from people import selectors as people_selectors

from .. import selectors
from ..models import Activity
from ..params import HistoryParams


class FieldPersonSerializer(drf.Serializer):
    id = drf.IntegerField()
    name = drf.CharField()
    role = drf.CharField()
    role_display = drf.CharField(source="get_role_display")
    level_display = drf.CharField(source="get_level_display")
    teams = drf.SerializerMethodField()

    def get_teams(self, person) -> list[str]:
        return [team.name for team in person.teams.all()]


def district_progress(target: dict) -> dict:
    """The district's count for the phone's home screen: the campaign running today (running), or
    the last one's result and this year's count so far; what counts, in one sentence."""
    campaign = target["campaign"]
    return {
        "running": bool(campaign and campaign["running"]),
        "campaign": campaign["name"] if campaign else None,
        "count": campaign["count"] if campaign else None,
        "target": campaign["target"] if campaign else None,
        "percent": campaign["percent"] if campaign else None,
        "year": target["year"]["year"],
        "year_count": target["year"]["count"],
        "definition": target["definition"],
    }


class FieldMe(APIView):
    """The signed-in user's status for the phone home screen: today, my service records, the district's
    progress. (My points: /api/points/me/, which the phone asks itself.)"""

    @extend_schema(responses={200: dict})
    def get(self, request):
        person = people_selectors.person_of(request.user)
        today = timezone.localdate()
        return Response({
            "user": {"id": request.user.pk, "username": request.user.get_username(), "display_name": request.user.display_name},
            "person": FieldPersonSerializer(person).data if person else None,
            "today": selectors.day_summary(request.user, person, today),
            "service_records": selectors.service_record_summary(person, today.year) if person else None,
            "district": district_progress(selectors.target_status(today)),
            "server_time": timezone.now().isoformat(),
        })


class FieldHistoryItemSerializer(drf.ModelSerializer):
    kind_display = drf.CharField(source="get_kind_display")
    status_display = drf.CharField(source="get_status_display")
    waterway_name = drf.CharField(source="waterway.name", default=None, allow_null=True)
    photo_count = drf.IntegerField()
    problem_count = drf.IntegerField()
    submitted_by_me = drf.BooleanField()

    class Meta:
        model = Activity
        fields = [
            "id", "client_uuid", "kind", "kind_display", "status", "status_display", "review_note",
            "started_at", "ended_at", "received_at", "distance_m", "duration_s", "waterway_name", "off_network",
            "debris_kg", "bags", "photo_count", "problem_count", "submitted_by_me",
        ]


class FieldHistorySerializer(drf.Serializer):
    results = FieldHistoryItemSerializer(many=True)


class FieldHistory(APIView):
    """What I submitted or took part in, newest first, without geometry."""

    @extend_schema(parameters=[HistoryParams], responses=FieldHistorySerializer)
    def get(self, request):
        limit = HistoryParams.read(request.query_params)["limit"]
        person = people_selectors.person_of(request.user)
        rows = selectors.my_recent_activities(request.user, person, limit=limit)
        return Response({"results": FieldHistoryItemSerializer(rows, many=True).data})
