"""Which activities a report counts (reports.filters), and the places that read it: the problem layer
and the problems hotspot count the same problems; the hex hotspot puts an activity where the activity
layer draws it; the rule's SQL form and its ORM form pick the same activities. Aggregates (hotspots)
count work a chief may not read, while the records themselves (the layers) follow the reading rule."""

import itertools
import uuid
from datetime import date, timedelta

import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.db import connection
from shapely.geometry import shape

from patrols.models import Activity, ServiceRecord
from problems.models import Problem
from reports.filters import FILTERED_ACTIVITIES_SQL, ReportFilters, counted_activities
from tests.support.clock import beijing
from tests.support.geo import to_metres
from waterways.models import Waterway

MAY = {"start": "2026-05-01", "end": "2026-05-31"}


at = beijing


def on(code, position_m, sideways_m=0.0):
    line = Waterway.objects.get(code=code).geom
    point = line.interpolate(position_m)
    return Point(point.x + sideways_m, point.y, srid=line.srid)


def work(person, kind, started_at, *, code=None, position_m=0.0, point=True, track=None, status="submitted",
         others=()):
    """An activity by `person` (and `others`), with a service record each, written to the tables."""
    reviewed = {} if status == "submitted" else {
        "reviewed_by": person.user, "reviewed_at": started_at + timedelta(days=1),
        "review_note": "不实" if status == "rejected" else ""}
    activity = Activity.objects.create(
        client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=kind, submitted_by=person.user,
        started_at=started_at, ended_at=started_at + timedelta(hours=2), status=status,
        point=on(code, position_m) if code and point else None, track=track,
        waterway=Waterway.objects.get(code=code) if code else None, waterway_position_m=position_m if code else None,
        **reviewed,
    )
    for someone in (person, *others):
        ServiceRecord.objects.create(activity=activity, person=someone, role=someone.role, level=someone.level, hours=1)
    return activity


def problem(activity, observed_at, *, code=None, position_m=0.0, point=True, far=False):
    """An accepted problem on `activity`, snapped to `code` at position_m (as PROBLEM_SNAP_SQL would), or at a
    point far from any waterway, or with no point at all."""
    snapped = bool(code and point and not far)
    location = on("ZW-G07", 100, sideways_m=5000) if far else on(code, position_m) if snapped else None
    return Problem.objects.create(
        activity=activity, client_uuid=uuid.uuid4(), category="garbage", point=location, observed_at=observed_at,
        source="patrol", state="accepted", accepted_at=observed_at,
        waterway=Waterway.objects.get(code=code) if snapped else None, position_m=position_m if snapped else None,
    )


@pytest.fixture
def mixed(crew):
    """Work around the start of May 2026 by people of each role, in and out of the volunteer team."""
    volunteer, teammate, outsider = crew["volunteer"], crew["teammate"], crew["outsider"]
    chief, other_chief = crew["chief"], crew["other_chief"]
    # Started late on 30 April, its problems seen after midnight: May's problems.
    night = work(volunteer, "patrol", at("2026-04-30 23:00"), code="ZW-G07", position_m=300, others=[teammate])
    problem(night, at("2026-04-30 23:40"), code="ZW-G07", position_m=320)
    problem(night, at("2026-05-01 00:30"), code="ZW-G07", position_m=900)
    problem(night, at("2026-05-01 00:40"), point=False)  # no point: no waterway, drawn at the activity
    cleanup = work(chief, "cleanup", at("2026-05-03 09:00"), code="ZW-G07", position_m=1500)
    problem(cleanup, at("2026-05-03 09:30"), code="ZW-G07", position_m=1510)
    problem(cleanup, at("2026-05-03 09:40"), far=True)  # off the network
    elsewhere = work(other_chief, "patrol", at("2026-05-10 08:00"), code="ZW-G01", position_m=200)
    problem(elsewhere, at("2026-05-10 08:30"), code="ZW-G01", position_m=250)
    problem(elsewhere, at("2026-06-01 00:10"), code="ZW-G01", position_m=260)  # June
    inspection = work(outsider, "sewer_inspection", at("2026-05-31 23:30"), code="ZW-G01", position_m=800)
    problem(inspection, at("2026-05-31 23:50"), code="ZW-G01", position_m=810)
    rejected = work(volunteer, "patrol", at("2026-05-12 08:00"), code="ZW-G07", position_m=2000, status="rejected")
    problem(rejected, at("2026-05-12 08:30"), code="ZW-G07", position_m=2010)
    verified = work(teammate, "cleanup", at("2026-05-20 08:00"), code="ZW-G01", position_m=1200, status="verified")
    problem(verified, at("2026-05-20 08:10"), code="ZW-G01", position_m=1210)
    work(chief, "patrol", at("2026-05-22 08:00"), code="ZW-G07", position_m=100)  # no problem
    work(outsider, "other", at("2026-05-23 08:00"))  # nowhere
    return crew


