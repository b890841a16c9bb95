"""The reach rollups (patrols.ReachVisitYear) that coverage, gaps and freshness read: after random
writes through the services (patrols walked across a year's end, rejections, overturned
verifications, removed participants, deleted activities, reaches re-cut), every row equals what the
visits give, and each reach's latest visit under random filters and ends equals the one found by
reading the visits themselves with the reports' ORM rule (reports.filters.scope_q)."""

import dataclasses
import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patrols import rollups
from patrols import services as patrol_services
from patrols.models import Activity, ReachVisit, ServiceRecord
from reports.filters import ReportFilters, scope_q
from reports.selectors import coverage
from tests.support.clock import beijing
from tests.support.factories import make_person
from tests.support.walks import points_along
from waterways.models import Reach, Waterway
from waterways.services import rebuild_reaches

CODES = ("ZW-G07", "ZW-G09", "ZW-G03")
KINDS = ("patrol", "cleanup")
ROLES = ("volunteer", "chief", "post_worker", "staff")
# The days the walks fall on: either side of a year's end, and within one year.
DAYS = [date(2025, 12, 28) + timedelta(days=n) for n in range(8)] + [date(2026, 3, 1), date(2026, 6, 30)]


def expected_last_visits(filters: ReportFilters) -> dict:
    """Each reach's latest visit before the end, read from the visits and the ORM rule."""
    latest = dict.fromkeys(Reach.objects.values_list("id", flat=True))
    passing = Activity.objects.filter(scope_q(filters))
    visits = (ReachVisit.objects.filter(activity__in=passing, visited_at__lt=filters.end_at)
              .values("reach_id").annotate(last=Max("visited_at")))
    latest.update({row["reach_id"]: row["last"] for row in visits})
    return latest


def random_filters(rng, team):
    end = rng.choice(DAYS + [date(2025, 12, 31), date(2026, 1, 1), date(2026, 11, 18), date(2025, 6, 1)])
    return ReportFilters(
        start=end - timedelta(days=rng.choice((0, 3, 30, 365))),
        end=end,
        # Also a kind named twice and one nobody did.
        kinds=rng.choice((None, None, ("patrol",), ("cleanup",), KINDS, ("cleanup", "other", "patrol", "cleanup"))),
        role=rng.choice((None, None) + ROLES),
        team_id=rng.choice((None, None, None, team.pk)),
    )


def expected_coverage(filters: ReportFilters, latest: dict, reaches) -> dict:
    """Per waterway code: (length, visited length, reaches visited, reaches, last visit), from every reach."""
    figures = {}
    for reach_id, code, reach_length in reaches:
        length, visited, count, total, last = figures.get(code, (0.0, 0.0, 0, 0, None))
        seen = latest[reach_id]
        in_period = seen is not None and seen >= filters.start_at
        figures[code] = (
            length + reach_length, visited + (reach_length if in_period else 0.0), count + in_period, total + 1,
            max(filter(None, (last, seen)), default=None),
        )
    return {code: (round(length, 1), round(visited, 1), count, total, last and timezone.localtime(last).isoformat())
            for code, (length, visited, count, total, last) in figures.items()}


def assert_rollups_match(rng, team, cases):
    count, rows = rollups.differences()
    assert count == 0, rows
    reaches = [(reach.pk, reach.waterway.code, reach.length_m) for reach in Reach.objects.select_related("waterway")]
    reach_ids = [reach_id for reach_id, _code, _length in reaches]
    for _ in range(cases):
        filters = random_filters(rng, team)
        latest = expected_last_visits(filters)
        assert coverage.last_visits(filters, reach_ids) == latest, filters
        expected = expected_coverage(filters, latest, reaches)
        assert summary_of(filters) == expected, filters
        # One waterway asked for: its reaches only, visited by the same activities.
        code = rng.choice(CODES)
        narrowed = dataclasses.replace(filters, waterway_ids=(Waterway.objects.get(code=code).pk,))
        assert summary_of(narrowed) == {code: expected[code]}, narrowed


