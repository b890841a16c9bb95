"""Cutting waterways into reaches and joining them: rebuild_reaches and the import."""

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from shapely.geometry import LineString

from waterways.models import Reach, ReachLink, Waterway

from . import files


@pytest.fixture
def empty_network(db):
    Waterway.objects.filter(kind="gully").delete()
    Waterway.objects.filter(parent__isnull=False).delete()
    Waterway.objects.all().delete()


def test_rebuild_follows_the_reach_length_setting(district_data, settings, capsys):
    river = Waterway.objects.get(code="ZW-R01")
    settings.REACH_LENGTH_M = 250
    call_command("rebuild_reaches")
    assert "汇流口 40 处" in capsys.readouterr().out

    reaches = list(river.reaches.order_by("seq"))
    assert len(reaches) == round(river.length_m / 250)
    assert all(reach.length_m == pytest.approx(250) for reach in reaches[:-1])
    assert reaches[-1].end_m == pytest.approx(river.length_m)
    assert 125 <= reaches[-1].length_m < 375


def test_a_line_shorter_than_half_a_reach_is_one_reach(empty_network, tmp_path):
    rows = files.sample_rows()[:1]
    rows[0]["geometry"] = LineString([(110.6000, 32.6500), (110.6001, 32.6502), (110.6002, 32.6503)])  # ~30 m
    call_command("import_waterways", str(files.write(files.frame(rows), tmp_path / "short.geojson")), verbosity=0)
    river = Waterway.objects.get()
    (reach,) = river.reaches.all()
    assert reach.start_m == 0 and reach.end_m == pytest.approx(river.length_m)
    assert not ReachLink.objects.exists()


def test_a_mouth_far_from_its_parent_is_reported_and_not_joined(empty_network, tmp_path, capsys):
    rows = files.sample_rows()
    shifted = [(lon, lat - 0.003) for lon, lat in files.GULLY_LONLAT]  # ends ~330 m short of the river
    rows[1]["geometry"] = LineString(shifted)
    call_command("import_waterways", str(files.write(files.frame(rows), tmp_path / "gap.geojson")))
    assert "T-G1 的河口距汇入河流" in capsys.readouterr().out
    assert not ReachLink.objects.filter(kind="junction").exists()
    assert ReachLink.objects.filter(kind="along").count() == 2 * (Reach.objects.count() - 2)


def test_junction_joins_the_gully_mouth_to_the_nearest_river_reach(empty_network, tmp_path):
    call_command("import_waterways", str(files.write(files.frame(files.sample_rows()), tmp_path / "ok.geojson")), verbosity=0)
    gully = Waterway.objects.get(code="T-G1")
    mouth = gully.reaches.order_by("-seq").first()
    (link,) = ReachLink.objects.filter(kind="junction", reach=mouth)
    assert link.neighbour.waterway.code == "T-R1"
    mouth_point = Point(gully.geom.coords[-1], srid=gully.geom.srid)
    nearest = min(Waterway.objects.get(code="T-R1").reaches.all(), key=lambda reach: reach.geom.distance(mouth_point))
    assert link.neighbour == nearest
    assert ReachLink.objects.filter(kind="junction", reach=link.neighbour, neighbour=mouth).exists()
