"""Track cleaning: poor fixes dropped, gaps split (never bridged), implausible speeds flagged."""

import random
from unittest import mock

import pytest

from patrols import tracks
from patrols.models import Activity, RawTrack
from tests.support.factories import activity_body
from tests.support.walks import walk_along


def _post(client, fixes, **extra):
    response = client.post("/api/activities/", activity_body(fixes, **extra), format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"]), response.json()["properties"]


def test_a_gap_of_more_than_five_minutes_splits_the_track_instead_of_bridging_it(crew, api):
    before = walk_along(start_m=0, length_m=400, step_m=10, seconds_per_step=8)
    # Six minutes without a fix, then the walk goes on 300 m further along the gully.
    resume_ms = before[-1][2] + 6 * 60_000
    after = walk_along(start_m=700, length_m=400, step_m=10, seconds_per_step=8, start_ms=resume_ms)
    activity, properties = _post(api(crew["volunteer"]), before + after)

    assert len(activity.track) == 2
    assert properties["track_quality"]["segments"] == 2
    gap = properties["track_quality"]["gaps"][0]
    assert gap["seconds"] == 360
    # The 300 m between the two pieces is not walked distance.
    assert 790 <= activity.distance_m <= 810
    # Moving time only: two stretches of 40 steps x 8 s.
    assert activity.duration_s == 2 * 40 * 8
    # Every fix is kept for audit, including those across the gap.
    assert len(RawTrack.objects.get(activity=activity).fixes[0]) == len(before + after)


def test_a_jump_of_more_than_500_m_splits_the_track(crew, api):
    before = walk_along(start_m=0, length_m=300, step_m=10, seconds_per_step=8)
    after = walk_along(start_m=1200, length_m=300, step_m=10, seconds_per_step=8, start_ms=before[-1][2] + 30_000)
    activity, properties = _post(api(crew["volunteer"]), before + after)
    assert len(activity.track) == 2
    assert properties["track_quality"]["gaps"][0]["metres"] > 500


def test_inaccurate_fixes_are_dropped_but_kept_in_the_audit_copy(crew, api):
    fixes = walk_along(length_m=500, step_m=10)
    for fix in fixes[10:20]:
        fix[3] = 120.0  # a phone that lost its sky view
        fix[0] += 0.003  # and reports a position ~280 m off
    activity, properties = _post(api(crew["volunteer"]), fixes)
    assert properties["track_quality"]["fixes_dropped_inaccurate"] == 10
    assert len(activity.track) == 1
    assert 490 <= activity.distance_m <= 510  # the detour of the bad fixes is not counted
    assert len(RawTrack.objects.get(activity=activity).fixes[0]) == len(fixes)


def test_faster_than_walking_or_boating_is_flagged(crew, api):
    walking = walk_along(length_m=400, step_m=10, seconds_per_step=8)
    # 400 m in 30 s is 48 km/h: a car on the river road, not a patrol.
    driving = walk_along(start_m=400, length_m=400, step_m=100, seconds_per_step=7.5, start_ms=walking[-1][2] + 7500)
    activity, properties = _post(api(crew["volunteer"]), walking + driving[1:])
    flags = properties["track_quality"]["speed_flags"]
    assert len(flags) == 1
    assert flags[0]["max_kmh"] > 40
    assert len(activity.track) == 1  # flagged, not cut out: the reviewer decides


def test_walking_speed_is_not_flagged(crew, api):
    _activity, properties = _post(api(crew["volunteer"]), walk_along(length_m=1000, step_m=10, seconds_per_step=8))
    assert properties["track_quality"]["speed_flags"] == []


def test_fixes_sent_out_of_order_are_sorted_by_time(crew, api):
    fixes = walk_along(length_m=300, step_m=10)
    shuffled = fixes[::2] + fixes[1::2]
    activity, _ = _post(api(crew["volunteer"]), shuffled)
    assert len(activity.track) == 1
    assert 295 <= activity.distance_m <= 305


def test_segments_sent_by_the_phone_stay_separate(crew, api):
    """A paused patrol: the phone sends two lists, and they are never joined."""
    first = walk_along(start_m=0, length_m=200)
    second = walk_along(start_m=250, length_m=200, start_ms=first[-1][2] + 60_000)
    activity, _ = _post(api(crew["volunteer"]), [first, second])
    assert len(activity.track) == 2


def test_a_track_with_only_poor_fixes_is_refused(crew, api):
    fixes = walk_along(length_m=200, accuracy=300.0)
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(fixes), format="json")
    assert response.status_code == 400
    assert "精度" in response.json()["detail"]
    assert Activity.objects.count() == 0


def test_a_geojson_track_is_accepted_as_lines(crew, api):
    fixes = walk_along(length_m=500, step_m=50)
    track = {"type": "MultiLineString", "coordinates": [[f[:2] for f in fixes[:5]], [f[:2] for f in fixes[6:]]]}
    activity, _ = _post(api(crew["volunteer"]), None, track=track)
    assert len(activity.track) == 2
    assert activity.waterway.code == "ZW-G07"


