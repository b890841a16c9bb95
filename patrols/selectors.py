"""Reads of activities and service records. Who may read what is patrols.scopes; whether a patrol
meets its rule is patrols.compliance; this module fetches what they need and what pages show."""

from __future__ import annotations

from datetime import date

import shapely
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from people.models import ChiefAssignment, Role
from riverwatch.dates import day_bounds, local_day, year_bounds
from waterways import service_area
from waterways.models import Reach

from . import problem_reports, scopes
from .compliance import NOT_MEASURED, ChiefPost, PatrolFigures, judge_activity
from .models import KINDS_WITHOUT_SERVICE, Activity, PatrolRule, RawTrack, ReachVisit, ServiceCampaign, ServiceRecord


def why_cannot_review(reviewer, activity):
    if scopes.reviews_own(reviewer, activity):
        return _("不能审核自己提交或参加的活动，请由队长、河长或工作人员审核。")
    return _("只有参与者所在队伍的队长、该河道的河长或工作人员可以审核。")


def with_map_geometry(queryset):
    """The track, or else the point, in the API's lon/lat (transformed in SQL), and how many
    reaches it covered."""
    geometry = Coalesce("track", "point", output_field=GeometryField(srid=settings.GIS_SRID))
    visits = ReachVisit.objects.filter(activity=OuterRef("pk")).order_by().values("activity").annotate(n=Count("id")).values("n")
    return queryset.annotate(
        geometry_api=Transform(geometry, settings.API_SRID),
        reach_visit_count=Coalesce(Subquery(visits), 0),
    )


def _bbox_in_storage_area(bbox):
    """The lon/lat box clipped to the storage projection's area (a transverse Mercator zone is
    meaningless far outside it) and densified, so its edges stay true when transformed."""
    west, south, east, north = bbox
    area_west, area_south, area_east, area_north = service_area.projection_area()
    west, south, east, north = max(west, area_west), max(south, area_south), min(east, area_east), min(north, area_north)
    if west >= east or south >= north:
        return None
    ring = shapely.segmentize(shapely.box(west, south, east, north), 0.01)
    return GEOSGeometry(memoryview(shapely.to_wkb(ring)), srid=settings.API_SRID)


def _with_everything_shown(queryset):
    """What a page or the API shows of each activity, fetched in a fixed number of queries."""
    return (
        with_map_geometry(queryset)
        .select_related("waterway", "submitted_by__person", "reviewed_by__person")
        .prefetch_related("service_records__person", "photos", problem_reports.prefetch())
    )


def activity_list(user, **filters):
    """Activities the user may read, filtered (see listed_activities), newest first, with everything a list shows."""
    return _with_everything_shown(listed_activities(user, **filters)).order_by("-started_at", "-id")


def listed_activities(user, *, bbox=None, start=None, end=None, kind=None, waterway=None, person=None, team=None,
                      status=None, role=None, counted=None):
    """Activities the user may read, filtered. bbox is (west, south, east, north) in lon/lat, and an
    activity overlapping it is included; start and end are district dates (both included); waterway a
    Waterway (or its id); role: someone took part in that role (scopes.took_part_as_q, the reports'
    rule); counted: True only those that count (not rejected), False only the rejected."""
    queryset = scopes.readable_by(user)
    if bbox is not None:
        box = _bbox_in_storage_area(bbox)
        if box is None:
            return queryset.none()
        # Given in lon/lat: the database transforms it to the storage SRID.
        queryset = queryset.filter(Q(track__intersects=box) | Q(point__intersects=box))
    if start is not None:
        queryset = queryset.filter(started_at__gte=day_bounds(start, start)[0])
    if end is not None:
        queryset = queryset.filter(started_at__lt=day_bounds(end, end)[1])
    if kind:
        queryset = queryset.filter(kind=kind)
    if waterway is not None:
        queryset = queryset.filter(waterway=waterway)
    if person:
        queryset = queryset.filter(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), person_id=person)))
    if team:
        queryset = queryset.filter(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), person__teams__id=team)))
    if status:
        queryset = queryset.filter(status=status)
    if role:
        queryset = queryset.filter(scopes.took_part_as_q(role))
    if counted is not None:
        queryset = queryset.filter(scopes.counted_q()) if counted else queryset.exclude(scopes.counted_q())
    return queryset


# The head of the activity list, in one statement over the listed activities (their ids, from the
# ORM's own SQL): what a report quotes of them. Service records, people and hours are those of the
# listed activities' records (only the role's records when a role is chosen), as
# service_record_stats() counts them; the cleanup and sewer figures are the activities' own.
LIST_FIGURES_SQL = """
WITH listed AS ({listed})
SELECT activity.activities, activity.debris_kg, activity.bags, activity.manholes_checked, activity.outfalls_checked,
       record.service_records, record.people, record.hours
  FROM (SELECT count(*) AS activities, coalesce(sum(a.debris_kg), 0) AS debris_kg, coalesce(sum(a.bags), 0) AS bags,
               coalesce(sum(a.manholes_checked), 0) AS manholes_checked,
               coalesce(sum(a.outfalls_checked), 0) AS outfalls_checked
          FROM patrols_activity a
         WHERE a.id IN (SELECT id FROM listed)) activity,
       (SELECT count(*) AS service_records, count(DISTINCT s.person_id) AS people,
               coalesce(sum(s.hours), 0) AS hours
          FROM patrols_servicerecord s
         WHERE s.activity_id IN (SELECT id FROM listed) AND (%s::text IS NULL OR s.role = %s::text)) record
"""


