"""manage.py import_waterways: CRS handling, validation, all-or-nothing, upsert."""

import hashlib

import geopandas
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from shapely.geometry import LineString

from waterways.models import Reach, Waterway

from . import files


def import_file(path, *args):
    call_command("import_waterways", str(path), *args, verbosity=0)


def network_fingerprint():
    """Everything an import could change, as one hash: codes, attributes, geometry, reaches."""
    digest = hashlib.sha256()
    for row in Waterway.objects.order_by("code").values_list("code", "name", "kind", "parent__code", "length_m", "geom"):
        digest.update(repr(row[:-1]).encode() + bytes(row[-1].wkb))
    digest.update(str(Reach.objects.count()).encode())
    return digest.hexdigest()


@pytest.fixture
def empty_network(db):
    Reach.objects.all().delete()
    Waterway.objects.filter(kind=Waterway.Kind.GULLY).delete()
    Waterway.objects.filter(parent__isnull=False).delete()
    Waterway.objects.all().delete()


def test_good_file_is_imported_with_reaches(empty_network, tmp_path):
    path = files.write(files.frame(files.sample_rows()), tmp_path / "good.geojson")
    import_file(path)

    river = Waterway.objects.get(code="T-R1")
    gully = Waterway.objects.get(code="T-G1")
    assert gully.parent == river
    assert river.name_pinyin == "Ceshi He"  # derived when the file has no pinyin column
    assert river.geom.srid == settings.GIS_SRID
    assert river.length_m == pytest.approx(river.geom.length)
    assert river.reaches.count() == round(river.length_m / 100)
    assert gully.accuracy == "approximate"


@pytest.mark.parametrize(
    "epsg, suffix", [(4326, ".geojson"), (settings.GIS_SRID, ".gpkg"), (32649, ".gpkg"), (4490, ".gpkg")]
)
def test_every_allowed_crs_gives_the_same_stored_geometry(empty_network, tmp_path, epsg, suffix):
    path = files.write(files.frame(files.sample_rows(), epsg=epsg), tmp_path / f"in_{epsg}{suffix}")
    import_file(path)

    # The expectation comes from the lon/lat input through PostGIS's own PROJ (ST_Transform),
    # not from the pyproj path the import uses, so a wrong reprojection cannot agree with itself.
    with connection.cursor() as cursor:
        for row in files.sample_rows():
            cursor.execute(
                "SELECT ST_HausdorffDistance(w.geom, ST_Transform(ST_GeomFromText(%s, 4326), %s))"
                " FROM waterways_waterway w WHERE w.code = %s",
                [row["geometry"].wkt, settings.GIS_SRID, row["code"]],
            )
            assert cursor.fetchone()[0] < 0.1, row["code"]


def test_file_without_crs_is_refused_and_nothing_written(district_data, tmp_path):
    before = network_fingerprint()
    path = files.zipped_shapefile(files.frame(files.sample_rows(), epsg=settings.GIS_SRID), tmp_path / "no_prj.zip", with_prj=False)

    with pytest.raises(CommandError, match="没有声明坐标参考系"):
        import_file(path)
    assert network_fingerprint() == before


def test_zipped_shapefile_with_prj_is_read(empty_network, tmp_path):
    path = files.zipped_shapefile(files.frame(files.sample_rows(), epsg=settings.GIS_SRID), tmp_path / "ok.zip")
    import_file(path)
    assert set(Waterway.objects.values_list("code", flat=True)) == {"T-R1", "T-G1"}


def test_crs_outside_the_allow_list_is_refused(empty_network, tmp_path):
    path = files.write(files.frame(files.sample_rows(), epsg=2154), tmp_path / "lambert.gpkg")
    with pytest.raises(CommandError, match="不在允许的列表中"):
        import_file(path)
    assert not Waterway.objects.exists()


