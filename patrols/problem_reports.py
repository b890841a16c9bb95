"""Problems an activity reports (现场问题): checking them with their activity, handing them to the
problem list (problems.services stores them), and reading them back with their activities. The
seam between patrols and the problems app: the rest of patrols reaches problems only through here.
The personal-data export (patrols/privacy.py) and anonymisation (patrols/services.forget_person)
reach them through `reported_by` and `of_activities`."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from problems import services as problem_services
from problems.models import Problem
from riverwatch.dates import local_minute

from .models import Activity, Photo

# A phone's clock and the moment a problem is noted may stray a little outside the activity's
# own times (the same hour of grace as GPS fixes); further out it belongs to another outing.
PROBLEM_TIME_MARGIN = timedelta(hours=1)

# Namespace of the per-problem advisory locks (the first argument of the two-key form).
PROBLEM_LOCK_NAMESPACE = 4546_300


class DuplicateProblem(Exception):
    """A problem's uuid is already used by a problem of another activity."""


class UnknownProblem(ValidationError):
    """A photo names a problem that is not one of its activity's."""


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
        Problem.objects.filter(client_uuid__in=uuids).order_by("client_uuid").values_list("client_uuid", flat=True)
    )
    if taken:
        raise DuplicateProblem(
            _("问题编号（client_uuid）%(uuids)s 已用于另一条活动记录里的问题，请为新问题生成新的编号。")
            % {"uuids": "、".join(str(value) for value in taken)}
        )


def create(activity, problems):
    """Stores an activity's problems on the problem list, each snapped to its waterway."""
    problem_services.record_from_activity(
        activity=activity, problems=problems, phone_report=activity.kind == Activity.Kind.PROBLEM_REPORT)


def of_activity(activity, client_uuid):
    """The problem of this activity with the uuid, for a photo that shows it."""
    problem = Problem.objects.filter(activity_id=activity.pk, client_uuid=client_uuid).first()
    if problem is None:
        raise UnknownProblem(_("该活动没有编号为 %(uuid)s 的问题。") % {"uuid": client_uuid})
    return problem


def reported_by(user_id):
    """The problems on activities this login submitted, with the point in lon/lat, oldest first."""
    return (
        Problem.objects.filter(activity__submitted_by_id=user_id)
        .select_related("waterway")
        .annotate(point_api=Transform("point", settings.API_SRID))
        .order_by("observed_at", "pk")
    )


def of_activities(activities):
    """The problems reported on these activities."""
    return Problem.objects.filter(activity__in=activities)


def prefetch():
    """Each activity's problems, the point in lon/lat (transformed in SQL), with their waterway and
    the ids of their photos: three queries for a whole page of activities."""
    return Prefetch(
        "problems",
        queryset=Problem.objects.select_related("waterway")
        .annotate(point_api=Transform("point", settings.API_SRID))
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.only("id", "problem_id"))),
    )
