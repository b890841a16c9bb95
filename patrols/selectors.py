"""Reads of activities and service records, and who may see or review what."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

import shapely
from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from pyproj import CRS

from people import selectors as people_selectors
from people.models import Person, Role
from waterways.models import Reach

from .models import KINDS_WITHOUT_SERVICE, Activity, Photo, ProblemReport, ReachVisit, ServiceRecord

WGS84 = 4326


def _oversight_filter(person):
    """Q for the activities a person oversees: those of the teams they lead, and those on the
    waterways they are river chief of. None when they oversee nothing."""
    scope = None
    team_ids = people_selectors.led_team_ids(person)
    if team_ids:
        # A problem report has no service record, only a submitter: that is who is on the team.
        scope = Q(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), person__teams__in=team_ids))) | Q(
            Exists(Person.objects.filter(user=OuterRef("submitted_by"), teams__in=team_ids))
        )
    waterway_ids = people_selectors.chief_waterway_ids(person)
    if waterway_ids:
        scope = (scope | Q(waterway_id__in=waterway_ids)) if scope else Q(waterway_id__in=waterway_ids)
    return scope


def _own_filter(user, person):
    """Q for the activities a user submitted or took part in (a problem report has no service
    record, only a submitter)."""
    scope = Q(submitted_by=user)
    if person is not None:
        scope |= Q(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), person=person)))
    return scope


def _scope_filter(user):
    """Q for the activities a non-staff user may read: their own, those they took part in, and
    those they oversee."""
    person = people_selectors.person_of(user)
    scope = _own_filter(user, person)
    if person is not None:
        oversight = _oversight_filter(person)
        if oversight is not None:
            scope |= oversight
    return scope


def activities_visible_to(user):
    queryset = Activity.objects.all()
    if not people_selectors.is_office_staff(user):
        queryset = queryset.filter(_scope_filter(user))
    return queryset


# activities_visible_to as an SQL condition on `a` (an activity row), for set-based queries such
# as vector tiles that cannot start from a queryset. Parameters from visibility_params(); a test
# checks that both select the same activities.
VISIBLE_ACTIVITY_CONDITION = """(
       %(sees_everything)s
    OR a.submitted_by_id = %(viewer_user)s
    OR a.waterway_id = ANY(%(chief_waterways)s::bigint[])
    OR EXISTS (SELECT 1 FROM patrols_servicerecord vs
                WHERE vs.activity_id = a.id
                  AND (vs.person_id = %(viewer_person)s
                       OR vs.person_id IN (SELECT vm.person_id FROM people_team_members vm
                                            WHERE vm.team_id = ANY(%(led_teams)s::bigint[]))))
    OR EXISTS (SELECT 1 FROM people_person vp JOIN people_team_members vm ON vm.person_id = vp.id
                WHERE vp.user_id = a.submitted_by_id AND vm.team_id = ANY(%(led_teams)s::bigint[]))
)"""


def visibility_params(user) -> dict:
    if people_selectors.is_office_staff(user):
        return {"sees_everything": True, "viewer_user": None, "viewer_person": None, "chief_waterways": [], "led_teams": []}
    person = people_selectors.person_of(user)
    return {
        "sees_everything": False,
        "viewer_user": user.pk,
        "viewer_person": person.pk if person else None,
        "chief_waterways": people_selectors.chief_waterway_ids(person),
        "led_teams": people_selectors.led_team_ids(person),
    }


def _review_scope(reviewer, activity):
    if people_selectors.is_office_staff(reviewer):
        return True
    person = people_selectors.person_of(reviewer)
    oversight = _oversight_filter(person) if person is not None else None
    return oversight is not None and Activity.objects.filter(oversight, pk=activity.pk).exists()


def _reviews_own(reviewer, activity):
    person = people_selectors.person_of(reviewer)
    return activity.submitted_by_id == reviewer.pk or (
        person is not None and activity.service_records.filter(person=person).exists()
    )


def can_review(reviewer, activity):
    return not _reviews_own(reviewer, activity) and _review_scope(reviewer, activity)


def why_cannot_review(reviewer, activity):
    if _reviews_own(reviewer, activity):
        return _("不能审核自己提交或参加的活动，请由队长、河长或工作人员审核。")
    return _("只有参与者所在队伍的队长、该河道的河长或工作人员可以审核。")


def with_wgs84(queryset):
    """The track, or else the point, in lon/lat (transformed in SQL), and how many reaches it covered."""
    geometry = Coalesce("track", "point", output_field=GeometryField(srid=settings.GIS_SRID))
    visits = ReachVisit.objects.filter(activity=OuterRef("pk")).order_by().values("activity").annotate(n=Count("id")).values("n")
    return queryset.annotate(
        geometry_wgs84=Transform(geometry, WGS84),
        reach_visit_count=Coalesce(Subquery(visits), 0),
    )


def problems_prefetch():
    """Each activity's problems, the point in lon/lat (transformed in SQL), with their waterway
    and the ids of their photos: three queries for a whole page of activities."""
    return Prefetch(
        "problems",
        queryset=ProblemReport.objects.select_related("waterway")
        .annotate(point_wgs84=Transform("point", WGS84))
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.only("id", "problem_id"))),
    )


@lru_cache
def _storage_area_lonlat():
    """Where the storage projection is defined (west, south, east, north in lon/lat)."""
    area = CRS.from_epsg(settings.GIS_SRID).area_of_use
    return (area.west, area.south, area.east, area.north)


def _bbox_in_storage_area(bbox):
    """The lon/lat box clipped to the storage projection's area (a transverse Mercator zone is
    meaningless far outside it) and densified, so its edges stay true when transformed."""
    west, south, east, north = bbox
    area_west, area_south, area_east, area_north = _storage_area_lonlat()
    west, south, east, north = max(west, area_west), max(south, area_south), min(east, area_east), min(north, area_north)
    if west >= east or south >= north:
        return None
    ring = shapely.segmentize(shapely.box(west, south, east, north), 0.01)
    return GEOSGeometry(memoryview(shapely.to_wkb(ring)), srid=WGS84)


def activity_list(user, *, bbox=None, start=None, end=None, kind=None, waterway=None, person=None, team=None, status=None):
    """Activities the user may read, filtered. bbox is (west, south, east, north) in lon/lat; an
    activity overlapping it is included. start/end are dates (inclusive), in Beijing time."""
    queryset = activities_visible_to(user)
    if bbox is not None:
        box = _bbox_in_storage_area(bbox)
        if box is None:
            return queryset.none()
        # Given in lon/lat: the database transforms it to the storage SRID.
        queryset = queryset.filter(Q(track__intersects=box) | Q(point__intersects=box))
    if start is not None:
        queryset = queryset.filter(started_at__gte=_local_range(start, start)[0])
    if end is not None:
        queryset = queryset.filter(started_at__lte=_local_range(end, end)[1])
    if kind:
        queryset = queryset.filter(kind=kind)
    if waterway:
        queryset = queryset.filter(waterway__code=waterway)
    if person:
        queryset = queryset.filter(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), person_id=person)))
    if team:
        queryset = queryset.filter(
            Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), person__teams__id=team))
        )
    if status:
        queryset = queryset.filter(status=status)
    return (
        with_wgs84(queryset)
        .select_related("waterway", "submitted_by", "reviewed_by")
        .prefetch_related(problems_prefetch())
        .order_by("-started_at", "-id")
    )


def activity_detail(user, pk):
    return (
        with_wgs84(activities_visible_to(user))
        .select_related("waterway", "submitted_by__person", "reviewed_by__person")
        .prefetch_related("service_records__person", "photos", problems_prefetch())
        .filter(pk=pk)
        .first()
    )


def visited_reaches(activity):
    return (
        Reach.objects.filter(visits__activity=activity)
        .select_related("waterway")
        .annotate(geom_wgs84=Transform("geom", WGS84))
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


# --- Service records -----------------------------------------------------------

def service_record_definition():
    return _(
        "服务记录：一人参加一次巡河、清漂保洁、污水管网排查、垃圾分类宣传等活动计 1 条，"
        "同一人同一活动只计一次；被驳回的活动不计，待审核的计入并单列。"
    )


def counted_service_records():
    return ServiceRecord.objects.exclude(activity__status=Activity.Status.REJECTED)


def _local_range(start: date, end: date):
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end, time.max)),
    )


def _records_between(start: date, end: date):
    return counted_service_records().filter(activity__started_at__range=_local_range(start, end))


def service_record_totals(*, start: date, end: date):
    """{total, verified, pending}: counted service records of activities started between two dates
    (inclusive, Beijing time), in one query."""
    return _records_between(start, end).aggregate(
        total=Count("id"),
        verified=Count("id", filter=Q(activity__status=Activity.Status.VERIFIED)),
        pending=Count("id", filter=Q(activity__status=Activity.Status.SUBMITTED)),
    )


def service_record_stats(*, start: date, end: date):
    """Counts toward the target between two dates (inclusive, Beijing time), by kind and role too."""
    records = _records_between(start, end)
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


def target_progress():
    """The district's target and how far the campaign period has got, for the header and the API."""
    start, end = settings.SERVICE_TARGET_START, settings.SERVICE_TARGET_END
    low, high = _local_range(start, end)
    count = counted_service_records().filter(activity__started_at__range=(low, high)).count()
    return {
        "target": settings.SERVICE_TARGET,
        "start": start,
        "end": end,
        "count": count,
        "percent": round(100 * count / settings.SERVICE_TARGET, 1) if settings.SERVICE_TARGET else None,
        "definition": service_record_definition(),
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
    totals = (
        Activity.objects.filter(_own_filter(user, person))
        .filter(started_at__range=_local_range(day, day))
        .exclude(status=Activity.Status.REJECTED)
        .aggregate(activities=Count("id"), distance_m=Sum("distance_m"))
    )
    return {"activities": totals["activities"], "distance_km": round((totals["distance_m"] or 0) / 1000, 2)}


def service_record_summary(person, year: int):
    """A person's service records: all time, this (Beijing) year, verified, and hours."""
    this_year = Q(activity__started_at__range=_local_range(date(year, 1, 1), date(year, 12, 31)))
    totals = counted_service_records().filter(person=person).aggregate(
        total=Count("id"),
        year=Count("id", filter=this_year),
        verified=Count("id", filter=Q(activity__status=Activity.Status.VERIFIED)),
        hours=Sum("hours"),
    )
    return {**totals, "hours": float(totals["hours"] or 0)}


def my_recent_activities(user, person, *, limit: int):
    return (
        Activity.objects.filter(_own_filter(user, person))
        .select_related("waterway")
        .annotate(
            photo_count=Count("photos", distinct=True),
            problem_count=Count("problems", distinct=True),
            submitted_by_me=ExpressionWrapper(Q(submitted_by=user), output_field=BooleanField()),
        )
        .order_by("-started_at", "-pk")[:limit]
    )