def _count_problems_both_ways(client, query):
    layer = client.get("/api/map/problems/", query)
    assert layer.status_code == 200, layer.json()
    hotspots = client.get("/api/hotspots/", {**query, "measure": "problems", "method": "network"})
    assert hotspots.status_code == 200, hotspots.json()
    body = hotspots.json()
    counted = sum(feature["properties"]["raw"] for feature in body["features"]) + body["meta"]["off_network"]
    return len(layer.json()["features"]), counted, body["meta"]["items"]


def test_the_problem_layer_and_the_problems_hotspot_count_the_same_problems(mixed, api):
    staff = api(mixed["staff"])
    g07 = Waterway.objects.get(code="ZW-G07").pk
    cases = [
        (MAY, 7),  # the night patrol's two after midnight, cleanup 2, elsewhere 1, inspection 1, verified 1
        ({"start": "2026-04-30", "end": "2026-04-30"}, 1),  # the night patrol's problem before midnight
        ({"start": "2026-05-01", "end": "2026-05-01"}, 2),  # its activity started the day before
        ({**MAY, "kind": "patrol"}, 3),
        ({**MAY, "kind": "cleanup"}, 3),
        ({**MAY, "kind": "sewer_inspection,patrol"}, 4),
        ({**MAY, "role": "chief"}, 3),
        ({**MAY, "team": mixed["team"].pk}, 3),  # the night patrol (volunteer and teammate) and the verified one
        ({**MAY, "waterway": g07}, 2),  # problems without a point or far away belong to no waterway
        ({**MAY, "waterway": g07, "kind": "cleanup"}, 1),
        ({"start": "2026-06-01", "end": "2026-06-30"}, 1),
    ]
    for query, expected in cases:
        on_layer, on_network, items = _count_problems_both_ways(staff, query)
        assert on_layer == on_network == items == expected, query


def test_the_problems_hotspot_leaves_out_what_the_office_has_not_accepted(mixed, api):
    """The layer shows every problem reported by someone signed in (open, overdue, fixed, closed
    unfixed); the hotspot counts only those the office accepted, and neither a duplicate nor an invalid one."""
    staff = api(mixed["staff"])
    before = _count_problems_both_ways(staff, MAY)
    waiting = Problem.objects.filter(observed_at__gte=at("2026-05-01 00:00")).order_by("pk").first()
    Problem.objects.filter(pk=waiting.pk).update(state="reported", accepted_at=None)
    on_layer, on_network, items = _count_problems_both_ways(staff, MAY)
    assert (on_layer, on_network, items) == (before[0], before[1] - 1, before[2] - 1)
    Problem.objects.filter(pk=waiting.pk).update(state="closed", ending="invalid", accepted_at=at("2026-05-02 08:00"))
    assert _count_problems_both_ways(staff, MAY) == (before[0] - 1, before[1] - 1, before[2] - 1)


