"""Problems seen at the river (现场问题), as they are kept today: with the activity that reported them.
The one place that creates and reads them, so that the closed-loop problem list (a problems app of
its own) can take them over here without hunting through the rest of patrols. Besides this module,
only the problems hotspot's set-based statement (reports/selectors/hotspots.py) reads their table,
and the demo's summary counts them (demo/reset.py). The personal-data export
(patrols/privacy.py) and anonymisation (patrols/services.forget_person) reach them through
`reported_by` and `of_activities`."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import PointOnSurface, Transform
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from riverwatch.dates import local_minute

from .models import Activity, Photo, ProblemReport

# A phone's clock and the moment a problem is noted may stray a little outside the activity's
# own times (the same hour of grace as GPS fixes); further out it belongs to another outing.
PROBLEM_TIME_MARGIN = timedelta(hours=1)

# Namespace of the per-problem advisory locks (the first argument of the two-key form).
PROBLEM_LOCK_NAMESPACE = 4546_300


class DuplicateProblem(Exception):
    """A problem's uuid is already used by a problem of another activity."""


class UnknownProblem(ValidationError):
    """A photo names a problem that is not one of its activity's."""


# Each problem of an activity goes to the nearest waterway within SNAP_DISTANCE_M, with its
# position along it; a problem with no point, or far from every waterway, to none.
PROBLEM_SNAP_SQL = """
UPDATE patrols_problemreport AS p
   SET waterway_id = nearest.id, position_m = nearest.position_m
  FROM patrols_problemreport AS q
  LEFT JOIN LATERAL (
      SELECT w.id, ST_LineLocatePoint(w.geom, q.point) * ST_Length(w.geom) AS position_m
        FROM waterways_waterway w
       WHERE ST_DWithin(w.geom, q.point, %(snap)s)
       ORDER BY ST_Distance(w.geom, q.point), w.id
       LIMIT 1
  ) AS nearest ON TRUE
 WHERE p.id = q.id AND q.activity_id = %(activity)s
"""


def check(submission):
    """Raises ValidationError naming the problem (by its number in the body) that is wrong."""
    problems = submission.problems
    if submission.kind == Activity.Kind.PROBLEM_REPORT and not problems:
        raise ValidationError(_("问题上报至少要有一个问题（problems）。"))
    seen = {}
    low, high = submission.started_at - PROBLEM_TIME_MARGIN, submission.ended_at + PROBLEM_TIME_MARGIN
    for number, problem in enumerate(problems, start=1):
        if problem.client_uuid in seen:
            raise ValidationError(
                _("第 %(n)s 个问题的编号（client_uuid）与第 %(first)s 个问题相同，每个问题要有自己的编号。")
                % {"n": number, "first": seen[problem.client_uuid]}
            )
        seen[problem.client_uuid] = number
        if not low <= problem.observed_at <= high:
            raise ValidationError(
                _("第 %(n)s 个问题的发现时间（%(when)s）不在活动的开始、结束时间内（%(start)s 至 %(end)s，前后可差 %(hours)s 小时）。")
                % {"n": number, "when": local_minute(problem.observed_at), "start": local_minute(submission.started_at),
                   "end": local_minute(submission.ended_at), "hours": round(PROBLEM_TIME_MARGIN.total_seconds() / 3600)}
            )


def claim_uuids(problems):
    """Locks the problems' uuids (in order, so two submissions cannot deadlock) and refuses one
    that another activity already uses: a phone must not move a problem between records."""
    uuids = sorted({problem.client_uuid for problem in problems}, key=lambda value: value.int)
    with connection.cursor() as cursor:
        for value in uuids:
            # The two-key form takes two int4s: any stable 31-bit slice of the uuid will do.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PROBLEM_LOCK_NAMESPACE, value.int % (2**31)])
    taken = list(
        ProblemReport.objects.filter(client_uuid__in=uuids).order_by("client_uuid").values_list("client_uuid", flat=True)
    )
    if taken:
        raise DuplicateProblem(
            _("问题编号（client_uuid）%(uuids)s 已用于另一条活动记录里的问题，请为新问题生成新的编号。")
            % {"uuids": "、".join(str(value) for value in taken)}
        )


def create(activity, problems):
    """Stores an activity's problems and snaps each to its waterway (one statement for all)."""
    rows = [
        ProblemReport(
            activity=activity, client_uuid=problem.client_uuid, category=problem.category, note=problem.note,
            point=problem.point, observed_at=problem.observed_at,
        )
        for problem in problems
    ]
    for row in rows:
        # The activity was saved a moment ago; the uuid was claimed under a lock; the point was built
        # and checked by GEOS (the database still enforces the constraints).
        row.full_clean(exclude=["activity", "client_uuid", "point"])
    ProblemReport.objects.bulk_create(rows)
    if any(row.point is not None for row in rows):
        with connection.cursor() as cursor:
            cursor.execute(PROBLEM_SNAP_SQL, {"activity": activity.pk, "snap": settings.SNAP_DISTANCE_M})


def of_activity(activity, client_uuid):
    """The problem of this activity with the uuid, for a photo that shows it."""
    problem = ProblemReport.objects.filter(activity_id=activity.pk, client_uuid=client_uuid).first()
    if problem is None:
        raise UnknownProblem(_("该活动没有编号为 %(uuid)s 的问题。") % {"uuid": client_uuid})
    return problem


def reported_by(user_id):
    """The problems on activities this login submitted, with the point in lon/lat, oldest first."""
    return (
        ProblemReport.objects.filter(activity__submitted_by_id=user_id)
        .select_related("waterway")
        .annotate(point_api=Transform("point", settings.API_SRID))
        .order_by("observed_at", "pk")
    )


def of_activities(activities):
    """The problems reported on these activities."""
    return ProblemReport.objects.filter(activity__in=activities)


def prefetch():
    """Each activity's problems, the point in lon/lat (transformed in SQL), with their waterway and
    the ids of their photos: three queries for a whole page of activities."""
    return Prefetch(
        "problems",
        queryset=ProblemReport.objects.select_related("waterway")
        .annotate(point_api=Transform("point", settings.API_SRID))
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.only("id", "problem_id"))),
    )


def located(activities, start_at, end_at, *, waterway_ids=None):
    """The problems of these activities seen in [start_at, end_at), on the given waterways (by
    their own snapped waterway), each with `location`: its point, else its activity's (the point,
    else a point on the track), in lon/lat; those with no location at all are left out."""
    problems = ProblemReport.objects.filter(
        activity__in=activities.values("pk"), observed_at__gte=start_at, observed_at__lt=end_at,
    )
    if waterway_ids is not None:
        problems = problems.filter(waterway_id__in=waterway_ids)
    location = Coalesce("point", "activity__point", PointOnSurface("activity__track"),
                        output_field=PointField(srid=settings.GIS_SRID))
    return problems.annotate(location=Transform(location, settings.API_SRID)).filter(location__isnull=False)
