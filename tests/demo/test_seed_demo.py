"""manage.py seed_demo: a deterministic two-year demo, written through the real services."""

import io
import math
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.test import RequestFactory, override_settings
from django.utils import timezone
from pyproj import Transformer

from demo import planner, reset, writer
from demo import tracks as demo_tracks
from demo.network import load_network
from patrols import scopes, selectors, services, tracks
from patrols.models import Activity, RawTrack, ReachVisit, ServiceRecord
from people.models import ChiefAssignment, Level, Person, Role, Team
from problems.models import Problem
from tests.support.factories import activity_body, make_person
from tests.support.walks import walk_along

# About 70 activities: enough for every kind and every review outcome, a few seconds to write.
SMALL = 0.04


def seed(**options):
    out = io.StringIO()
    call_command("seed_demo", scale=SMALL, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def fingerprint():
    return {
        "people": sorted(Person.objects.values_list("name", "role", "level", "phone", "town__code", "village__code")),
        "teams": sorted((t.name, t.kind, tuple(sorted(t.members.values_list("name", flat=True)))) for t in Team.objects.all()),
        "posts": sorted(ChiefAssignment.objects.values_list("person__name", "waterway__code", "level", "since", "until")),
        "activities": sorted(
            Activity.objects.values_list("client_uuid", "kind", "status", "waterway__code", "started_at", "ended_at", "debris_kg")
        ),
        "service_records": ServiceRecord.objects.count(),
        "distance_m": round(Activity.objects.aggregate(d=Sum("distance_m"))["d"], 3),
        "reach_visits": ReachVisit.objects.count(),
    }


@pytest.fixture
def full_plan(district_data):
    return planner.build_plan(load_network())


def test_the_full_demo_has_400_people_in_every_role_and_level_and_reaches_3200_service_records(full_plan):
    people = full_plan.people
    assert 380 <= len(people) <= 420
    roles = Counter(p.role for p in people)
    assert set(roles) == {Role.VOLUNTEER, Role.POST_WORKER, Role.DEPUTY, Role.CHIEF, Role.STAFF}
    assert roles[Role.VOLUNTEER] + roles[Role.POST_WORKER] > len(people) / 2
    assert {p.level for p in people if p.role == Role.DEPUTY} == {
        Level.NATIONAL, Level.PROVINCIAL, Level.MUNICIPAL, Level.DISTRICT, Level.TOWNSHIP}
    assert {p.level for p in people if p.role == Role.CHIEF} == {Level.DISTRICT, Level.TOWNSHIP, Level.VILLAGE}
    assert all(p.level == "" for p in people if p.role not in (Role.DEPUTY, Role.CHIEF))
    phones = [p.phone for p in people if p.phone]
    assert len(phones) == len(set(phones)) and all(len(phone) == 11 and phone.startswith("1") for phone in phones)

    assert full_plan.service_record_count >= planner.MIN_SERVICE_RECORDS
    # Every kind of service; problem reports (no service record) come only from phones.
    assert {a.kind for a in full_plan.activities} == {k.value for k in Activity.Kind} - {Activity.Kind.PROBLEM_REPORT.value}
    assert all(full_plan.start <= a.started_at.date() <= full_plan.end for a in full_plan.activities)
    assert all(1 <= len(a.participants) <= 6 and len(set(a.participants)) == len(a.participants) for a in full_plan.activities)
    # Nearly every deputy takes part over two years (the district reports 98%), not all.
    deputies = {p.key for p in people if p.role == Role.DEPUTY}
    active = deputies & {key for a in full_plan.activities for key in a.participants}
    assert 0.9 <= len(active) / len(deputies) < 1
    # More work in the flood season than in winter.
    months = Counter(a.started_at.month for a in full_plan.activities)
    assert months[7] + months[8] > 1.5 * (months[1] + months[2])


def test_every_waterway_has_its_chiefs_and_teams_have_leaders_among_members(full_plan):
    network = load_network()
    levels_by_way = {}
    for post in full_plan.assignments:
        if post.until is None:
            levels_by_way.setdefault(post.waterway, set()).add(post.level)
    for code, way in network.ways.items():
        expected = {Level.DISTRICT} if way.kind == "river" else {Level.TOWNSHIP, Level.VILLAGE}
        assert expected <= levels_by_way.get(code, set()), code
    assert {t.kind for t in full_plan.teams} == {Team.Kind.DEPUTY_GROUP, Team.Kind.VOLUNTEER, Team.Kind.VILLAGE}
    for team in full_plan.teams:
        assert team.leaders and set(team.leaders) <= set(team.members), team.name


def test_the_same_seed_plans_the_same_data_and_another_seed_does_not(district_data):
    network = load_network()
    first, again = (planner.build_plan(network, scale=0.2) for _ in range(2))
    other = planner.build_plan(network, scale=0.2, seed=planner.DEFAULT_SEED + 1)
    assert [p.name for p in first.people] == [p.name for p in again.people]
    assert [writer.activity_uuid(a) for a in first.activities] == [writer.activity_uuid(a) for a in again.activities]
    assert [p.name for p in first.people] != [p.name for p in other.people]


def test_patrol_fixes_look_like_a_phone_walking_the_bank(full_plan):
    way = load_network().ways["ZW-G07"]
    to_lonlat = Transformer.from_crs(settings.GIS_SRID, settings.API_SRID, always_xy=True)
    patrols = [a for a in full_plan.activities if a.track is not None][:60]
    gaps = wild = 0
    for planned in patrols:
        spec = planned.track
        spec.way, spec.start_s = way.code, min(spec.start_s, way.length)
        fixes = demo_tracks.track_fixes(spec, way, planned.started_at, to_lonlat)
        steps = [(b[2] - a[2]) / 1000 for a, b in zip(fixes, fixes[1:])]
        assert all(5 <= s <= 15 or 360 <= s <= 1300 for s in steps)
        gaps += any(s >= 360 for s in steps)
        accuracies = [f[3] for f in fixes]
        assert all(3 <= a <= 15 or 60 <= a <= 150 for a in accuracies)
        wild += any(a >= 60 for a in accuracies)
        # The good fixes follow the gully: the cleaned track stays within the patrol buffer.
        track = tracks.clean(tracks.parse_fixes([fixes]))
        near = sum(way.project(x, y)[1] <= 50 for segment in track.segments for x, y in segment)
        assert near >= 0.8 * sum(len(segment) for segment in track.segments)
        assert 0.3 <= track.distance_m / track.duration_s <= 3  # walking pace, pauses included
    assert gaps and wild


def test_problems_gather_at_a_few_trouble_spots_with_some_scattered(full_plan):
    """So the river-chief map's hotspot analysis has something real to find in the demo."""
    problems = [(activity, problem) for activity in full_plan.activities for problem in activity.problems]
    assert 100 <= len(problems) <= 400
    assert {activity.kind for activity, _p in problems} <= {"patrol", "cleanup", "sewer_inspection"}
    points = [problem.point for _a, problem in problems]
    crowded = [p for p in points if sum(math.dist(p, q) < 400 for q in points) >= 6]
    assert len(crowded) >= len(points) / 5  # the trouble spots
    assert len(crowded) <= len(points) * 4 / 5  # and scattered ones
    assert all(problem.note and problem.category in planner.PROBLEM_NOTES for _a, problem in problems)


def test_the_demo_is_written_through_the_services_as_planned(district_data):
    seed()
    plan = planner.build_plan(load_network(), scale=SMALL)
    planned = {writer.activity_uuid(a): a for a in plan.activities}
    assert Activity.objects.count() == len(planned)
    assert ServiceRecord.objects.count() == plan.service_record_count

    for activity in Activity.objects.prefetch_related("service_records__person__teams", "service_records__person__user"):
        intended = planned[activity.client_uuid]
        assert activity.kind == intended.kind
        # Reviews land as planned; recent work waits; a rejection says why.
        assert activity.status == {"verify": "verified", "reject": "rejected", "": "submitted"}[intended.decision]
        if (plan.end - timezone.localtime(activity.started_at).date()).days < 10:
            assert activity.status == Activity.Status.SUBMITTED
        if activity.status == Activity.Status.REJECTED:
            assert activity.review_note
        if activity.status != Activity.Status.SUBMITTED:
            assert activity.received_at <= activity.reviewed_at < activity.received_at + timedelta(days=7)
        assert activity.ended_at <= activity.received_at <= activity.ended_at + timedelta(days=2)
        # Participants are the submitter's teammates (a district chief patrols alone).
        submitter = next(r.person for r in activity.service_records.all() if r.person.user_id == activity.submitted_by_id)
        teams = set(submitter.teams.all())
        for record in activity.service_records.all():
            assert record.person == submitter or teams & set(record.person.teams.all())
        assert activity.waterway_id is not None or activity.kind == Activity.Kind.GARBAGE_SORTING

    patrols = Activity.objects.filter(kind=Activity.Kind.PATROL)
    assert patrols.exists() and not patrols.filter(track=None).exists()
    assert RawTrack.objects.filter(activity__in=patrols).count() == patrols.count()
    assert ReachVisit.objects.filter(activity__in=patrols).values("activity").distinct().count() == patrols.count()
    assert any(p.track_quality["fixes_dropped_inaccurate"] for p in patrols)
    assert any(p.track_quality["gaps"] and len(p.track) > 1 for p in patrols)
    verdicts = selectors.compliance_of(list(patrols.prefetch_related("service_records"))).values()
    assert any(verdict.counts is True for verdict in verdicts)
    assert any(verdict.counts is False and any(code.startswith("short_") for _post, chief in verdict.chiefs
                                               for code, _params in chief.reasons) for verdict in verdicts)
    cleanups = Activity.objects.filter(kind=Activity.Kind.CLEANUP)
    assert cleanups.exists() and not cleanups.filter(debris_kg=None).exists() and not cleanups.filter(off_network=True).exists()
    # Problems go in with their activity, seen during it, and snap to a waterway like phone reports
    # (the office's and the public's come on their own: tests/demo/test_closed_loop.py).
    problems = Problem.objects.filter(activity__isnull=False).select_related("activity")
    assert problems.exists() and problems.count() == sum(len(a.problems) for a in plan.activities)
    for problem in problems:
        assert problem.activity.started_at <= problem.observed_at <= problem.activity.ended_at
        assert problem.waterway_id is not None


def test_running_again_gives_identical_data_and_reset_keeps_other_people(district_data, django_user_model):
    admin = django_user_model.objects.create_superuser(username="admin", password="admin-pass-1")
    outsider = make_person(name="真实人员", phone="13800000000")
    output = seed()
    assert "服务记录" in output and "demo-volunteer" in output
    first = fingerprint()

    with pytest.raises(CommandError, match="--reset"):
        seed()
    assert seed(if_empty=True).startswith("· 数据库中已有")
    seed(reset=True)

    assert fingerprint() == first
    assert Person.objects.filter(pk=outsider.pk).exists()
    assert django_user_model.objects.filter(pk=admin.pk).exists()


def test_reset_refuses_when_demo_people_are_mixed_into_real_work(district_data, api):
    """A real login recorded a cleanup with a demo person: resetting would delete real records."""
    seed()
    demo_person = reset.demo_people().filter(role=Role.VOLUNTEER).first()
    staff = make_person(name="河长办真实人员", role="staff")
    real = api(staff).post("/api/activities/", activity_body(kind="cleanup", point=[110.55, 32.70],
                           participants=[demo_person.id]), format="json")
    assert real.status_code == 201
    before = (Activity.objects.count(), Person.objects.count(), get_user_model().objects.count())
    with pytest.raises(CommandError, match="未删除任何内容"):
        seed(reset=True)
    assert (Activity.objects.count(), Person.objects.count(), get_user_model().objects.count()) == before


def test_demo_logins_tell_one_story(district_data):
    seed(password="demo-pass-123")
    people = {}
    for label in ("volunteer", "leader", "village-chief", "township-chief", "staff"):
        user = authenticate(RequestFactory().post("/accounts/login/"), username=f"demo-{label}", password="demo-pass-123")
        assert user is not None, label
        people[label] = user.person
    # Other demo logins exist to submit the history; nobody can log in with them.
    other = get_user_model().objects.filter(username__startswith="demo-p").first()
    assert not other.has_usable_password() and authenticate(RequestFactory().post("/accounts/login/"), username=other.username,
                                                             password="demo-pass-123") is None

    assert people["volunteer"].role == Role.VOLUNTEER and people["staff"].role == Role.STAFF
    assert (people["village-chief"].level, people["township-chief"].level) == (Level.VILLAGE, Level.TOWNSHIP)
    assert Team.objects.filter(leaders=people["leader"], members=people["volunteer"]).exists()
    village_ways = set(people["village-chief"].chief_assignments.values_list("waterway", flat=True))
    township_ways = set(people["township-chief"].chief_assignments.values_list("waterway", flat=True))
    assert village_ways and village_ways <= township_ways
    # The leader finds the volunteer's latest work waiting for review.
    waiting = Activity.objects.filter(submitted_by=people["volunteer"].user, status=Activity.Status.SUBMITTED)
    assert waiting.exists()
    assert all(scopes.may_review(people["leader"].user, activity) for activity in waiting)


def test_refuses_a_database_with_real_activities_even_with_reset(district_data, api):
    volunteer = make_person()
    response = api(volunteer).post("/api/activities/", activity_body(walk_along(length_m=500)), format="json")
    assert response.status_code == 201
    with pytest.raises(CommandError, match="已有 1 条活动记录"):
        seed()
    assert "跳过" in seed(if_empty=True)  # what script/server runs on every start
    with pytest.raises(CommandError, match="不属于演示数据"):
        seed(reset=True)
    assert not reset.demo_people().exists()
    assert Activity.objects.count() == 1


@override_settings(DEBUG=False, SETTINGS_MODULE="riverwatch.settings.prod")
def test_refuses_production_unless_allowed(district_data):
    with pytest.raises(CommandError, match="生产环境"):
        seed()
    assert not Person.objects.exists()


def test_refuses_an_end_date_in_the_future(district_data):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(CommandError, match="不能晚于今天"):
        seed(end=tomorrow)
    assert not Person.objects.exists()


def test_a_failure_half_way_leaves_no_demo_data(district_data, monkeypatch):
    calls = {"n": 0}
    real = services.record_activity

    def fail_on_the_tenth(**kwargs):
        calls["n"] += 1
        if calls["n"] == 10:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "record_activity", fail_on_the_tenth)
    with pytest.raises(RuntimeError):
        seed()
    assert not Activity.objects.exists()
    assert not Person.objects.exists() and not Team.objects.exists()
    assert not get_user_model().objects.filter(username__startswith="demo-").exists()


def test_network_helpers_measure_along_the_line(district_data):
    way = load_network().ways["ZW-G07"]
    x, y, ux, uy = way.at(1000)
    assert math.isclose(math.hypot(ux, uy), 1, rel_tol=1e-9)
    s, distance = way.project(x - uy * 20, y + ux * 20)
    assert abs(s - 1000) < 1 and abs(distance - 20) < 0.5