def activity_list_figures(user, **filters) -> dict:
    """{activities, service_records, people, hours, debris_kg, bags, manholes_checked, outfalls_checked}
    of the activities activity_list() lists with these filters: one query."""
    listed_sql, listed_params = listed_activities(user, **filters).order_by().values("id").query.sql_with_params()
    role = filters.get("role") or None
    with connection.cursor() as cursor:
        cursor.execute(LIST_FIGURES_SQL.format(listed=listed_sql), [*listed_params, role, role])
        names = [column.name for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def activity_detail(user, pk):
    return _with_everything_shown(scopes.readable_by(user)).filter(pk=pk).first()


def readable_activity(user, pk):
    """The activity, if the login may read it (else None), without what a page shows of it."""
    return scopes.readable_by(user).filter(pk=pk).first()


def removal_trail(user, activity) -> list[dict]:
    """The removals of an activity this login may read (scopes.readable_removals), with their ISO
    times as moments and the staff logins who removed them by name."""
    entries = scopes.readable_removals(user, activity.removed_participants or [])
    removers = get_user_model().objects.filter(pk__in={entry.get("by") for entry in entries}).select_related("person")
    names = {remover.pk: remover.display_name for remover in removers}
    return [
        {**entry, "at": parse_datetime(entry.get("at") or ""), "by_name": names.get(entry.get("by"), "")}
        for entry in entries
    ]


def visited_reaches(activity):
    return (
        Reach.objects.filter(visits__activity=activity)
        .select_related("waterway")
        .annotate(geom_api=Transform("geom", settings.API_SRID))
        .order_by("waterway_id", "seq")
    )


def activities_near_waterways(waterway_ids, distance_m):
    """Ids of activities whose track passes within distance_m of the given waterways (all if None)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT a.id FROM patrols_activity a JOIN waterways_waterway w"
            " ON ST_DWithin(a.track, w.geom, %(distance)s)"
            " WHERE a.track IS NOT NULL AND (%(ids)s::bigint[] IS NULL OR w.id = ANY(%(ids)s::bigint[]))",
            {"distance": distance_m, "ids": list(waterway_ids) if waterway_ids is not None else None},
        )
        return [row[0] for row in cursor.fetchall()]


# --- Patrol compliance of shown activities -----------------------------------------------------------

def compliance_of(activities) -> dict:
    """{activity id: ActivityCompliance} for the activities a page shows, judged now (after any
    review, rule edit or change of waterway) by patrols.compliance. Two queries for any number of
    activities, given their service records prefetched."""
    patrols = [activity for activity in activities if activity.kind == Activity.Kind.PATROL]
    verdicts = {activity.pk: NOT_MEASURED for activity in activities}
    if not patrols:
        return verdicts
    people = {activity.pk: {record.person_id for record in activity.service_records.all()} for activity in patrols}
    days = {activity.pk: local_day(activity.started_at) for activity in patrols}
    posts = list(
        ChiefAssignment.objects.filter(person_id__in=set().union(*people.values()), since__lte=max(days.values()))
        .filter(Q(until__isnull=True) | Q(until__gte=min(days.values())))
        .values_list("person_id", "person__name", "level", "waterway_id", "since", "until")
    )
    rules = {rule.level: rule for rule in PatrolRule.objects.all()}
    for activity in patrols:
        day = days[activity.pk]
        held = [ChiefPost(person_id, name, level, waterway_id, since, until)
                for person_id, name, level, waterway_id, since, until in posts
                if person_id in people[activity.pk] and since <= day and (until is None or day <= until)]
        figures = PatrolFigures(day=day, duration_s=activity.duration_s, distance_m=activity.distance_m,
                                rejected=activity.status == Activity.Status.REJECTED)
        verdicts[activity.pk] = judge_activity(figures, activity.waterway_id, held, rules)
    return verdicts


# --- Service records -----------------------------------------------------------

def service_record_definition():
    return _(
        "服务记录：一人参加一次巡河、清漂保洁、污水管网排查、垃圾分类宣传等活动计 1 条，"
        "同一人同一活动只计一次；被驳回的活动不计，待审核的计入并单列。"
    )


def counted_service_records():
    """Service records that count: those of activities not rejected."""
    return ServiceRecord.objects.filter(scopes.counted_q("activity__"))


def records_between(start: date, end: date):
    """Counted service records of activities started between two dates (inclusive, Beijing time)."""
    low, high = day_bounds(start, end)
    return counted_service_records().filter(activity__started_at__gte=low, activity__started_at__lt=high)


def service_record_totals(*, start: date, end: date):
    """{total, verified, pending}: counted service records of activities started between two dates
    (inclusive, Beijing time), in one query."""
    return records_between(start, end).aggregate(
        total=Count("id"),
        verified=Count("id", filter=Q(activity__status=Activity.Status.VERIFIED)),
        pending=Count("id", filter=Q(activity__status=Activity.Status.SUBMITTED)),
    )


def service_record_stats(*, start: date, end: date):
    """Counts toward the target between two dates (inclusive, Beijing time), by kind and role too."""
    records = records_between(start, end)
    totals = service_record_totals(start=start, end=end)
    # Kinds that never make a service record would only ever show 0 here.
    kinds = {key: label for key, label in Activity.Kind.choices if key not in KINDS_WITHOUT_SERVICE}
    roles = dict(Role.choices)
    by_kind = {row["activity__kind"]: row["n"] for row in records.values("activity__kind").annotate(n=Count("id")).order_by()}
    by_role = {row["role"]: row["n"] for row in records.values("role").annotate(n=Count("id")).order_by()}
    return {
        **totals,
        "by_kind": [{"kind": key, "label": label, "count": by_kind.get(key, 0)} for key, label in kinds.items()],
        "by_role": [{"role": key, "label": label, "count": by_role.get(key, 0)} for key, label in roles.items()],
        "people": records.values("person_id").distinct().count(),
        "activities": records.values("activity_id").distinct().count(),
    }


def _campaign_progress(campaign: ServiceCampaign, today: date) -> dict:
    count = records_between(campaign.start, campaign.end).count()
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "target": campaign.target,
        "start": campaign.start,
        "end": campaign.end,
        "count": count,
        "percent": round(100 * count / campaign.target, 1),
        "running": campaign.start <= today <= campaign.end,
        "definition": campaign.definition or service_record_definition(),
    }


def current_campaign(today: date | None = None) -> ServiceCampaign | None:
    """The campaign running today, else the last one that ended; None before the office sets one."""
    today = today or timezone.localdate()
    running = ServiceCampaign.objects.filter(start__lte=today, end__gte=today).order_by("-start", "-id").first()
    return running or ServiceCampaign.objects.filter(end__lt=today).order_by("-end", "-id").first()


def target_status(today: date | None = None) -> dict:
    """The district's service-record target as the header and the phone show it: the campaign
    running today, else the last one that ended (with its result) and this year's count so far.
    {campaign: {…} or None, year: {year, count}, definition}."""
    today = today or timezone.localdate()
    campaign = current_campaign(today)
    progress = _campaign_progress(campaign, today) if campaign else None
    return {
        "campaign": progress,
        "year": {"year": today.year, "count": records_between(date(today.year, 1, 1), today).count()},
        "definition": progress["definition"] if progress else service_record_definition(),
    }


def person_history(person):
    return (
        ServiceRecord.objects.filter(person=person)
        .select_related("activity", "activity__waterway")
        .order_by("-activity__started_at")
    )


def person_summary(person, visible_activities):
    """Totals for a person's page, over the activities the viewer may see."""
    records = counted_service_records().filter(person=person, activity__in=visible_activities)
    totals = records.aggregate(
        records=Count("id"),
        hours=Sum("hours"),
        distance_m=Sum("activity__distance_m"),
        debris_kg=Sum("activity__debris_kg"),
    )
    totals["verified"] = records.filter(activity__status=Activity.Status.VERIFIED).count()
    return totals


# --- the phone app: my day, my counts, my recent records ------------------------------------------

def day_summary(user, person, day: date):
    """How many activities and kilometres I have on a (Beijing) day, rejected ones left out."""
    low, high = day_bounds(day, day)
    totals = (
        Activity.objects.filter(scopes.own_q(user, person), scopes.counted_q(), started_at__gte=low, started_at__lt=high)
        .aggregate(activities=Count("id"), distance_m=Sum("distance_m"))
    )
    return {"activities": totals["activities"], "distance_km": round((totals["distance_m"] or 0) / 1000, 2)}


def service_record_summary(person, year: int):
    """A person's service records: all time, this (Beijing) year, verified, and hours."""
    low, high = year_bounds(year)
    this_year = Q(activity__started_at__gte=low, activity__started_at__lt=high)
    totals = counted_service_records().filter(person=person).aggregate(
        total=Count("id"),
        year=Count("id", filter=this_year),
        verified=Count("id", filter=Q(activity__status=Activity.Status.VERIFIED)),
        hours=Sum("hours"),
    )
    return {**totals, "hours": float(totals["hours"] or 0)}


def my_recent_activities(user, person, *, limit: int):
    return (
        Activity.objects.filter(scopes.own_q(user, person))
        .select_related("waterway")
        .annotate(
            photo_count=Count("photos", distinct=True),
            problem_count=Count("problems", distinct=True),
            submitted_by_me=ExpressionWrapper(Q(submitted_by=user), output_field=BooleanField()),
        )
        .order_by("-started_at", "-pk")[:limit]
    )


def raw_tracks_started_before(cutoff):
    """Raw fixes past their retention: of activities that started before `cutoff`."""
    return RawTrack.objects.filter(activity__started_at__lt=cutoff)
