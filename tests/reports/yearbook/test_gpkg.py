"""The report's GeoPackage (reports/yearbook/gpkg.py) on the district's real network: the layers, their
CRS (EPSG:4546) and counts as GDAL's own ogrinfo and geopandas read them; reaches covered by a walk
and not by a rejected one; rejected activities marked not counted; problems overdue as of the report's
day; a waterway's report kept to its waterway; the snapshot's hotspots transformed from lon/lat."""

import re
import subprocess
from datetime import date

import geopandas
import pandas
import pyogrio
import pytest
import shapely
from django.contrib.gis.geos import Point
from pyproj import Transformer

from patrols.models import Activity
from problems.models import Source
from reports.yearbook import gpkg
from tests.support.clock import FROZEN_NOW, beijing
from tests.support.problems import make_world, move, reported
from tests.support.walks import points_along
from tests.support.yearbook import sample_snapshot
from waterways.models import Reach, Waterway

pytestmark = pytest.mark.django_db

LAYERS = ["reaches", "activities", "activity_points", "problems", "hotspots"]


def write(tmp_path, snapshot, name="report.gpkg"):
    path = tmp_path / name
    path.write_bytes(gpkg.render(snapshot))
    return path


def read(path, layer):
    return geopandas.read_file(path, layer=layer, engine="pyogrio")


def waterway_snapshot(code):
    snapshot = sample_snapshot(key=f"2026-{code}", kind="waterway")
    waterway = Waterway.objects.get(code=code)
    snapshot["scope"]["waterway"] = {"code": code, "name": waterway.name, "kind": waterway.kind}
    return snapshot


@pytest.fixture
def records(crew, submit_walk, plant_visits, clock):
    """A walk along 狮子沟 (ZW-G07) in May; a rejected patrol of 青石沟 (ZW-G09) reaches 1–2 in June; a
    2025 patrol of its reach 6; a clean-up with a point and no track; and three problems: one overdue on
    the report's day, one still in time, one from the public nobody accepted."""
    walk = submit_walk(crew["volunteer"], points_along("ZW-G07", 0, 1000), beijing("2026-05-01 08:00"),
                       participants=[crew["teammate"]])
    rejected = plant_visits("ZW-G09", [1, 2], beijing("2026-06-01 09:00"), status="rejected")
    last_year = plant_visits("ZW-G09", [6], beijing("2025-08-10 09:00"))
    cleanup = plant_visits("ZW-G09", [], beijing("2026-07-01 09:00"), kind="cleanup")
    Activity.objects.filter(pk=cleanup.pk).update(
        point=Point(*points_along("ZW-G09", 200, 0)[0], srid=4546), waterway=Waterway.objects.get(code="ZW-G09"),
        debris_kg=12.5, bags=3)

    world = make_world(crew)
    staff = world["staff"]
    clock.move_to(beijing("2026-11-02 09:00"))  # a Monday
    late = reported(staff)
    move(late, staff, "accept")
    move(late, staff, "assign", unit=world["unit"], deadline=date(2026, 11, 10))
    in_time = reported(staff, position_m=900)
    move(in_time, staff, "accept")
    move(in_time, staff, "assign", unit=world["unit"], deadline=date(2026, 11, 20))
    unvetted = reported(None, source=Source.PUBLIC, position_m=600, contact_phone="13900000009", tracking=True)
    clock.move_to(FROZEN_NOW)
    return {"walk": walk, "rejected": rejected, "last_year": last_year, "cleanup": cleanup,
            "late": late, "in_time": in_time, "unvetted": unvetted}


def test_ogrinfo_lists_the_layers_in_epsg_4546_with_their_counts(records, tmp_path):
    path = write(tmp_path, sample_snapshot())
    result = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True, check=True)
    output = result.stdout
    assert "Warning" not in result.stderr, result.stderr
    assert re.findall(r"^Layer name: (\S+)$", output, re.M) == LAYERS
    # Every layer declares the storage CRS, as the last ID of its SRS.
    assert len(re.findall(r'^    ID\["EPSG",4546\]\]$', output, re.M)) == len(LAYERS)
    counts = dict(zip(re.findall(r"^Layer name: (\S+)$", output, re.M),
                      map(int, re.findall(r"^Feature Count: (\d+)$", output, re.M))))
    assert counts == {"reaches": Reach.objects.count(), "activities": 3, "activity_points": 1, "problems": 2,
                      "hotspots": 1}
    assert re.search(r"^Geometry: Multi Line String$", output, re.M)
    assert "covered: Integer(Boolean)" in output and "started_at: DateTime" in output