def summary_of(filters):
    return {row["code"]: (row["length_m"], row["visited_m"], row["reaches_visited"], row["reaches_total"],
                          row["last_visit"])
            for row in coverage.coverage_summary(filters)["waterways"]}


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_equal_the_visits_after_random_writes(seed, report_people, submit_walk):
    rng = random.Random(seed)
    people = report_people
    walkers = [people["volunteer"], people["teammate"], people["chief"], people["post_worker"], people["staff"]]
    staff = make_person(role="staff", name="审核员").user  # walks with no one, so may review every walk
    activities = []

    def walk():
        person = rng.choice(walkers)
        # Volunteers bring their teammate; staff may name anyone.
        team = [people["volunteer"], people["teammate"]]
        pool = team if person in team else walkers if person == people["staff"] else []
        teammates = [other for other in pool if other != person]
        code = rng.choice(CODES)
        length = Waterway.objects.get(code=code).length_m
        start = rng.uniform(0, max(0.0, length - 400))
        day = rng.choice(DAYS)
        # An hour either side of Beijing's midnight now and then: the visit's day and year are Beijing's.
        when = beijing(f"{day} 23:30") if rng.random() < 0.3 else beijing(f"{day} 09:00")
        activities.append(submit_walk(person, points_along(code, start, rng.uniform(150, 400)), when,
                                      kind=rng.choice(KINDS),
                                      participants=rng.sample(teammates, rng.randint(0, len(teammates)))))

    def reject():
        pending = [a for a in activities if a.status == Activity.Status.SUBMITTED]
        if pending:
            patrol_services.review_activity(activity=rng.choice(pending), reviewer=staff, decision="reject",
                                            note="轨迹与实际不符")

    def overturn():
        pending = [a for a in activities if a.status == Activity.Status.SUBMITTED]
        if pending:
            activity = rng.choice(pending)
            patrol_services.review_activity(activity=activity, reviewer=staff, decision="verify")
            patrol_services.overturn_verification(activity=activity, by=staff, note="复核发现未到现场")

    def remove_participant():
        # Someone whose role no one else on the activity has: the role's rows must lose this visit.
        alone = [record for activity in activities if activity.service_records.count() > 1
                 for record in activity.service_records.select_related("person")
                 if activity.service_records.filter(role=record.role).count() == 1]
        assert alone, "the walks include staff with a chief and a post worker"
        record = rng.choice(alone)
        patrol_services.remove_participant(activity=record.activity, person=record.person, by=staff, reason="未到现场")

    def delete():
        if activities:
            gone = activities.pop(rng.randrange(len(activities)))
            gone.delete()  # as the admin or a script would: the rollups follow by themselves

    def recut():
        rebuild_reaches(waterway_ids=[Waterway.objects.get(code=rng.choice(CODES)).pk])

    for _ in range(8):
        walk()
    activities.append(submit_walk(people["staff"], points_along("ZW-G09", 100, 300), beijing("2026-01-01 08:00"),
                                  participants=[people["chief"], people["post_worker"]]))
    assert_rollups_match(rng, people["team"], cases=30)
    for operation in (walk, reject, walk, overturn, remove_participant, walk, delete, recut, walk, reject):
        operation()
        for activity in activities:
            activity.refresh_from_db()
        assert_rollups_match(rng, people["team"], cases=15)


def test_a_visit_at_the_last_moment_of_a_year_counts_for_that_year_only(report_people, plant_visits):
    plant_visits("ZW-G07", [1, 2], beijing("2025-12-31 23:59"))
    plant_visits("ZW-G07", [2], beijing("2026-01-01 00:00"))
    reaches = dict(Reach.objects.filter(waterway__code="ZW-G07", seq__in=[1, 2]).values_list("seq", "id"))

    def last(end):
        visits = coverage.last_visits(ReportFilters(start=end, end=end), reaches.values())
        return {seq: visits[reach] for seq, reach in reaches.items()}

    assert last(date(2025, 12, 31)) == {1: beijing("2025-12-31 23:59"), 2: beijing("2025-12-31 23:59")}
    assert last(date(2026, 1, 1)) == {1: beijing("2025-12-31 23:59"), 2: beijing("2026-01-01 00:00")}
    assert last(date(2025, 12, 30)) == {1: None, 2: None}


