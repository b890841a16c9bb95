"""GET /api/coverage/gaps/ (stretches nobody patrolled in the last N days) and
GET /api/coverage/reaches/ (reaches by days since their last visit): merging, the window's
Beijing-date edges, the freshness classes' boundaries, geometry, and scoping by role.

Visits are planted on chosen reaches of 青石沟 (ZW-G09: 21 reaches, the last one 2000–2052 m) and
堰石沟 (ZW-G02, never visited), so each test knows exactly which reach was seen when."""

from datetime import timedelta

import pytest
import shapely
from shapely.ops import substring

from reports.permissions import ChiefOrStaff
from tests.support.clock import beijing
from tests.support.geo import to_metres
from tests.support.walks import waterway_line
from waterways.models import Reach, Waterway

GAPS = "/api/coverage/gaps/"
FRESHNESS = "/api/coverage/reaches/"
END = "2026-04-30"


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return response.json()


def span(code, first_seq, last_seq):
    """(start_m, end_m) of reaches first_seq..last_seq of a waterway, from the reach table."""
    reaches = Reach.objects.filter(waterway__code=code, seq__gte=first_seq, seq__lte=last_seq)
    assert reaches.count() == last_seq - first_seq + 1
    return round(min(r.start_m for r in reaches), 1), round(max(r.end_m for r in reaches), 1)


def stretches(result):
    return [
        (f["properties"]["waterway_code"], f["properties"]["start_m"], f["properties"]["end_m"],
         f["properties"]["reach_count"], f["properties"]["last_visit"], f["properties"]["days_since_visit"])
        for f in result["features"]
    ]


@pytest.fixture
def g09_history(plant_visits, report_people):
    """Visits on 青石沟, seen from 30 April 2026 (Beijing). Reaches 1–4 never (one rejected walk),
    5–8 three days ago, 10 by a cleanup, 12 at 00:05 on 1 April (29 days), 15 at 23:55 on
    31 March (30 days), 18–19 in January, 20 only after the end."""
    plant_visits("ZW-G09", [2], beijing("2026-04-20 09:00"), status="rejected")
    plant_visits("ZW-G09", [5, 6, 7, 8], beijing("2026-04-27 10:00"))
    plant_visits("ZW-G09", [10], beijing("2026-04-20 10:00"), kind="cleanup")
    plant_visits("ZW-G09", [12], beijing("2026-04-01 00:05"))
    plant_visits("ZW-G09", [15], beijing("2026-03-31 23:55"))
    plant_visits("ZW-G09", [18, 19], beijing("2026-01-20 10:00"))
    plant_visits("ZW-G09", [20], beijing("2026-05-01 00:05"))
    return Waterway.objects.get(code="ZW-G09")


def test_consecutive_unvisited_reaches_merge_into_stretches_longest_first(g09_history, report_people, api):
    result = get(api(report_people["staff"]), GAPS, days=30, end=END, waterway=g09_history.pk)
    assert (result["type"], result["days"], result["end"]) == ("FeatureCollection", 30, END)
    assert stretches(result) == [
        # 16–21: 18–19 were seen in January, 20 only after the end. 15, seen exactly 30 days ago, has
        # not gone MORE than 30 days without a visit, so it splits 13–21.
        ("ZW-G09", *span("ZW-G09", 16, 21), 6, "2026-01-20T10:00:00+08:00", 100),
        ("ZW-G09", *span("ZW-G09", 1, 4), 4, None, None),  # a rejected walk is no visit
        ("ZW-G09", *span("ZW-G09", 13, 14), 2, None, None),
        ("ZW-G09", *span("ZW-G09", 9, 9), 1, None, None),  # equal lengths: by start
        ("ZW-G09", *span("ZW-G09", 11, 11), 1, None, None),
    ]
    lengths = [f["properties"]["length_m"] for f in result["features"]]
    assert lengths[0] == pytest.approx(g09_history.length_m - 1500, abs=0.2)
    assert result["total_length_m"] == pytest.approx(sum(lengths), abs=0.2)
    assert all(f["properties"]["waterway"] == g09_history.pk and f["properties"]["waterway_name"] == "青石沟"
               for f in result["features"])