def test_reaches_are_covered_by_the_period_s_counted_visits_only(records, tmp_path):
    reaches = read(write(tmp_path, sample_snapshot()), "reaches")
    assert reaches.crs.to_epsg() == 4546
    assert len(reaches) == Reach.objects.count()
    assert set(reaches.geometry.geom_type) == {"LineString"}
    by_reach = reaches.set_index(["waterway_code", "seq"])

    walked = Reach.objects.filter(waterway__code="ZW-G07", visits__activity=records["walk"]).values_list("seq", flat=True)
    assert 1 in walked and len(walked) >= 8
    for seq in walked:
        reach = by_reach.loc[("ZW-G07", seq)]
        assert reach.covered and reach.visits == 1
        assert reach.last_visit_local == "2026-05-01 08:00"
        assert reach.days_since_visit == (date(2026, 11, 18) - date(2026, 5, 1)).days
    # Walked only by the rejected patrol: not covered, never visited.
    for seq in (1, 2):
        reach = by_reach.loc[("ZW-G09", seq)]
        assert not reach.covered and reach.visits == 0
        assert pandas.isna(reach.last_visit_local) and pandas.isna(reach.last_visit_at)
        assert pandas.isna(reach.days_since_visit)
    # Walked last year: visited, but not in the period.
    old = by_reach.loc[("ZW-G09", 6)]
    assert not old.covered and old.visits == 0
    assert old.last_visit_local == "2025-08-10 09:00"
    assert old.days_since_visit == (date(2026, 11, 18) - date(2025, 8, 10)).days
    assert reaches.covered.sum() == len(walked)
    first = Reach.objects.get(waterway__code="ZW-G07", seq=1)
    row = by_reach.loc[("ZW-G07", 1)]
    assert row.length_m == pytest.approx(first.end_m - first.start_m)
    assert row.geometry.equals_exact(shapely.from_wkb(bytes(first.geom.wkb)), 1e-6)


def test_activities_carry_their_figures_and_rejected_ones_are_not_counted(records, tmp_path):
    path = write(tmp_path, sample_snapshot())
    activities = read(path, "activities").set_index("id")
    assert activities.crs.to_epsg() == 4546
    # Started in 2026 up to the report's day; last year's patrol is not in this report.
    assert set(activities.index) == {records[name].pk for name in ("walk", "rejected", "cleanup")}
    walk = activities.loc[records["walk"].pk]
    assert (walk.kind, walk.kind_label, bool(walk.counted), walk.people) == ("patrol", "巡河", True, 2)
    assert walk.waterway_code == "ZW-G07" and walk.started_local == "2026-05-01 08:00"
    assert walk.geometry.geom_type == "MultiLineString" and walk.geometry.length > 900
    assert walk.hours == pytest.approx(float(sum(r.hours for r in records["walk"].service_records.all())))
    rejected = activities.loc[records["rejected"].pk]
    assert (rejected.status, rejected.status_label, bool(rejected.counted)) == ("rejected", "已驳回", False)
    cleanup = activities.loc[records["cleanup"].pk]
    assert cleanup.geometry is None and (cleanup.debris_kg, cleanup.bags) == (12.5, 3)

    points = read(path, "activity_points")
    assert list(points["id"]) == [records["cleanup"].pk]
    assert points.geometry[0].equals_exact(shapely.Point(points_along("ZW-G09", 200, 0)[0]), 1e-6)