def test_check_rollups_finds_a_row_written_past_the_services_and_rebuild_mends_it(report_people, plant_visits,
                                                                                  capsys):
    plant_visits("ZW-G07", [1, 2, 3], beijing("2026-05-01 09:00"))
    call_command("check_rollups", verbosity=0)
    assert "一致" in capsys.readouterr().out
    with connection.cursor() as cursor:  # an activity's kind corrected by a script, not through the services
        cursor.execute("UPDATE patrols_activity SET kind = %s", [Activity.Kind.CLEANUP.value])
    with pytest.raises(CommandError, match="不一致"):
        call_command("check_rollups", verbosity=0)
    assert "多出" in capsys.readouterr().out
    patrols = ReportFilters(start=date(2026, 1, 1), end=date(2026, 11, 18), kinds=("patrol",))
    assert coverage.coverage_summary(patrols)["district"]["reaches_visited"] == 3  # what the stale rows say
    call_command("check_rollups", "--rebuild", verbosity=0)
    call_command("check_rollups", verbosity=0)
    assert rollups.differences() == (0, [])
    assert coverage.coverage_summary(patrols)["district"]["reaches_visited"] == 0


def test_a_kind_named_twice_is_read_once_and_no_kind_at_all_is_refused(db):
    year = dict(start=date(2026, 1, 1), end=date(2026, 12, 31))
    sql, params = coverage.coverage_query(ReportFilters(**year, kinds=("patrol", "cleanup", "patrol")))
    assert sql is coverage.COVERAGE_OF_KINDS_SQL[2]  # a branch per kind: one read of each kind's rows
    assert {params["rollup_kind_0"], params["rollup_kind_1"]} == {"patrol", "cleanup"}
    sql, _params = coverage.coverage_query(ReportFilters(**year, kinds=("patrol", "patrol")))
    assert sql is coverage.COVERAGE_ONE_ROW_SQL
    with pytest.raises(ValueError):
        coverage.coverage_query(ReportFilters(**year, kinds=()))


def test_a_year_of_rollups_is_one_row_per_reach_and_key_however_many_days_it_was_walked(report_people,
                                                                                       plant_visits):
    for day in range(1, 29):
        plant_visits("ZW-G07", [5], beijing(f"2026-02-{day:02d} 09:00"), person=report_people["chief"])
        plant_visits("ZW-G07", [5], beijing(f"2026-02-{day:02d} 15:00"), person=report_people["chief"])
    reach = Reach.objects.get(waterway__code="ZW-G07", seq=5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, role, cardinality(day_last), visits FROM patrols_reachvisityear "
                       "WHERE reach_id = %s ORDER BY kind, role", [reach.pk])
        rows = cursor.fetchall()
    # Any kind / patrol, each for anyone and for the chief's role: 28 days, 56 visits.
    assert rows == [("", "", 28, 56), ("", "chief", 28, 56), ("patrol", "", 28, 56), ("patrol", "chief", 28, 56)]
    february = ReportFilters(start=date(2026, 2, 10), end=date(2026, 2, 10))
    assert coverage.last_visits(february, [reach.pk]) == {reach.pk: beijing("2026-02-10 15:00")}


def test_walks_recorded_out_of_order_on_one_day_keep_that_days_last_moment(report_people, submit_walk):
    """A new walk's visits are merged into the rows (rollups.add_activities): a walk sent in later but
    made earlier that day must not replace the day's last moment, and every walk adds its visits."""
    walk = points_along("ZW-G07", 0, 350)
    reach = Reach.objects.get(waterway__code="ZW-G07", seq=2).pk

    def row():
        with connection.cursor() as cursor:
            cursor.execute("SELECT day_last, visits FROM patrols_reachvisityear WHERE reach_id = %s AND year = 2026"
                           " AND kind = '' AND role = ''", [reach])
            return cursor.fetchone()

    submit_walk(report_people["chief"], walk, beijing("2026-05-03 15:00"))
    (first_last,), _visits = row()
    submit_walk(report_people["volunteer"], walk, beijing("2026-05-03 09:00"))  # sent later, walked earlier
    assert row() == ([first_last], 2)
    submit_walk(report_people["post_worker"], walk, beijing("2026-05-02 23:59"))  # the day before, in Beijing
    day_last, visits = row()
    assert visits == 3 and day_last[-1] == first_last and len(day_last) == 2 and day_last[0] < beijing("2026-05-03 00:00")
    submit_walk(report_people["teammate"], walk, beijing("2026-05-03 18:00"))
    day_last, visits = row()
    assert visits == 4 and len(day_last) == 2 and day_last[-1] > first_last
    assert rollups.differences() == (0, [])


