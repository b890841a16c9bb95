"""Reads of the water network. Geometry leaves the database already in the API's lon/lat (settings.API_SRID)."""

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.db.models import Count, Sum

from .models import District, Reach, Station, Town, Village, Waterway


def _waterways_rivers_first():
    return Waterway.objects.select_related("parent", "town").order_by("-kind", "code")  # 'river' > 'gully'


def waterways_for_map():
    """Rivers first, then gullies, each with its geometry in lon/lat and its parent's name."""
    return _waterways_rivers_first().annotate(geom_api=Transform("geom", settings.API_SRID))


def waterway_list_rows():
    """Plain rows for the side list on the map page: no geometry is read or transformed."""
    return _waterways_rivers_first().defer("geom", "source")


def reaches_of(waterway):
    return Reach.objects.filter(waterway=waterway).annotate(geom_api=Transform("geom", settings.API_SRID)).order_by("seq")


def district_outline():
    return District.objects.annotate(geom_api=Transform("geom", settings.API_SRID)).first()


def stations_for_map():
    return Station.objects.select_related("town").annotate(geom_api=Transform("geom", settings.API_SRID)).order_by("code")


def network_totals():
    """Counts and lengths the map's side panel shows."""
    by_kind = Waterway.objects.values("kind").annotate(n=Count("id"), length_m=Sum("length_m"))
    totals = {row["kind"]: row for row in by_kind}
    return {
        "rivers": totals.get(Waterway.Kind.RIVER, {}).get("n", 0),
        "gullies": totals.get(Waterway.Kind.GULLY, {}).get("n", 0),
        "length_km": sum((row["length_m"] or 0) for row in by_kind) / 1000,
        "reaches": Reach.objects.count(),
    }


def known_codes():
    """Codes an imported file may refer to: waterways (as parents), towns and villages."""
    return {
        "waterways": set(Waterway.objects.values_list("code", flat=True)),
        "towns": set(Town.objects.values_list("code", flat=True)),
        "villages": set(Village.objects.values_list("code", flat=True)),
    }


def loaded_datasets():
    """Which parts of the district's data are already in the database."""
    return {
        "district": District.objects.exists(),
        "towns": Town.objects.exists(),
        "waterways": Waterway.objects.exists(),
        "stations": Station.objects.exists(),
    }