def test_problems_that_count_with_overdue_as_of_the_report_s_day(records, tmp_path):
    problems = read(write(tmp_path, sample_snapshot()), "problems").set_index("id")
    assert problems.crs.to_epsg() == 4546
    assert set(problems.index) == {records["late"].pk, records["in_time"].pk}  # the public's claim does not count
    late, in_time = problems.loc[records["late"].pk], problems.loc[records["in_time"].pk]
    assert bool(late.overdue) and not bool(in_time.overdue)
    assert (late.state, late.state_label, late.category_label) == ("assigned", "已交办", "垃圾漂浮物")
    assert (late.deadline, late.first_deadline, late.unit) == ("2026-11-10", "2026-11-10", "狮子沟村委会")
    assert late.waterway_code == "ZW-G07" and late.observed_local.startswith("2026-11-02")
    assert late.geometry.distance(shapely.from_wkb(bytes(records["late"].point.wkb))) < 1e-6

    # The same problems in a report whose day is before the deadline: not overdue yet.
    snapshot = sample_snapshot()
    snapshot["scope"]["as_of"] = "2026-11-10"
    problems = read(write(tmp_path, snapshot, "earlier.gpkg"), "problems").set_index("id")
    assert not problems.overdue.any()


def test_a_waterway_s_report_keeps_to_its_waterway(records, tmp_path):
    path = write(tmp_path, waterway_snapshot("ZW-G07"))
    reaches = read(path, "reaches")
    assert set(reaches.waterway_code) == {"ZW-G07"}
    assert len(reaches) == Reach.objects.filter(waterway__code="ZW-G07").count()
    activities = read(path, "activities")
    assert set(activities.waterway_code) == {"ZW-G07"} and records["walk"].pk in set(activities["id"])
    assert records["cleanup"].pk not in set(activities["id"])
    assert len(read(path, "activity_points")) == 0
    assert set(read(path, "problems").waterway_code) == {"ZW-G07"}

    other = read(write(tmp_path, waterway_snapshot("ZW-G09"), "g09.gpkg"), "reaches").set_index("seq")
    assert set(other.waterway_code) == {"ZW-G09"} and not other.loc[1].covered


def test_hotspots_are_transformed_to_the_storage_crs_and_the_layer_is_there_when_empty(district_data, tmp_path):
    snapshot = sample_snapshot()
    hotspots = read(write(tmp_path, snapshot), "hotspots")
    assert hotspots.crs.to_epsg() == 4546
    assert list(hotspots.columns) == ["class", "label", "value", "z", "p", "geometry"]
    row = hotspots.iloc[0]
    assert (row["class"], row.label, row.value, row.z, row.p) == ("hot_95", "热点（95% 置信）", 7, 3.1, 0.002)
    to_4546 = Transformer.from_crs(4326, 4546, always_xy=True)
    expected = shapely.Polygon([to_4546.transform(lon, lat) for lon, lat in
                                snapshot["sections"][2]["blocks"][0]["features"][0]["geometry"]["coordinates"][0]])
    assert row.geometry.geom_type == "MultiPolygon"
    assert row.geometry.geoms[0].equals_exact(expected, 0.01)  # within a centimetre of pyproj's

    snapshot["sections"] = [part for part in snapshot["sections"] if part["key"] != "hotspots"]
    path = write(tmp_path, snapshot, "none.gpkg")
    assert "hotspots" in list(pyogrio.list_layers(path)[:, 0])
    empty = read(path, "hotspots")
    assert len(empty) == 0 and list(empty.columns) == ["class", "label", "value", "z", "p", "geometry"]
    assert empty.crs.to_epsg() == 4546
    info = pyogrio.read_info(path, layer="hotspots")
    assert list(info["dtypes"]) == ["object", "object", "float64", "float64", "float64"]


def test_a_report_of_a_period_not_yet_begun_has_empty_layers_of_the_same_schema(records, tmp_path):
    snapshot = sample_snapshot()
    snapshot["scope"].update(start="2027-01-01", end="2027-12-31", as_of=(date(2026, 11, 18)).isoformat())
    path = write(tmp_path, snapshot)
    activities = read(path, "activities")
    assert len(activities) == 0 and "counted" in activities.columns
    assert len(read(path, "problems")) == 0
    reaches = read(path, "reaches")
    assert len(reaches) == Reach.objects.count() and not reaches.covered.any()
    assert pyogrio.read_info(path, layer="activities")["geometry_type"] == "MultiLineString"
