"""Where RiverWatch takes positions from: the district outline and SERVICE_AREA_BUFFER_M around it.

A track from another country (a GPX file picked by mistake) would be measured in the district's
Gauss-Krüger projection, tens of percent too long, and a point outside the projection's area of use
projects to infinity and breaks the database's geometry checks. Every position a user sends is
checked here before anything is stored."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import Point
from pyproj import CRS, Transformer

from .models import District


@lru_cache
def projection_area():
    """(west, south, east, north) in lon/lat where the storage projection is defined."""
    area = CRS.from_epsg(settings.GIS_SRID).area_of_use
    return area.west, area.south, area.east, area.north


@lru_cache(maxsize=4)
def _buffered_outline(wkb: bytes, buffer_m: float):
    area = shapely.from_wkb(wkb).buffer(buffer_m)
    shapely.prepare(area)
    return area


def _outline():
    """The district outline widened by the buffer (storage SRID), or None before the district is loaded."""
    geom = District.objects.values_list("geom", flat=True).first()
    if geom is None:
        return None
    return _buffered_outline(bytes(geom.wkb), float(settings.SERVICE_AREA_BUFFER_M))


def first_outside_lonlat(lons, lats) -> int | None:
    """The index of the first lon/lat outside the storage projection's area of use (where it would
    project to nonsense or infinity), else None. Checked before anything is projected."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    west, south, east, north = projection_area()
    inside = (lons >= west) & (lons <= east) & (lats >= south) & (lats <= north)
    outside = np.flatnonzero(~inside)
    return int(outside[0]) if outside.size else None


def first_outside(xs, ys) -> int | None:
    """The index of the first position (storage SRID) further than the buffer from the district
    outline, else None. Before the district is loaded, only non-finite positions are outside."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    inside = np.isfinite(xs) & np.isfinite(ys)
    outline = _outline()
    if outline is not None and inside.any():
        inside[inside] = shapely.contains_xy(outline, xs[inside], ys[inside])
    outside = np.flatnonzero(~inside)
    return int(outside[0]) if outside.size else None


def buffer_km() -> str:
    """The buffer as people read it: 20 km, 2.5 km."""
    km = settings.SERVICE_AREA_BUFFER_M / 1000
    return f"{km:g}" if math.isfinite(km) else "?"


@lru_cache
def _to_storage() -> Transformer:
    return Transformer.from_crs(settings.API_SRID, settings.GIS_SRID, always_xy=True)


def storage_point(lonlat) -> Point | None:
    """A lon/lat as a Point in the storage SRID, or None when it lies outside the service area:
    every single position a person sends (a problem, a photo's EXIF) is placed through here."""
    lon, lat = lonlat
    if first_outside_lonlat([lon], [lat]) is not None:
        return None
    x, y = _to_storage().transform(lon, lat)
    return Point(x, y, srid=settings.GIS_SRID) if first_outside([x], [y]) is None else None