def test_a_gap_of_n_days_is_no_visit_for_more_than_n_days_in_beijing_dates(g09_history, report_people, api):
    staff = api(report_people["staff"])
    # days=29: reach 15 (23:55 on 31 March, 30 days before the end) is in the gap; reach 12 (00:05 on
    # 1 April, 29 days) is not.
    assert stretches(get(staff, GAPS, days=29, end=END, waterway=g09_history.pk))[0] == (
        "ZW-G09", *span("ZW-G09", 13, 21), 9, "2026-03-31T23:55:00+08:00", 30)
    # days=28: reach 12, 29 days, has gone more than 28 days without a visit too.
    assert stretches(get(staff, GAPS, days=28, end=END, waterway=g09_history.pk))[0] == (
        "ZW-G09", *span("ZW-G09", 11, 21), 11, "2026-04-01T00:05:00+08:00", 29)
    # days=31 is days=30 here (no visit is exactly 31 days old): 15 splits the stretch.
    wider = stretches(get(staff, GAPS, days=31, end=END, waterway=g09_history.pk))
    assert ("ZW-G09", *span("ZW-G09", 16, 21), 6, "2026-01-20T10:00:00+08:00", 100) in wider
    assert ("ZW-G09", *span("ZW-G09", 13, 14), 2, None, None) in wider
    # days=1: a visit three days ago is a gap too, so the gully is one stretch.
    assert stretches(get(staff, GAPS, days=1, end=END, waterway=g09_history.pk)) == [
        ("ZW-G09", *span("ZW-G09", 1, 21), 21, "2026-04-27T10:00:00+08:00", 3)]
    # Seen from an earlier end, later visits do not exist yet.
    assert stretches(get(staff, GAPS, days=30, end="2026-02-28", waterway=g09_history.pk)) == [
        ("ZW-G09", *span("ZW-G09", 1, 21), 21, "2026-01-20T10:00:00+08:00", 39)]


def test_filters_decide_which_visits_close_a_gap(g09_history, report_people, api):
    staff = api(report_people["staff"])
    patrols_only = stretches(get(staff, GAPS, days=30, end=END, waterway=g09_history.pk, kind="patrol"))
    assert ("ZW-G09", *span("ZW-G09", 9, 11), 3, None, None) in patrols_only  # the cleanup no longer counts
    by_chiefs = stretches(get(staff, GAPS, days=30, end=END, waterway=g09_history.pk, role="chief"))
    assert by_chiefs == [("ZW-G09", *span("ZW-G09", 1, 21), 21, None, None)]


def test_longest_first_across_waterways_then_by_code(g09_history, report_people, api):
    ids = f"{g09_history.pk},{Waterway.objects.get(code='ZW-G02').pk}"
    result = get(api(report_people["staff"]), GAPS, days=30, end=END, waterway=ids)
    keys = [(-f["properties"]["length_m"], f["properties"]["waterway_code"], f["properties"]["start_m"])
            for f in result["features"]]
    assert keys == sorted(keys)
    first = result["features"][0]["properties"]
    assert (first["waterway_code"], first["start_m"], first["reach_count"], first["last_visit"]) == (
        "ZW-G02", 0.0, Reach.objects.filter(waterway__code="ZW-G02").count(), None)
    assert first["length_m"] == pytest.approx(Waterway.objects.get(code="ZW-G02").length_m, abs=0.2)


