"""Builds small waterway files in any CRS and format for the import tests."""

import zipfile
from pathlib import Path

import geopandas
from shapely.geometry import LineString, Polygon

# A river and its gully near 柏林 (lon/lat); the gully's last vertex lies on the river.
RIVER_LONLAT = [(110.600, 32.650), (110.605, 32.652), (110.610, 32.651), (110.615, 32.654), (110.620, 32.655)]
GULLY_LONLAT = [(110.612, 32.640), (110.611, 32.644), (110.6105, 32.648), (110.610, 32.651)]


def sample_rows():
    return [
        {"code": "T-R1", "name": "测试河", "kind": "river", "parent": None, "geometry": LineString(RIVER_LONLAT)},
        {"code": "T-G1", "name": "测试沟", "kind": "gully", "parent": "T-R1", "geometry": LineString(GULLY_LONLAT)},
    ]


def frame(rows, epsg=4326):
    """rows carry lon/lat geometry; the frame is reprojected to `epsg`."""
    data = geopandas.GeoDataFrame(rows, geometry="geometry", crs=4326)
    return data if epsg == 4326 else data.to_crs(epsg=epsg)


def write(frame_, path: Path, driver=None):
    path = Path(path)
    driver = driver or {".geojson": "GeoJSON", ".gpkg": "GPKG"}[path.suffix]
    frame_.to_file(path, driver=driver, engine="pyogrio")
    return path


def zipped_shapefile(frame_, path: Path, with_prj=True):
    folder = path.parent / (path.stem + "_shp")
    folder.mkdir()
    frame_.to_file(folder / "waterways.shp", engine="pyogrio", encoding="utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            if part.suffix == ".prj" and not with_prj:
                continue
            archive.write(part, part.name)
    return path


def polygon_row():
    square = Polygon([(110.60, 32.60), (110.61, 32.60), (110.61, 32.61), (110.60, 32.60)])
    return {"code": "T-P1", "name": "方块", "kind": "river", "parent": None, "geometry": square}
