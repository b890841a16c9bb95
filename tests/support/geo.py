"""The project's coordinate systems as the settings give them: tests never restate them."""

from functools import lru_cache

from django.conf import settings
from pyproj import Transformer


@lru_cache
def _transformer(source, target):
    return Transformer.from_crs(source, target, always_xy=True)


def to_lonlat(x, y):
    """A storage-SRID position (metres) as the API's lon/lat."""
    return _transformer(settings.GIS_SRID, settings.API_SRID).transform(x, y)


def to_metres(lon, lat):
    """A lon/lat as a storage-SRID position (metres)."""
    return _transformer(settings.API_SRID, settings.GIS_SRID).transform(lon, lat)