def test_a_stretch_is_drawn_along_its_waterway_in_wgs84(g09_history, report_people, api):
    feature = get(api(report_people["staff"]), GAPS, days=30, end=END, waterway=g09_history.pk)["features"][0]
    assert feature["geometry"]["type"] == "LineString"
    lon, lat = feature["geometry"]["coordinates"][0]
    assert 110 < lon < 111 and 32 < lat < 33
    assert all(len(str(value).split(".")[-1]) <= 6 for point in feature["geometry"]["coordinates"] for value in point)
    lons, lats = zip(*feature["geometry"]["coordinates"])
    drawn = shapely.LineString(zip(*to_metres(lons, lats)))
    line = waterway_line("ZW-G09")
    props = feature["properties"]
    assert drawn.length == pytest.approx(props["length_m"], abs=1.0)
    assert shapely.Point(drawn.coords[0]).distance(line.interpolate(props["start_m"])) < 0.5
    assert shapely.Point(drawn.coords[-1]).distance(line.interpolate(props["end_m"])) < 0.5
    assert drawn.hausdorff_distance(substring(line, props["start_m"], props["end_m"])) < 0.5


@pytest.fixture
def freshness_history(plant_visits):
    """Visits on 青石沟 at the edges of each class, seen from 30 April 2026. Times at 00:01 Beijing
    are the previous day in UTC: a date taken in UTC would push them into the next class."""
    end = beijing(f"{END} 00:00")

    def at(days_before, clock):
        return beijing(f"{(end - timedelta(days=days_before)).date()} {clock}")

    plant_visits("ZW-G09", [1], at(119, "10:00"))
    plant_visits("ZW-G09", [1], at(0, "22:00"))  # the latest visit decides
    plant_visits("ZW-G09", [2], at(7, "00:01"))
    plant_visits("ZW-G09", [3], at(8, "23:59"))
    plant_visits("ZW-G09", [4], at(30, "00:01"))
    plant_visits("ZW-G09", [5], at(31, "23:59"))
    plant_visits("ZW-G09", [6], at(90, "00:01"))
    plant_visits("ZW-G09", [7, 21], at(91, "23:59"))
    plant_visits("ZW-G09", [8], at(1, "09:00"), status="rejected")
    plant_visits("ZW-G09", [9], beijing("2026-05-01 00:05"))  # after the end
    return Waterway.objects.get(code="ZW-G09")


def runs(result):
    return [(f["properties"]["class"], f["properties"]["start_m"], f["properties"]["end_m"],
             f["properties"]["days_since_visit"]) for f in result["features"]]


def test_freshness_classes_at_their_boundaries_with_runs_merged(freshness_history, report_people, api):
    result = get(api(report_people["staff"]), FRESHNESS, end=END, waterway=freshness_history.pk)
    assert result["type"] == "FeatureCollection" and result["end"] == END
    assert runs(result) == [
        ("0-7", *span("ZW-G09", 1, 2), 0),
        ("8-30", *span("ZW-G09", 3, 4), 8),
        ("31-90", *span("ZW-G09", 5, 6), 31),
        ("90+", *span("ZW-G09", 7, 7), 91),
        ("never", *span("ZW-G09", 8, 20), None),  # rejected, after the end, or never walked
        ("90+", *span("ZW-G09", 21, 21), 91),
    ]
    for feature in result["features"]:
        props = feature["properties"]
        assert feature["geometry"]["type"] == "LineString"
        assert props["length_m"] == pytest.approx(props["end_m"] - props["start_m"], abs=0.2)
        assert (props["waterway"], props["waterway_name"]) == (freshness_history.pk, "青石沟")

    legend = {entry["class"]: entry for entry in result["classes"]}
    assert [entry["class"] for entry in result["classes"]] == ["0-7", "8-30", "31-90", "90+", "never"]
    assert [entry["label"] for entry in result["classes"]] == ["7 天内", "8–30 天", "31–90 天", "90 天以上", "从未巡查"]
    assert legend["0-7"]["length_m"] == pytest.approx(200, abs=0.2)
    assert legend["90+"]["length_m"] == pytest.approx(100 + freshness_history.length_m - 2000, abs=0.2)
    assert sum(entry["length_m"] for entry in result["classes"]) == pytest.approx(freshness_history.length_m, abs=0.5)


