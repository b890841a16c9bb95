"""What the tiles read made ahead, kept by triggers: the activity tiles' grid (patrols.cells) and the
tracks simplified per zoom (patrols.track_bands). After any write, by any path, the rows equal what
the activities give, and a tile read from them equals, feature for feature, the tile computed from
the activities on the fly (reports.selectors.tiles.ACTIVITY_TILE_SQL, TRACK_TILE_SQL), for every
reader, period, kind and waterway filter."""

import random
import uuid
from datetime import date, timedelta

import mapbox_vector_tile
import pytest
from django.conf import settings
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from patrols import cells, scopes, track_bands
from patrols.models import Activity, ActivityCell, ServiceRecord, TrackBand
from reports.filters import ReportFilters
from reports.selectors import tiles
from tests.support.clock import beijing
from waterways.models import Waterway

KINDS = ("patrol", "cleanup", "sewer_inspection", "problem_report")


def raw_tile(z, x, y, filters, reader, layer="activities"):
    """The tile as computed from the activities on the fly, the statement the tables made ahead
    replace (ACTIVITY_TILE_SQL, TRACK_TILE_SQL), decoded."""
    params = {**filters.sql_params(), **reader.sql_params(), **tiles._tile_params(layer, z, x, y)}
    with connection.cursor() as cursor:
        cursor.execute(tiles.TRACK_TILE_SQL if layer == "tracks" else tiles.ACTIVITY_TILE_SQL, params)
        data = cursor.fetchone()[0]
    data = bytes(data) if data else b""
    return track_features(data) if layer == "tracks" else features(data)


def features(data):
    layer = mapbox_vector_tile.decode(data).get("activities") if data else None
    return sorted((f["properties"]["kind"], f["properties"]["count"], tuple(f["geometry"]["coordinates"]))
                  for f in (layer["features"] if layer else []))


