from django.conf import settings
from django.contrib.gis.gdal import SpatialReference
from django.core.checks import Error, register


@register()
def storage_srid_is_metric(app_configs, **kwargs):
    """Lengths, buffers and reach cutting assume metres; a degree-based SRID would make
    every distance in the app silently wrong."""
    srid = settings.GIS_SRID
    try:
        # An integer EPSG code from our own settings, never user input.
        srs = SpatialReference(srid)
    except Exception as exc:  # GDAL raises several types for unknown codes
        return [Error(f"GIS_SRID={srid} is not a known EPSG code: {exc}", id="waterways.E001")]
    units = (srs.linear_name or "").lower()
    if not srs.projected or units not in {"metre", "meter", "metres", "meters"}:
        return [
            Error(
                f"GIS_SRID={srid} must be a projected CRS in metres (its unit is "
                f"{srs.units[1] or 'unknown'}).",
                hint="Use EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E) for Zhangwan.",
                id="waterways.E002",
            )
        ]
    return []


@register()
def reach_length_is_positive(app_configs, **kwargs):
    if settings.REACH_LENGTH_M <= 0:
        return [Error(f"REACH_LENGTH_M must be more than 0 (it is {settings.REACH_LENGTH_M}).", id="waterways.E003")]
    return []
