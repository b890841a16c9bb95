"""Fixtures of the reports tests: people in each role (a village chief with posts on two gullies, a
township chief, the office's staff, a volunteer team), and two ways to put patrols on the map — a GPS
walk submitted through POST /api/activities/ (reach visits computed for real), or visits planted on
chosen reaches (exact times, no geometry involved). Times are Beijing times (tests.support.clock)."""

import uuid
from datetime import date, timedelta

import pytest

from patrols import services as patrol_services
from patrols.models import Activity, ReachVisit, ServiceRecord
from people.models import ChiefAssignment
from tests.support.factories import make_person, make_team
from tests.support.walks import SECONDS_PER_STEP, fixes
from waterways.models import Reach, Waterway


@pytest.fixture
def report_people(district_data):
    """A village chief of 狮子沟 (ZW-G07) and 青石沟 (ZW-G09); a township chief of the 堵河 (ZW-R01);
    a volunteer team (two members and a leader); a post worker outside it; the office's staff."""
    chief = make_person(name="陈河长", role="chief", level="village")
    for code in ("ZW-G07", "ZW-G09"):
        ChiefAssignment.objects.create(person=chief, waterway=Waterway.objects.get(code=code), level="village",
                                       since=date(2024, 1, 1))
    township_chief = make_person(name="刘镇长", role="chief", level="township")
    ChiefAssignment.objects.create(person=township_chief, waterway=Waterway.objects.get(code="ZW-R01"),
                                   level="township", since=date(2024, 1, 1))
    volunteer = make_person(name="张志愿")
    teammate = make_person(name="李同伴")
    leader = make_person(name="王队长")
    team = make_team(members=[volunteer, teammate], leaders=[leader])
    post_worker = make_person(name="赵公益", role="post_worker")
    staff = make_person(name="河长办小刘", role="staff")
    return {
        "chief": chief, "township_chief": township_chief, "volunteer": volunteer, "teammate": teammate,
        "leader": leader, "team": team, "post_worker": post_worker, "staff": staff,
    }


@pytest.fixture
def submit_walk(api):
    """submit_walk(person, xys, when, kind="patrol", participants=()) -> Activity: posts the walk
    through POST /api/activities/ as the phone would, so snapping and reach visits run for real."""

    def submit(person, xys, when, *, kind="patrol", participants=()):
        points = fixes(xys, when, accuracy=6.0)
        body = {
            "client_uuid": str(uuid.uuid4()),
            "kind": kind,
            "started_at": when.isoformat(),
            "ended_at": (when + timedelta(seconds=len(points) * SECONDS_PER_STEP + 60)).isoformat(),
            "points": points,
        }
        if participants:
            body["participants"] = [other.pk for other in participants]
        response = api(person).post("/api/activities/", body, format="json")
        assert response.status_code == 201, response.json()
        return Activity.objects.get(pk=response.json()["id"])

    return submit


@pytest.fixture
def plant_visits(district_data):
    """plant_visits(code, seqs, when, person=None, kind="patrol", status="submitted") -> Activity:
    an activity started at `when` that visited the reaches `seqs` of waterway `code`, written
    straight to the tables. `person` (default: a new volunteer) takes part with their role."""

    def plant(code, seqs, when, *, person=None, kind="patrol", status="submitted"):
        person = person or make_person()
        reviewed = {}
        if status != "submitted":
            reviewed = {"reviewed_by": make_person(role="staff").user, "reviewed_at": when + timedelta(days=1),
                        "review_note": "轨迹与实际不符" if status == "rejected" else ""}
        activity = Activity.objects.create(
            client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=kind, submitted_by=person.user,
            started_at=when, ended_at=when + timedelta(hours=1), status=status, **reviewed,
        )
        ServiceRecord.objects.create(activity=activity, person=person, role=person.role, level=person.level, hours=1)
        reaches = list(Reach.objects.filter(waterway__code=code, seq__in=list(seqs)))
        assert len(reaches) == len(set(seqs)), "no such reach"
        ReachVisit.objects.bulk_create(
            ReachVisit(reach=reach, activity=activity, visited_at=when, covered_fraction=1.0) for reach in reaches
        )
        # Written past the services, so bring the reach rollups in step as they would.
        patrol_services.refresh_visit_rollups(activity_ids=[activity.pk])
        return activity

    return plant


@pytest.fixture
def reject(report_people):
    """reject(activity): the office rejects it, with a reason, through the review service."""

    def reject_activity(activity):
        return patrol_services.review_activity(
            activity=activity, reviewer=report_people["staff"].user, decision="reject", note="轨迹与实际不符"
        )

    return reject_activity