def test_a_bulk_delete_refreshes_each_rollup_row_once_not_once_per_activity(report_people, plant_visits):
    planted = [plant_visits("ZW-G07", [1, 2, 3], beijing(f"2026-03-{day:02d} 09:00"), person=report_people["chief"])
               for day in range(1, 21)]
    keep = plant_visits("ZW-G07", [2], beijing("2026-04-01 09:00"))
    with CaptureQueriesContext(connection) as queries:
        Activity.objects.filter(id__in=[a.id for a in planted]).delete()
    refreshes = [q for q in queries.captured_queries if q["sql"].lstrip().startswith("DELETE FROM patrols_reachvisityear")]
    assert len(refreshes) == 1
    assert rollups.differences() == (0, [])
    reach_2 = Reach.objects.get(waterway__code="ZW-G07", seq=2).pk
    after = ReportFilters(start=date(2026, 4, 2), end=date(2026, 4, 2))
    assert coverage.last_visits(after, [reach_2]) == {reach_2: beijing("2026-04-01 09:00")}
    # Service records deleted in bulk (the chief's role no longer takes part): one refresh too.
    with CaptureQueriesContext(connection) as queries:
        ServiceRecord.objects.filter(activity=keep).delete()
    assert len([q for q in queries.captured_queries
                if q["sql"].lstrip().startswith("DELETE FROM patrols_reachvisityear")]) == 1
    assert rollups.differences() == (0, [])


@pytest.mark.django_db(transaction=True)
def test_two_writers_on_one_reach_take_turns_instead_of_failing(transactional_db):
    """Two patrols of one reach and year saved at the same time: the second waits for the first's
    rows instead of inserting beside them (a duplicate key, a 500 for the phone). No timed waits
    (the suite runs under faketime too): the first commits once the database shows the second waiting."""
    import threading
    import uuid as uuid_module

    from django.db import connections, transaction

    from tests.support.factories import make_person

    call_command("load_district_data", verbosity=0)
    reach = Reach.objects.get(waterway__code="ZW-G07", seq=2)
    walkers = [make_person(), make_person()]
    first_refreshed, second_waits = threading.Event(), threading.Event()
    second_pid, errors = [], []

    def patrol(person, when, *, first):
        try:
            with transaction.atomic():
                if not first:
                    first_refreshed.wait()
                    second_pid.append(connection.cursor().connection.info.backend_pid)
                activity = Activity.objects.create(
                    client_uuid=uuid_module.uuid4(), payload_sha256="0" * 64, kind="patrol", submitted_by=person.user,
                    started_at=when, ended_at=when + timedelta(hours=1))
                ReachVisit.objects.create(reach=reach, activity=activity, visited_at=when, covered_fraction=1.0)
                if first:
                    patrol_services.refresh_visit_rollups(activity_ids=[activity.pk])
                    first_refreshed.set()
                    second_waits.wait()  # commit only while the other one is blocked
                else:
                    patrol_services.refresh_visit_rollups(activity_ids=[activity.pk])
        except Exception as error:  # noqa: BLE001  (the test reports what the thread met)
            errors.append(error)
        finally:
            first_refreshed.set()
            connections.close_all()

    first = threading.Thread(target=patrol, args=(walkers[0], beijing("2026-05-01 09:00")), kwargs={"first": True})
    second = threading.Thread(target=patrol, args=(walkers[1], beijing("2026-05-02 09:00")), kwargs={"first": False})
    first.start()
    second.start()
    with connection.cursor() as cursor:  # until the second one waits on a lock the first holds (or has ended)
        while second.is_alive() and not second_waits.is_set():
            if second_pid:
                cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [second_pid[0]])
                if cursor.fetchone()[0]:
                    second_waits.set()
    second_waits.set()
    first.join()
    second.join()
    assert errors == []
    assert rollups.differences() == (0, [])
    assert coverage.last_visits(ReportFilters(start=date(2026, 5, 1), end=date(2026, 5, 31)), [reach.pk]) == {
        reach.pk: beijing("2026-05-02 09:00")}