def test_invalid_geometry_and_wrong_type_are_listed_and_nothing_written(district_data, tmp_path):
    before = network_fingerprint()
    rows = files.sample_rows()
    rows[0]["geometry"] = LineString([(110.60, 32.65), (110.60, 32.65)])  # one repeated point: invalid
    rows.append(files.polygon_row())
    rows.append({"code": "T-R1", "name": "重复", "kind": "river", "parent": None, "geometry": LineString(files.RIVER_LONLAT)})
    path = files.write(files.frame(rows), tmp_path / "bad.geojson")

    with pytest.raises(CommandError) as raised:
        import_file(path)
    message = str(raised.value)
    assert "第 1 个要素 (T-R1)" in message and "几何无效" in message
    assert "第 3 个要素 (T-P1)" in message and "Polygon" in message
    assert "第 4 个要素 (T-R1)" in message and "编码与第 1 个要素重复" in message
    assert network_fingerprint() == before


def test_unknown_parent_and_bad_kind_are_reported(empty_network, tmp_path):
    rows = files.sample_rows()
    rows[1]["parent"] = "NOPE"
    rows[0]["kind"] = "canal"
    path = files.write(files.frame(rows), tmp_path / "parents.geojson")
    with pytest.raises(CommandError) as raised:
        import_file(path)
    assert "汇入河流 NOPE 不存在" in str(raised.value)
    assert "类型“canal”无效" in str(raised.value)
    assert not Waterway.objects.exists()


def test_reimport_upserts_by_code_and_removes_missing(empty_network, tmp_path, capsys):
    import_file(files.write(files.frame(files.sample_rows()), tmp_path / "first.geojson"))
    river_id = Waterway.objects.get(code="T-R1").id

    rows = files.sample_rows()[:1]
    rows[0]["name"] = "测试河（更名）"
    call_command("import_waterways", str(files.write(files.frame(rows), tmp_path / "second.geojson")))
    output = capsys.readouterr().out

    river = Waterway.objects.get(code="T-R1")
    assert river.id == river_id and river.name == "测试河（更名）"
    assert not Waterway.objects.filter(code="T-G1").exists()
    assert "新增 0，修改 1，未变 0，删除 1" in output


def test_same_file_twice_changes_nothing(district_data, capsys):
    before = network_fingerprint()
    call_command("import_waterways", "gis_data/waterways.geojson")
    assert "新增 0，修改 0，未变 42，删除 0" in capsys.readouterr().out
    assert network_fingerprint() == before


def test_field_map_reads_other_attribute_names(empty_network, tmp_path):
    rows = [
        {"HDBM": row["code"], "HDMC": row["name"], "LX": "河流" if row["kind"] == "river" else "支沟",
         "SJHD": row["parent"], "geometry": row["geometry"]}
        for row in files.sample_rows()
    ]
    path = files.write(files.frame(rows), tmp_path / "office.geojson")
    import_file(path, "--map", "code=HDBM,name=HDMC,kind=LX,parent=SJHD")
    assert Waterway.objects.get(code="T-G1").parent.code == "T-R1"


def test_dry_run_writes_nothing(empty_network, tmp_path):
    import_file(files.write(files.frame(files.sample_rows()), tmp_path / "dry.geojson"), "--dry-run")
    assert not Waterway.objects.exists()


def test_over_long_attributes_are_listed_before_anything_is_written(district_data, tmp_path):
    before = network_fingerprint()
    rows = files.sample_rows()
    rows[0]["name"] = "很长的河名" * 14  # 70 characters; the column holds 64
    rows[1]["code"] = "G" * 40
    path = files.write(files.frame(rows), tmp_path / "long.geojson")

    with pytest.raises(CommandError) as raised:
        import_file(path, "--dry-run")
    message = str(raised.value)
    assert "第 1 个要素 (T-R1): name 太长（70 个字符，最多 64）" in message
    assert "第 2 个要素" in message and "code 太长（40 个字符，最多 32）" in message
    assert network_fingerprint() == before


def test_a_line_of_exactly_three_reach_lengths_is_three_reaches(empty_network, tmp_path):
    rows = [{"code": "T-R9", "name": "直河", "kind": "river", "parent": None,
             "geometry": LineString([(460000, 3614000), (460150, 3614000), (460300, 3614000)])}]
    frame = geopandas.GeoDataFrame(rows, geometry="geometry", crs=settings.GIS_SRID)
    import_file(files.write(frame, tmp_path / "straight.gpkg"))
    river = Waterway.objects.get(code="T-R9")
    assert [(r.start_m, r.end_m) for r in river.reaches.order_by("seq")] == [(0, 100), (100, 200), (200, 300)]
