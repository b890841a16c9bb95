"""How the water network is shown, as GeoJSON in lon/lat (settings.API_SRID): the API and the
pages use the same representation."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as drf
from rest_framework_gis import serializers as gis

from .models import District, Reach, Station, Waterway

# 6 decimals of a degree is about 0.1 m: enough for a river line, a third of the payload.
COORDINATE_PRECISION = 6

@extend_schema_field({"type": "object", "nullable": True, "description": "GeoJSON geometry, lon/lat (WGS-84)"})
class LonLatGeometryField(gis.GeometryField):
    """A geometry the selector already transformed to lon/lat in SQL (an annotation, which the
    OpenAPI generator cannot look up on the model, hence the schema given here)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("precision", COORDINATE_PRECISION)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class LonLatFeatureSerializer(gis.GeoFeatureModelSerializer):
    """A GeoJSON Feature whose geometry the selector already transformed to lon/lat in SQL."""

    geom = LonLatGeometryField(source="geom_api")


class WaterwaySerializer(LonLatFeatureSerializer):
    # A river has no parent; a waterway crossing towns has no one town.
    parent = drf.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    parent_name = drf.CharField(source="parent.name", read_only=True, default=None, allow_null=True)
    town = drf.CharField(source="town.name", read_only=True, default=None, allow_null=True)
    kind_display = drf.CharField(source="get_kind_display", read_only=True)
    accuracy_display = drf.CharField(source="get_accuracy_display", read_only=True)

    class Meta:
        model = Waterway
        geo_field = "geom"
        id_field = False
        fields = [
            "code", "name", "name_pinyin", "kind", "kind_display", "parent", "parent_name",
            "town", "length_m", "accuracy", "accuracy_display", "source",
        ]


class ReachSerializer(LonLatFeatureSerializer):
    waterway = drf.CharField(source="waterway.code", read_only=True)
    length_m = drf.FloatField(read_only=True)

    class Meta:
        model = Reach
        geo_field = "geom"
        fields = ["id", "waterway", "seq", "start_m", "end_m", "length_m"]


class StationSerializer(LonLatFeatureSerializer):
    town = drf.CharField(source="town.name", read_only=True)
    kind_display = drf.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Station
        geo_field = "geom"
        id_field = False
        fields = ["code", "name", "kind", "kind_display", "town", "address", "accuracy", "source"]


class DistrictSerializer(LonLatFeatureSerializer):
    class Meta:
        model = District
        geo_field = "geom"
        id_field = False
        fields = ["adcode", "name", "accuracy", "source"]