def district_tiles(z):
    """The tiles at zoom z over the activities' extent, and one ring around."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(ST_Transform("
                       "COALESCE(point, ST_PointOnSurface(track)), 3857)) AS e FROM patrols_activity) AS x")
        xmin, ymin, xmax, ymax = cursor.fetchone()
    width = cells.WORLD_M / 2**z
    half = cells.WORLD_M / 2
    x0, x1 = int((xmin + half) // width) - 1, int((xmax + half) // width) + 1
    y0, y1 = int((half - ymax) // width) - 1, int((half - ymin) // width) + 1
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def spots_near(code, count, rng):
    """Storage-SRID points along a waterway, a few metres off it."""
    waterway = Waterway.objects.get(code=code)
    points = []
    for _ in range(count):
        point = waterway.geom.interpolate_normalized(rng.random())
        points.append(Point(point.x + rng.uniform(-30, 30), point.y + rng.uniform(-30, 30), srid=settings.GIS_SRID))
    return waterway, points


def make_activities(crew, rng, count=120):
    """Activities on two waterways and off the network, by the crew, with points or short tracks, over
    two years and across Beijing midnights, with service records of their submitter and a teammate."""
    submitters = [crew["volunteer"], crew["teammate"], crew["outsider"], crew["chief"], crew["other_chief"]]
    g07, on_g07 = spots_near("ZW-G07", count // 2, rng)
    g01, on_g01 = spots_near("ZW-G01", count // 3, rng)
    far = [Point(p.x + 20_000, p.y + 15_000, srid=settings.GIS_SRID) for p in on_g01[:count // 6]]
    made = []
    for waterway, points in ((g07, on_g07), (g01, on_g01), (None, far)):
        for point in points:
            person = rng.choice(submitters)
            status = rng.choice(["submitted", "verified", "rejected"])
            # A quarter within a day and a half of the year's end, the rest over two years.
            spread = 36 * 60 if rng.random() < 0.25 else 400 * 24 * 60
            started = beijing("2026-01-01 00:00") + timedelta(minutes=rng.randrange(-spread, spread, 7))
            tracked = rng.random() < 0.3
            activity = Activity.objects.create(
                client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=rng.choice(KINDS),
                submitted_by=person.user, started_at=started, ended_at=started + timedelta(hours=1),
                point=None if tracked else point, waterway=waterway,
                track=MultiLineString(LineString((point.x, point.y), (point.x + 80, point.y + 60)),
                                      srid=settings.GIS_SRID) if tracked else None,
                status=status, review_note="轨迹不符" if status == "rejected" else "",
                reviewed_by=None if status == "submitted" else crew["staff"].user,
                reviewed_at=None if status == "submitted" else started + timedelta(days=1),
            )
            ServiceRecord.objects.create(activity=activity, person=person, role=person.role, hours=1)
            if rng.random() < 0.3 and person is not crew["teammate"]:
                ServiceRecord.objects.create(activity=activity, person=crew["teammate"], role="volunteer", hours=1)
            made.append(activity)
    return made


def edit_in_every_way(made, rng):
    """Writes past the services, as an SQL script or the admin would: statuses, days, places, kinds and
    waterways changed in bulk, rows deleted, a waterway deleted (its activities' waterway set to null)."""
    ids = [a.id for a in made]
    rng.shuffle(ids)
    reviewer = Activity.objects.exclude(reviewed_by=None).values_list("reviewed_by", flat=True).first()
    Activity.objects.filter(id__in=ids[:10]).update(status="rejected", review_note="重复提交", reviewed_by=reviewer,
                                                    reviewed_at=F("started_at"))
    Activity.objects.filter(id__in=ids[10:20]).update(status="verified", review_note="", reviewed_by=reviewer,
                                                      reviewed_at=F("started_at"))
    Activity.objects.filter(id__in=ids[20:30]).update(started_at=F("started_at") - timedelta(days=45))
    Activity.objects.filter(id__in=ids[30:35]).update(kind="cleanup")
    Activity.objects.filter(id__in=ids[35:40]).update(notes="只改了备注")
    for activity in Activity.objects.filter(id__in=ids[40:45], point__isnull=False):
        activity.point = Point(activity.point.x + 900, activity.point.y - 700, srid=settings.GIS_SRID)
        activity.save(update_fields=["point"])
    Activity.objects.filter(id__in=ids[45:50]).update(waterway=Waterway.objects.get(code="ZW-G01"))
    Activity.objects.filter(id__in=ids[50:58]).delete()


@pytest.fixture
def scattered(crew):
    rng = random.Random(16)
    made = make_activities(crew, rng)
    edit_in_every_way(made, rng)
    return made


def test_the_rows_equal_what_the_activities_give_after_writes_of_every_kind(scattered):
    cells.settle()  # the grid's upkeep waits for the commit; a test's transaction never commits
    assert ActivityCell.objects.filter(level=cells.MAX_LEVEL).exists()
    assert cells.differences() == (0, [])
    # A waterway deleted: its activities lose their waterway (SET NULL, an UPDATE the trigger sees).
    g01 = Waterway.objects.get(code="ZW-G01")
    assert Activity.objects.filter(waterway=g01).exists()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patrols_activity SET waterway_id = NULL WHERE waterway_id = %s", [g01.id])
    cells.settle()
    assert not ActivityCell.objects.filter(waterway=g01).exists()
    assert cells.differences() == (0, [])
    Activity.objects.all().delete()
    cells.settle()
    assert not ActivityCell.objects.exists()


@pytest.mark.parametrize("period", [
    (date(2026, 1, 1), date(2026, 12, 31)),  # a year: one span
    (date(2025, 11, 17), date(2026, 2, 3)),  # days, whole months and days across a year's end
    (date(2025, 12, 31), date(2026, 1, 1)),  # two days, either side of the year's end
    (date(2024, 1, 1), date(2026, 12, 31)),  # whole years
])
def test_a_tile_from_the_grid_equals_the_tile_located_activity_by_activity(crew, scattered, period):
    staff_like = scopes.EVERYTHING
    chief = scopes.reader_of(crew["chief"].user)
    leader = scopes.reader_of(crew["leader"].user)
    volunteer = scopes.reader_of(crew["volunteer"].user)
    assert chief.waterway_ids and leader.led_team_ids and not volunteer.sees_everything
    g07 = Waterway.objects.get(code="ZW-G07").id
    cases = [
        (staff_like, ReportFilters(start=period[0], end=period[1])),
        (staff_like, ReportFilters(start=period[0], end=period[1], kinds=("patrol", "cleanup"))),
        (staff_like, ReportFilters(start=period[0], end=period[1], waterway_ids=(g07,))),
        (chief, ReportFilters(start=period[0], end=period[1])),
        (leader, ReportFilters(start=period[0], end=period[1], kinds=("patrol",))),
        (volunteer, ReportFilters(start=period[0], end=period[1])),
    ]
    compared = nonempty = 0
    for z in (8, 10, 12):
        for x, y in district_tiles(z):
            for reader, filters in cases:
                assert tiles.uses_cells("activities", z, filters)
                expected = raw_tile(z, x, y, filters, reader)
                got = features(tiles.tile("activities", z, x, y, filters, reader=reader))
                assert got == expected, (z, x, y, reader, filters)
                compared += 1
                nonempty += bool(expected)
    assert nonempty >= 20, nonempty  # the comparison saw activities, not empty tiles only


def test_role_and_team_filters_and_high_zooms_locate_activities_one_by_one(crew):
    year = ReportFilters(start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert tiles.uses_cells("activities", cells.MAX_LEVEL, year)
    assert not tiles.uses_cells("activities", cells.MAX_LEVEL + 1, year)
    assert not tiles.uses_cells("activities", 10, ReportFilters(start=year.start, end=year.end, role="chief"))
    assert not tiles.uses_cells("activities", 10, ReportFilters(start=year.start, end=year.end, team_id=crew["team"].id))
    assert not tiles.uses_cells("tracks", 10, year)


def test_the_readable_ids_besides_the_waterways_are_what_the_reading_rule_adds_to_them(crew, scattered):
    for who in ("chief", "leader", "volunteer", "teammate", "outsider"):
        reader = scopes.reader_of(crew[who].user)
        with connection.cursor() as cursor:
            cursor.execute(scopes.READABLE_BESIDES_WATERWAYS_IDS_SQL, reader.sql_params())
            besides = {row[0] for row in cursor.fetchall()}
        readable = set(scopes.readable_by(crew[who].user).values_list("id", flat=True))
        on_waterways = set(Activity.objects.filter(waterway_id__in=reader.waterway_ids).values_list("id", flat=True))
        assert readable == besides | on_waterways, who
        assert besides, who


def test_the_spans_cover_each_day_once_with_whole_years_and_months_first():
    rng = random.Random(5)
    for _ in range(300):
        start = date(2023, 1, 1) + timedelta(days=rng.randrange(0, 1200))
        end = start + timedelta(days=rng.randrange(0, 900))
        grains, firsts = cells.spans(start, end)
        covered = []
        for grain, first in zip(grains, firsts):
            if grain == "y":
                assert (first.month, first.day) == (1, 1)
                last = date(first.year, 12, 31)
            elif grain == "m":
                assert first.day == 1
                last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
            else:
                last = first
            covered.extend(first + timedelta(days=k) for k in range((last - first).days + 1))
            # Greedy: a day is read alone only when its month is not whole in the period, a month only
            # when its year is not.
            if grain == "d":
                month_first = first.replace(day=1)
                month_last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
                assert month_first < start or month_last > end
            if grain == "m":
                assert date(first.year, 1, 1) < start or date(first.year, 12, 31) > end
        assert covered == [start + timedelta(days=k) for k in range((end - start).days + 1)]
    assert cells.spans(date(2026, 1, 1), date(2026, 12, 31)) == (["y"], [date(2026, 1, 1)])


def test_check_rollups_finds_a_changed_row_and_rebuild_mends_it(scattered, capsys):
    call_command("check_rollups")
    row = ActivityCell.objects.filter(level=10).order_by("id").first()
    ActivityCell.objects.filter(id=row.id).update(n=row.n + 2)
    with pytest.raises(CommandError):
        call_command("check_rollups")
    assert "活动瓦片网格" in capsys.readouterr().out
    call_command("check_rollups", "--rebuild")
    assert cells.differences() == (0, [])
    call_command("check_rollups")


def test_an_unchanged_tile_is_not_sent_again_and_a_new_activity_changes_it(crew, api, scattered):
    staff = api(crew["staff"])
    query = {"start": "2025-01-01", "end": "2026-12-31"}
    z = 10
    x, y = max(district_tiles(z), key=lambda xy: len(raw_tile(z, *xy, ReportFilters(start=date(2025, 1, 1),
                                                                                       end=date(2026, 12, 31)),
                                                              scopes.EVERYTHING)))
    url = f"/api/tiles/activities/{z}/{x}/{y}.mvt"
    first = staff.get(url, query)
    assert first.status_code == 200 and first.content
    assert first["Cache-Control"] == "private, max-age=60" and first["ETag"]
    again = staff.get(url, query, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    # Another period is another tile.
    assert staff.get(url, {"start": "2026-01-01", "end": "2026-12-31"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    # A new activity where the tile's activities are: the old ETag no longer matches.
    spot = Activity.objects.filter(waterway__code="ZW-G07", point__isnull=False).first()
    Activity.objects.create(client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind="cleanup",
                            submitted_by=crew["volunteer"].user, started_at=beijing("2026-06-01 09:00"),
                            ended_at=beijing("2026-06-01 10:00"), point=spot.point, waterway=spot.waterway)
    changed = staff.get(url, query, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def track_features(data):
    layer = mapbox_vector_tile.decode(data).get("tracks") if data else None
    return sorted((f["id"], sorted(f["properties"].items()), str(f["geometry"]["coordinates"]))
                  for f in (layer["features"] if layer else []))


def long_tracks(crew, rng, count=40):
    """Patrols with tracks of a few hundred vertices along ZW-G07 and ZW-G01, by the crew."""
    made = []
    for k in range(count):
        waterway = Waterway.objects.get(code="ZW-G07" if k % 2 else "ZW-G01")
        person = rng.choice([crew["volunteer"], crew["teammate"], crew["outsider"], crew["chief"]])
        start = rng.uniform(0, waterway.geom.length - 1200)
        coordinates = []
        for step in range(300):
            point = waterway.geom.interpolate(start + step * 4)
            coordinates.append((point.x + rng.uniform(-6, 6), point.y + rng.uniform(-6, 6)))
        started = beijing("2026-03-01 08:00") + timedelta(days=rng.randrange(0, 200), minutes=rng.randrange(0, 900))
        activity = Activity.objects.create(
            client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=rng.choice(["patrol", "cleanup"]),
            submitted_by=person.user, started_at=started, ended_at=started + timedelta(hours=1),
            track=MultiLineString(LineString(coordinates), srid=settings.GIS_SRID), waterway=waterway,
            distance_m=1200 + k)
        ServiceRecord.objects.create(activity=activity, person=person, role=person.role, hours=1)
        made.append(activity)
    return made


def test_a_track_tile_from_the_bands_equals_the_tile_simplified_on_the_fly(crew):
    made = long_tracks(crew, random.Random(9))
    # Changes after the fact, as the admin or a script would make them.
    Activity.objects.filter(id__in=[a.id for a in made[:5]]).update(status="rejected", review_note="不符",
                                                                   reviewed_by=crew["staff"].user,
                                                                   reviewed_at=F("started_at"))
    moved = made[5]
    moved.track = MultiLineString(LineString([(x + 300, y - 200) for x, y in moved.track[0].coords]),
                                  srid=settings.GIS_SRID)
    moved.save(update_fields=["track"])
    Activity.objects.filter(id__in=[a.id for a in made[6:9]]).delete()
    Activity.objects.filter(id__in=[a.id for a in made[9:12]]).update(track=None, point=F("point"))
    year = ReportFilters(start=date(2026, 1, 1), end=date(2026, 12, 31))
    cases = [
        (scopes.EVERYTHING, year),
        (scopes.EVERYTHING, ReportFilters(start=date(2026, 4, 1), end=date(2026, 6, 30), kinds=("patrol",))),
        (scopes.EVERYTHING, ReportFilters(start=year.start, end=year.end, role="chief")),
        (scopes.reader_of(crew["chief"].user), year),
        (scopes.reader_of(crew["leader"].user), year),
    ]
    compared = nonempty = 0
    for z in track_bands.ZOOMS:
        for x, y in district_tiles(z):
            for reader, filters in cases:
                sql, params = tiles.tile_sql_and_params("tracks", z, x, y, filters, reader=reader)
                assert sql is tiles.TRACK_BAND_TILE_SQL
                expected = raw_tile(z, x, y, filters, reader, layer="tracks")
                assert track_features(tiles.tile("tracks", z, x, y, filters, reader=reader)) == expected, (z, x, y)
                compared += 1
                nonempty += bool(expected)
    assert nonempty >= 20, nonempty
    assert track_bands.differences() == 0
    assert not TrackBand.objects.filter(activity_id__in=[a.id for a in made[6:12]]).exists()
    assert TrackBand.objects.filter(activity=moved).count() == len(track_bands.ZOOMS)


def test_a_track_tile_carries_each_tracks_id_and_kind_and_nothing_else(crew):
    """What the map draws by: every further property is encoded on each of a tile's thousands of
    tracks. Both the bands' zooms and the zooms drawn on the fly."""
    made = long_tracks(crew, random.Random(4), count=6)
    year = ReportFilters(start=date(2026, 1, 1), end=date(2026, 12, 31))
    seen = set()
    for z in (*track_bands.ZOOMS, 13):
        for x, y in district_tiles(z):
            data = tiles.tile("tracks", z, x, y, year, reader=scopes.EVERYTHING)
            for feature in (mapbox_vector_tile.decode(data).get("tracks", {}).get("features", []) if data else []):
                assert set(feature["properties"]) == {"kind"}, (z, feature["properties"])
                assert feature["properties"]["kind"] == Activity.objects.get(pk=feature["id"]).kind
                seen.add((z, feature["id"]))
    assert {z for z, _id in seen} == {*track_bands.ZOOMS, 13}
    assert {activity_id for _z, activity_id in seen} == {a.id for a in made}


def test_a_change_beside_the_track_is_copied_onto_its_bands_without_drawing_them_again(crew):
    activity, other = long_tracks(crew, random.Random(5), count=2)
    bands = TrackBand.objects.filter(activity=activity)
    drawn = dict(bands.values_list("zoom", "id"))
    # What snapping does to a new patrol, and a correction in the admin.
    Activity.objects.filter(pk=activity.pk).update(waterway=other.waterway, kind="cleanup")
    assert dict(bands.values_list("zoom", "id")) == drawn  # the same rows, not deleted and added
    assert set(bands.values_list("waterway_id", "kind")) == {(other.waterway_id, "cleanup")}
    assert track_bands.differences() == 0
    # A new track is drawn again.
    activity.refresh_from_db()
    activity.track = MultiLineString(LineString([(x + 300, y) for x, y in activity.track[0].coords]),
                                     srid=settings.GIS_SRID)
    activity.save(update_fields=["track"])
    assert set(dict(bands.values_list("zoom", "id")).values()).isdisjoint(drawn.values())
    assert track_bands.differences() == 0


def test_a_zooms_tile_reads_an_index_of_that_zooms_band_alone(db):
    """Each band's index holds its own zoom's rows only: built with its condition (the PostGIS
    schema editor once dropped it, and a z9 tile sifted through every zoom's rows)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname, pg_get_expr(i.indpred, i.indrelid)
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'patrols_trackband'::regclass AND c.relname LIKE 'track_band_z%%'
        """)
        assert dict(cursor.fetchall()) == {f"track_band_z{z}_gist": f"(zoom = {z})" for z in track_bands.ZOOMS}


def test_check_rollups_finds_a_changed_track_band_and_rebuild_mends_it(crew):
    long_tracks(crew, random.Random(3), count=6)
    call_command("check_rollups")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patrols_trackband SET geom = ST_Translate(geom, 5, 0) WHERE zoom = 11")
    with pytest.raises(CommandError):
        call_command("check_rollups")
    call_command("check_rollups", "--rebuild")
    assert track_bands.differences() == 0


def grid_locks_held():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
                       " AND relation = 'patrols_activitycell'::regclass")
        return cursor.fetchone()[0]


def test_a_save_takes_no_grid_lock_until_its_commit(crew):
    """A grid row is shared by every activity under it (a cell of zoom 6 is some 20 km across): its
    upkeep waits for the commit, so two phones saving in one area do not wait on each other while
    their reach visits and rollups are written, and the grid's locks come after all others."""
    long_tracks(crew, random.Random(4), count=2)
    assert grid_locks_held() == 0
    cells.settle()  # what the commit runs
    assert grid_locks_held() > 0
    assert cells.differences() == (0, [])


def test_a_truncate_empties_the_tables_made_ahead(crew):
    long_tracks(crew, random.Random(5), count=3)
    cells.settle()
    assert ActivityCell.objects.exists() and TrackBand.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL truncates no table with checks pending
        cursor.execute("TRUNCATE patrols_activity CASCADE")
    assert not ActivityCell.objects.exists() and not TrackBand.objects.exists()
