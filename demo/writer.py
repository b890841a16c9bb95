"""Writes a plan: people, logins, teams and chief posts through people.services, then every
activity through the domain layer (patrols.submissions.build, then patrols.services.record_activity,
reviews through patrols.services.review_activity), so cleaning, snapping, reach visits, service
records, compliance and the points a verification earns (points_ledger.credit_review) are the real ones.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from pyproj import Transformer

from patrols import services, submissions
from patrols.models import Activity
from people import services as people_services
from people.models import Person, Team
from waterways.models import Town, Village, Waterway

from .clock import frozen_at
from .planner import TZ, Plan, PlannedActivity
from .points_ledger import credit_review
from .tracks import track_fixes

DEFAULT_PASSWORD = "riverwatch-demo"
# Demo activity uuids are uuid5 in this namespace, so a seed always gives the same ids.
UUID_NAMESPACE = uuid.UUID("6f1d3c52-8f7e-4d0a-9a57-3e2b7c1d5a90")


@dataclass
class Directory:
    people: dict  # key -> Person
    users: dict  # key -> User


@transaction.atomic
def write_people(plan: Plan, *, password=DEFAULT_PASSWORD):
    """People, logins, teams and chief posts, in one transaction. Only the demo logins (plan.logins)
    get the password; the other logins exist to submit the history and cannot be signed in with."""
    towns = Town.objects.in_bulk(field_name="code")
    villages = Village.objects.in_bulk(field_name="code")
    ways = Waterway.objects.in_bulk(field_name="code")
    # Real people and teams come first: a demo person does without a phone someone already has,
    # a demo team whose name is taken gets a marked one.
    taken_phones = set(Person.objects.exclude(phone="").values_list("phone", flat=True))
    taken_teams = set(Team.objects.values_list("name", flat=True))

    users = {
        p.key: people_services.create_login(username=p.username, password=password if p.password_login else None)
        for p in plan.people if p.login
    }
    people = {
        p.key: people_services.create_person(
            name=p.name, role=p.role, level=p.level, phone="" if p.phone in taken_phones else p.phone,
            town=towns.get(p.town), village=villages.get(p.village), user=users.get(p.key), note=p.note,
        )
        for p in plan.people
    }
    for planned in plan.teams:
        people_services.create_team(
            name=planned.name if planned.name not in taken_teams else f"{planned.name}（演示）", kind=planned.kind,
            town=towns.get(planned.town), village=villages.get(planned.village),
            members=[people[key] for key in planned.members], leaders=[people[key] for key in planned.leaders],
        )
    for post in plan.assignments:
        people_services.create_chief_assignment(
            person=people[post.person], waterway=ways[post.waterway], level=post.level, since=post.since, until=post.until
        )
    return Directory(people=people, users=users)


def activity_uuid(planned: PlannedActivity):
    return uuid.uuid5(UUID_NAMESPACE, f"{planned.number}/{planned.started_at.isoformat()}/{planned.submitter}")


def problem_uuid(planned: PlannedActivity, index: int):
    """The client uuid of the activity's index-th problem."""
    return uuid.uuid5(UUID_NAMESPACE, f"{activity_uuid(planned)}/problem/{index}")


def _submission(planned: PlannedActivity, directory: Directory, ways, to_lonlat):
    """The body a phone would send for this activity, built into a submission by the domain layer
    (patrols.submissions), so the demo goes through the same checks and cleaning as real ones."""
    payload = {
        "client_uuid": str(activity_uuid(planned)), "kind": planned.kind,
        "participants": [directory.people[key].id for key in planned.participants],
        "figures": {k: str(v) for k, v in planned.figures.items()}, "notes": planned.notes,
        "location_source": planned.location_source,
    }
    ended_at = planned.started_at + timedelta(seconds=planned.duration_s)
    if planned.track is not None:
        fixes = track_fixes(planned.track, ways[planned.track.way], planned.started_at, to_lonlat)
        payload["points"] = [fixes]
        # The phone stops recording a moment after its last fix.
        ended_at = datetime.fromtimestamp(fixes[-1][2] / 1000, tz=TZ) + timedelta(seconds=round(planned.track.interval_s))
    else:
        lon, lat = to_lonlat.transform(*planned.point)
        payload["point"] = [round(lon, 6), round(lat, 6)]
    payload["started_at"], payload["ended_at"] = planned.started_at.isoformat(), ended_at.isoformat()
    if planned.problems:
        payload["problems"] = []
        for index, problem in enumerate(planned.problems):
            lon, lat = to_lonlat.transform(*problem.point)
            seen = min(planned.started_at + timedelta(seconds=problem.after_s), ended_at)
            payload["problems"].append({
                "client_uuid": str(problem_uuid(planned, index)),
                "category": problem.category, "note": problem.note,
                "point": [round(lon, 6), round(lat, 6)], "observed_at": seen.isoformat(),
            })
    submission = submissions.build(
        client_uuid=uuid.UUID(payload["client_uuid"]), kind=planned.kind, started_at=planned.started_at,
        ended_at=ended_at, points=payload.get("points"), point=payload.get("point"),
        location_source=planned.location_source, participant_ids=payload["participants"],
        figures=submissions.Figures(**{key: Decimal(str(value)) if key == "debris_kg" else value
                                       for key, value in planned.figures.items()}),
        notes=planned.notes,
        problems=[{**problem, "client_uuid": uuid.UUID(problem["client_uuid"]),
                   "observed_at": datetime.fromisoformat(problem["observed_at"])}
                  for problem in payload.get("problems", [])],
    )
    return submission, submissions.payload_digest(payload)


@dataclass
class WriteResult:
    activities: int = 0
    reviewer_fallbacks: int = 0  # reviews the office did because the planned reviewer could not


def write_activities(plan: Plan, directory: Directory, ways: dict, *, progress=lambda items: items, chunk=150):
    """Every planned activity through record_activity (and review_activity), a chunk per transaction.
    Returns a WriteResult. Each activity is recorded with the clock at the moment it would have been
    received (clock.frozen_at), so its receipt and its problems' report events carry that time; review
    times are then set to when they would have happened, since the services stamp the moment of the call."""
    to_lonlat = Transformer.from_crs(settings.GIS_SRID, settings.API_SRID, always_xy=True)
    result = WriteResult()
    pending = iter(progress(plan.activities))
    finished = False
    while not finished:
        finished = True
        with transaction.atomic():
            stamps = []
            for planned in itertools.islice(pending, chunk):
                finished = False
                submission, digest = _submission(planned, directory, ways, to_lonlat)
                submitter = directory.users[planned.submitter]
                with frozen_at(submission.ended_at + timedelta(seconds=planned.receive_delay_s)):
                    activity, _created = services.record_activity(
                        submitted_by=submitter, submission=submission, payload_sha256=digest
                    )
                if planned.decision:
                    _review(activity, planned, directory, result)
                    activity.reviewed_at = activity.received_at + timedelta(seconds=planned.review_delay_s)
                    credit_review(activity)
                stamps.append(activity)
                result.activities += 1
            Activity.objects.bulk_update(stamps, ["reviewed_at"])
    return result


def _review(activity, planned, directory, result):
    for attempt, key in enumerate(planned.reviewers):
        try:
            services.review_activity(
                activity=activity, reviewer=directory.users[key], decision=planned.decision, note=planned.review_note
            )
        except PermissionDenied:
            # Snapping may put the activity on another waterway than planned; then the office reviews.
            continue
        result.reviewer_fallbacks += attempt > 0
        return
    raise PermissionDenied(f"no reviewer could review activity {activity.pk}")