def test_freshness_follows_the_filters_and_the_end(freshness_history, report_people, api):
    staff = api(report_people["staff"])
    nobody = get(staff, FRESHNESS, end=END, waterway=freshness_history.pk, role="deputy")
    assert runs(nobody) == [("never", *span("ZW-G09", 1, 21), None)]
    # A day later every age grows by one: 7 becomes 8, 30 becomes 31, 90 becomes 91.
    later = runs(get(staff, FRESHNESS, end="2026-05-01", waterway=freshness_history.pk))
    assert later == [
        ("0-7", *span("ZW-G09", 1, 1), 1),
        ("8-30", *span("ZW-G09", 2, 3), 8),
        ("31-90", *span("ZW-G09", 4, 5), 31),
        ("90+", *span("ZW-G09", 6, 7), 91),
        ("never", *span("ZW-G09", 8, 8), None),
        ("0-7", *span("ZW-G09", 9, 9), 0),  # the 1 May visit is now in the past
        ("never", *span("ZW-G09", 10, 20), None),
        ("90+", *span("ZW-G09", 21, 21), 92),
    ]


@pytest.mark.parametrize("days, last_out, first_in", [(7, ("0-7", 2), ("8-30", 3)), (30, ("8-30", 4), ("31-90", 5)),
                                                      (90, ("31-90", 6), ("90+", 7))])
def test_the_gap_list_starts_where_the_legend_passes_its_days(freshness_history, report_people, api, days, last_out,
                                                              first_in):
    """The legend's classes are 0–7, 8–30, 31–90 and 90+ days: a reach last visited exactly 30 days ago
    (reach 4) is "8–30 天" on the map and not in the 30-day gap list; one visited 31 days ago (reach 5)
    is "31–90 天" and in it. Likewise at 7 and 90 days."""
    staff = api(report_people["staff"])
    features = get(staff, FRESHNESS, end=END, waterway=freshness_history.pk)["features"]

    def class_of(seq):
        low, high = span("ZW-G09", seq, seq)
        return next(f["properties"]["class"] for f in features
                    if f["properties"]["start_m"] <= low and high <= f["properties"]["end_m"])

    assert (class_of(last_out[1]), class_of(first_in[1])) == (last_out[0], first_in[0])
    gaps = stretches(get(staff, GAPS, days=days, end=END, waterway=freshness_history.pk))
    # One stretch from the first reach past the boundary to the mouth; its latest visit days + 1 ago.
    assert gaps == [("ZW-G09", *span("ZW-G09", first_in[1], 21), 21 - first_in[1] + 1, gaps[0][4], days + 1)]


@pytest.mark.parametrize("url", [GAPS, FRESHNESS])
def test_volunteers_and_strangers_may_not_see_the_map_layers(report_people, api, url):
    assert api().get(url).status_code == 401
    response = api(report_people["volunteer"]).get(url)
    assert response.status_code == 403
    assert response.json()["detail"] == str(ChiefOrStaff.message)


@pytest.mark.parametrize("url", [GAPS, FRESHNESS])
def test_a_chief_can_narrow_the_layers_to_their_own_waterways(report_people, api, url):
    mine = get(api(report_people["chief"]), url, end=END, waterway="mine")
    assert {f["properties"]["waterway_code"] for f in mine["features"]} == {"ZW-G07", "ZW-G09"}
    everything = get(api(report_people["staff"]), url, end=END)
    assert {f["properties"]["waterway_code"] for f in everything["features"]} == set(
        Waterway.objects.values_list("code", flat=True))


@pytest.mark.parametrize("days", ["0", "3651", "thirty", "-5", "7.5"])
def test_days_must_be_a_whole_number_from_1_to_3650(report_people, api, days):
    response = api(report_people["staff"]).get(GAPS, {"days": days})
    assert response.status_code == 400
    body = response.json()
    assert "days" in body["errors"]
    assert "天数" in body["detail"] and "3650" in body["detail"]


def test_days_defaults_to_30_and_end_alone_means_that_year(report_people, api):
    result = get(api(report_people["staff"]), GAPS, end="2025-12-31")
    assert (result["days"], result["end"]) == (30, "2025-12-31")
    assert result["total_length_m"] == pytest.approx(sum(w.length_m for w in Waterway.objects.all()), abs=1)
