"""The rollup migrations on a database that already holds activities (an upgrade, not a new install):
patrols 0014 fills the reach rollups from the visits and 0016 the activity tiles' grid and the
tracks simplified per zoom, each equal to what the live code computes (check_rollups' comparisons),
and 0016 run again makes them anew."""

import uuid
from datetime import datetime, timezone

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.db import connection

from patrols import cells, rollups, track_bands
from patrols.models import TrackBand
from tests.support.factories import make_person
from tests.support.migrations import leaf_migrations, migrate

BEFORE = [("patrols", "0012_activity_removed_participants")]


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_fills_the_rollups_and_the_grid_from_the_activities_there(district_data):
    latest = leaf_migrations()
    old = migrate(BEFORE)
    try:
        Activity, Record, Visit = (old.get_model("patrols", name) for name in ("Activity", "ServiceRecord", "ReachVisit"))
        Waterway, Reach = old.get_model("waterways", "Waterway"), old.get_model("waterways", "Reach")
        person = make_person(name="老队员", role="chief", level="village")  # people is not rolled back
        user_id = person.user_id
        waterway = Waterway.objects.get(code="ZW-G07")
        reaches = list(Reach.objects.filter(waterway=waterway).order_by("seq")[:4])
        for day, status in ((1, "submitted"), (2, "verified"), (3, "rejected"), (31, "submitted")):
            at = datetime(2025, 12, day if day < 31 else 31, 15, 30, tzinfo=timezone.utc)  # 31st: 1 January in Beijing
            point = waterway.geom.interpolate(150 * day)
            point.srid = waterway.geom.srid
            reviewed = {} if status == "submitted" else {"reviewed_by_id": user_id, "reviewed_at": at,
                                                            "review_note": "不符" if status == "rejected" else ""}
            track = MultiLineString(LineString([(point.x + 8 * k, point.y + 3 * k) for k in range(200)]),
                                    srid=waterway.geom.srid) if day % 2 else None
            activity = Activity.objects.create(client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind="patrol",
                                               submitted_by_id=user_id, started_at=at, ended_at=at, point=point,
                                               track=track, waterway=waterway, status=status, **reviewed)
            Record.objects.create(activity=activity, person_id=person.pk, role="chief", level="village", hours=1)
            for reach in reaches[:day % 4 + 1]:
                Visit.objects.create(activity=activity, reach=reach, visited_at=at, covered_fraction=1.0)
    finally:
        migrate(latest)
    assert rollups.differences() == (0, [])
    assert cells.differences() == (0, [])
    assert track_bands.differences() == 0 and TrackBand.objects.count() == 3 * len(track_bands.ZOOMS)  # days 1, 3, 31
    # The fill again (back to 0015 and forward): the rows are made anew, not added twice.
    migrate([("patrols", "0015_tile_summaries")])
    migrate(latest)
    assert cells.differences() == (0, []) and track_bands.differences() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM patrols_reachvisityear")
        assert cursor.fetchone()[0] > 0
        cursor.execute("SELECT sum(n) FROM patrols_activitycell WHERE level = 12 AND grain = 'y'")
        assert cursor.fetchone()[0] == 4
