"""Shared fixtures for the reports tests: people in each role (a village chief with posts on two
gullies, a township chief, the office's staff, a volunteer team), and two ways to put patrols on
the map — a GPS walk submitted through POST /api/activities/ (reach visits computed for real), or
visits planted on chosen reaches (exact times, no geometry involved).

Times are Beijing times (`beijing("2026-04-30 23:50")`), the district's calendar."""

import math
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import shapely

from patrols import services as patrol_services
from patrols.models import Activity, ReachVisit, ServiceRecord
from people.models import ChiefAssignment
from tests.patrols.conftest import api, crew  # noqa: F401  (the patrols tests' client and small district, shared here)
from tests.patrols.factories import TO_LONLAT, make_person, make_team
from waterways.models import Reach, Waterway

BEIJING = ZoneInfo("Asia/Shanghai")
SECONDS_PER_FIX = 8  # a walker's pace with a fix every 10 m: 4.5 km/h


def beijing(text):
    """'2026-04-30 23:50' as an aware Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def waterway_line(code):
    """The waterway's centre line as a shapely LineString in the storage SRID (metres)."""
    return shapely.from_wkb(bytes(Waterway.objects.get(code=code).geom.wkb))


def _normal(line, along_m):
    """Unit vector to the left of the line at along_m."""
    a = line.interpolate(max(0.0, along_m - 2))
    b = line.interpolate(min(line.length, along_m + 2))
    dx, dy = b.x - a.x, b.y - a.y
    norm = math.hypot(dx, dy) or 1.0
    return -dy / norm, dx / norm


def points_along(code, start_m, length_m, *, step_m=10.0, offsets=None):
    """Storage-SRID (x, y) every step_m along a waterway from start_m; offsets[i] (metres, left
    positive) moves the i-th point sideways, perpendicular to the line."""
    line = waterway_line(code)
    steps = max(1, int(round(length_m / step_m)))
    xys = []
    for i in range(steps + 1):
        along = min(line.length, max(0.0, start_m + i * step_m))
        point = line.interpolate(along)
        offset = offsets[i] if offsets is not None else 0.0
        nx, ny = _normal(line, along)
        xys.append((point.x + nx * offset, point.y + ny * offset))
    return xys


def points_across(code, at_m, half_width_m, *, step_m=10.0):
    """A straight walk across a waterway at at_m (a bridge), half_width_m to each side."""
    line = waterway_line(code)
    middle = line.interpolate(at_m)
    nx, ny = _normal(line, at_m)
    steps = int(2 * half_width_m / step_m)
    return [(middle.x + nx * (-half_width_m + i * step_m), middle.y + ny * (-half_width_m + i * step_m))
            for i in range(steps + 1)]


def fixes(xys, when):
    """Phone fixes [lon, lat, unix_ms, accuracy] for storage-SRID points, the first at `when`."""
    start_ms = int(when.timestamp() * 1000)
    lons, lats = TO_LONLAT.transform([x for x, _y in xys], [y for _x, y in xys])
    return [[lon, lat, start_ms + i * SECONDS_PER_FIX * 1000, 6.0] for i, (lon, lat) in enumerate(zip(lons, lats))]


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
        points = fixes(xys, when)
        body = {
            "client_uuid": str(uuid.uuid4()),
            "kind": kind,
            "started_at": when.isoformat(),
            "ended_at": (when + timedelta(seconds=len(points) * SECONDS_PER_FIX + 60)).isoformat(),
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