def test_the_hex_hotspot_counts_an_activity_where_the_activity_layer_draws_it(crew, api):
    """A track without a point is placed at ST_PointOnSurface(track) by the layer and the tiles; the
    hex hotspot must put it in the cell holding that point (not the track's point nearest its
    centroid, a different place on a V-shaped walk)."""
    left, right = on("ZW-G07", 400), on("ZW-G07", 1200)
    apex = Point((left.x + right.x) / 2, (left.y + right.y) / 2 + 450, srid=left.srid)
    track = MultiLineString(LineString([left.coords, apex.coords, right.coords], srid=left.srid), srid=left.srid)
    walk = work(crew["volunteer"], "patrol", at("2026-05-05 08:00"), track=track)
    walk.waterway = Waterway.objects.get(code="ZW-G07")
    walk.save(update_fields=["waterway"])
    staff = api(crew["staff"])

    drawn = staff.get("/api/map/activities/", MAY).json()["features"]
    assert [feature["properties"]["id"] for feature in drawn] == [walk.pk]
    drawn_at = shapely.Point(to_metres(*drawn[0]["geometry"]["coordinates"]))
    line = shapely.from_wkb(bytes(track.wkb))
    nearest_centre = shapely.ops.nearest_points(line, line.centroid)[0]
    assert drawn_at.distance(nearest_centre) > 150  # the two rules really place it apart

    result = staff.get("/api/hotspots/", {**MAY, "measure": "activities", "method": "hex", "size": 50}).json()
    assert result["meta"]["items"] == 1 and result["meta"]["outside_study_area"] == 0
    counted = [feature for feature in result["features"] if feature["properties"]["raw"]]
    assert len(counted) == 1
    cell = shapely.transform(shape(counted[0]["geometry"]),
                             lambda xy: np.column_stack(to_metres(xy[:, 0], xy[:, 1])))
    assert cell.buffer(0.01).contains(drawn_at)


def test_hotspots_count_work_a_chief_may_not_read_which_the_problem_layer_does_not_show(mixed, api):
    """Aggregates (coverage, gaps, freshness, hotspots) cover all work that is not rejected, for any
    chief: they reveal counts, not people or notes. Records (layers, tiles, compliance details)
    follow the reading rule. The chief of 斤坪沟 (ZW-G01) may not read the work on 狮子沟 (ZW-G07)."""
    other_chief = api(mixed["other_chief"])
    staff = api(mixed["staff"])
    g07 = Waterway.objects.get(code="ZW-G07").pk
    query = {**MAY, "waterway": g07}
    assert other_chief.get("/api/map/problems/", query).json()["features"] == []
    theirs = other_chief.get("/api/hotspots/", {**query, "measure": "problems", "method": "network"}).json()
    everyone = staff.get("/api/hotspots/", {**query, "measure": "problems", "method": "network"}).json()
    assert theirs["meta"]["items"] == everyone["meta"]["items"] == 2
    assert [f["properties"]["raw"] for f in theirs["features"]] == [f["properties"]["raw"] for f in everyone["features"]]
    # Over the whole district the chief's layer shows only what they may read; the hotspot counts all.
    shown = len(other_chief.get("/api/map/problems/", MAY).json()["features"])
    counted = other_chief.get("/api/hotspots/", {**MAY, "measure": "problems", "method": "network"}).json()
    assert shown < counted["meta"]["items"] == 7


def test_the_sql_and_orm_forms_of_the_rule_pick_the_same_activities(mixed):
    """reports.filters states the rule once in each form, side by side: FILTERED_ACTIVITIES_SQL
    (coverage, hotspots, tiles) and counted_activities (the GeoJSON layers)."""
    periods = [(date(2026, 5, 1), date(2026, 5, 31)), (date(2026, 4, 30), date(2026, 4, 30)),
               (date(2026, 5, 31), date(2026, 6, 30)), (date(2026, 1, 1), date(2026, 12, 31))]
    kinds = [None, ("patrol",), ("cleanup", "sewer_inspection"), ("other",)]
    roles = [None, "volunteer", "chief", "deputy"]
    teams = [None, mixed["team"].pk]
    nonempty = 0
    for (start, end), kind, role, team in itertools.product(periods, kinds, roles, teams):
        filters = ReportFilters(start=start, end=end, kinds=kind, role=role, team_id=team)
        with connection.cursor() as cursor:
            cursor.execute(FILTERED_ACTIVITIES_SQL, filters.sql_params())
            in_sql = {row[0] for row in cursor.fetchall()}
        in_orm = set(counted_activities(filters).values_list("id", flat=True))
        assert in_sql == in_orm, filters
        nonempty += bool(in_sql)
    assert nonempty >= 40  # most combinations select something, so agreement is not between empty sets