def test_a_repeated_timestamp_does_not_hide_a_jump(crew, api):
    """A at t, B 600 m away also at t (dropped as a repeat), C beside B at t+10 s: C must be
    compared with A, the last fix kept, and the 600 m jump split."""
    walk = walk_along(length_m=200, step_m=10)
    far = walk_along(start_m=900, length_m=100, step_m=10, start_ms=walk[-1][2] + 10_000)
    ghost = list(far[0])
    ghost[2] = walk[-1][2]  # same instant as the last fix of the first stretch
    activity, properties = _post(api(crew["volunteer"]), walk + [ghost] + far)
    assert len(activity.track) == 2
    assert properties["track_quality"]["gaps"][0]["metres"] > 500


def test_a_geojson_line_with_a_long_straight_jump_is_split(crew, api):
    near = walk_along(start_m=0, length_m=300, step_m=50)
    far = walk_along(start_m=2000, length_m=300, step_m=50)
    track = {"type": "LineString", "coordinates": [f[:2] for f in near + far]}
    activity, properties = _post(api(crew["volunteer"]), None, track=track)
    assert len(activity.track) == 2
    assert activity.distance_m < 700  # the 1.7 km straight line is not walked distance


def test_fixes_outside_the_activitys_times_are_refused(crew, api):
    fixes = walk_along(length_m=300, start_ms=1777593600000 + 5 * 3600_000)  # five hours after the declared end
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(fixes), format="json")
    assert response.status_code == 400
    assert "不在活动的开始、结束时间内" in response.json()["detail"]


@pytest.mark.parametrize("ms", [10**17, 1_777_593_600])  # far future; seconds sent instead of milliseconds
def test_implausible_fix_times_are_refused(crew, api, ms):
    fixes = walk_along(length_m=100)
    fixes[3][2] = ms
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(fixes), format="json")
    assert response.status_code == 400
    assert "第 4 个轨迹点的时间不对" in response.json()["detail"]


def test_an_activity_longer_than_a_day_is_refused(crew, api):
    body = activity_body(kind="cleanup", point=[110.55, 32.70], started_at="2026-04-29T08:00:00+08:00")
    response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert response.status_code == 400
    assert "24 小时" in response.json()["detail"]


def test_a_track_that_is_nothing_but_gaps_is_refused(crew, api, settings):
    """Pairs of fixes 5 m apart, each pair 6 minutes after the last: every pair its own segment."""
    settings.TRACK_MAX_SEGMENTS = 8
    fixes = []
    for i in range(10):
        lon, lat = walk_along(start_m=i * 20, length_m=0)[0][:2]
        start = 1777593600000 + i * 360_000
        fixes += [[lon, lat, start, 5], [lon + 0.00005, lat, start + 1000, 5]]
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(fixes), format="json")
    assert response.status_code == 400
    assert "段数太多" in response.json()["detail"]
    assert Activity.objects.count() == 0


def _row_by_row(segments):
    """parse_fixes with the numpy check of usual rows turned off: the reference it must equal."""
    with mock.patch.object(tracks, "_usual_fixes", return_value=None):
        return _outcome(segments)


def _outcome(segments):
    try:
        return tracks.parse_fixes(segments)
    except tracks.TrackError as error:
        return str(error)


BAD_VALUES = [True, None, "110.5", float("nan"), float("inf"), 10**400, -1.0, 200.0, 95.0, 1_777_593_600, [1], 2**63]


def test_usual_rows_checked_at_once_read_exactly_as_row_by_row():
    """Random bodies, most of them the usual four plain numbers, some with one bad value or a row
    of three: the same fixes, or the same message naming the same row, whichever way they are read."""
    rng = random.Random(20261207)
    fast_read = 0
    for case in range(300):
        segments = []
        for _segment in range(rng.choice([1, 1, 2])):
            rows = [[110.6 + rng.uniform(-0.1, 0.1), 32.6 + rng.uniform(-0.1, 0.1),
                     rng.choice([int, float])(1777593600000 + i * 6000), rng.choice([4, 8.5, 0, 19.9])]
                    for i in range(rng.randint(0, 40))]
            if rows and case % 3 == 0:
                row = rng.choice(rows)
                row[rng.randrange(4)] = rng.choice(BAD_VALUES)
            if rows and case % 7 == 0:
                rng.choice(rows).pop()  # no accuracy: the row-by-row path reads it
            segments.append(rows)
        expected = _row_by_row(segments)
        assert _outcome(segments) == expected, segments
        fast_read += not isinstance(expected, str) and all(tracks._usual_fixes(s) is not None for s in segments)
    assert fast_read > 100  # most bodies took the fast path, so it was compared, not skipped
