"""The shipped gis_data/: 3 rivers and 39 gullies, joined, inside the district, measured right."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum
from pyproj import Geod

from waterways.models import District, ReachLink, Station, Town, Village, Waterway

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid


def scalar(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_three_rivers_and_thirty_nine_gullies(district_data):
    counts = dict(Waterway.objects.values_list("kind").annotate(n=Count("id")))
    assert counts == {"river": 3, "gully": 39}
    assert set(Waterway.objects.filter(kind="river").values_list("name", flat=True)) == {"堵河", "犟河", "神定河"}


def test_every_waterway_says_how_accurate_it_is_and_where_it_came_from(district_data):
    for waterway in Waterway.objects.all():
        assert waterway.accuracy in {"approximate", "digitised", "surveyed"}
        assert len(waterway.source) > 20, waterway.code
        assert waterway.name_pinyin, waterway.code


def test_every_tributary_mouth_is_within_20_m_of_its_parent(district_data):
    worst = scalar(
        "SELECT max(ST_Distance(ST_EndPoint(t.geom), p.geom)) FROM waterways_waterway t"
        " JOIN waterways_waterway p ON p.id = t.parent_id"
    )
    assert worst < 20
    assert Waterway.objects.filter(kind="gully", parent__kind="river").count() == 39


def test_every_waterway_lies_inside_the_district_outline(district_data):
    outside = scalar(
        "SELECT count(*) FROM waterways_waterway w, waterways_district d WHERE NOT ST_Covers(d.geom, w.geom)"
    )
    assert outside == 0


def test_lines_look_like_rivers_not_straight_segments(district_data):
    for waterway in Waterway.objects.all():
        vertices = waterway.geom.num_points
        assert vertices >= 20, waterway.code
        assert waterway.length_m / (vertices - 1) < 150, waterway.code


def test_stored_lengths_agree_with_geodesic_lengths(district_data):
    for waterway in Waterway.objects.all():
        lonlat = waterway.geom.transform(settings.API_SRID, clone=True)
        lons, lats = zip(*lonlat.coords)
        geodesic = GEOD.line_length(lons, lats)
        assert waterway.length_m == pytest.approx(geodesic, rel=0.001), waterway.code


def test_reach_lengths_sum_to_the_waterway_length(district_data):
    rows = Waterway.objects.annotate(cut=Sum("reaches__end_m") - Sum("reaches__start_m"), pieces=Count("reaches"))
    for waterway in rows:
        assert waterway.cut == pytest.approx(waterway.length_m, rel=0.001), waterway.code
        geometric = scalar("SELECT sum(ST_Length(geom)) FROM waterways_reach WHERE waterway_id = %s", [waterway.id])
        assert geometric == pytest.approx(waterway.length_m, rel=0.001), waterway.code


def test_reaches_are_contiguous_and_about_reach_length_long(district_data, settings):
    for waterway in Waterway.objects.prefetch_related("reaches"):
        reaches = list(waterway.reaches.order_by("seq"))
        assert [r.seq for r in reaches] == list(range(1, len(reaches) + 1))
        for previous, following in zip(reaches, reaches[1:]):
            assert following.start_m == pytest.approx(previous.end_m)
        for reach in reaches:
            assert settings.REACH_LENGTH_M / 2 <= reach.length_m < settings.REACH_LENGTH_M * 1.5


def test_reaches_are_adjacent_along_waterways_and_across_junctions(district_data):
    along = ReachLink.objects.filter(kind="along")
    pieces = Waterway.objects.annotate(n=Count("reaches")).aggregate(total=Sum("n"), lines=Count("id"))
    assert along.count() == 2 * (pieces["total"] - pieces["lines"])  # both directions, n-1 pairs per line
    junctions = ReachLink.objects.filter(kind="junction").select_related("reach__waterway", "neighbour__waterway")
    joined = {link.reach.waterway.code for link in junctions if link.reach.waterway.parent_id == link.neighbour.waterway_id}
    assert joined == set(Waterway.objects.filter(parent__isnull=False).values_list("code", flat=True))
    for link in junctions:
        # a tributary's mouth reach is its last one
        tributary_side = link.reach if link.reach.waterway.parent_id == link.neighbour.waterway_id else link.neighbour
        assert tributary_side.seq == tributary_side.waterway.reaches.count()


def test_towns_villages_and_stations_are_loaded(district_data):
    assert Town.objects.count() == 10
    assert Village.objects.count() == 107
    assert Village.objects.get(code="420303100204").name == "狮子沟村委会"
    assert Station.objects.count() == 35
    outside = scalar("SELECT count(*) FROM waterways_station s, waterways_district d WHERE NOT ST_Covers(d.geom, s.geom)")
    assert outside == 0
    assert District.objects.get().adcode == "420303"


def test_loading_again_changes_nothing(district_data, capsys):
    from django.core.management import call_command

    call_command("load_district_data")
    output = capsys.readouterr().out
    assert output.count("已有数据，未改动") == 4
