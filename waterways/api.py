"""Read API of the water network, GeoJSON in EPSG:4326."""

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics
from rest_framework import serializers as drf
from rest_framework.exceptions import NotFound
from rest_framework_gis import serializers as gis

from . import selectors
from .models import District, Reach, Station, Waterway

# 6 decimals of a degree is about 0.1 m: enough for a river line, a third of the payload.
COORDINATE_PRECISION = 6

# The network layers are the biggest downloads of a phone's first visit and compress to a quarter.
# They hold no secrets, so compressing them is safe from BREACH-style guessing.
compressed = method_decorator(gzip_page, name="dispatch")


@extend_schema_field({"type": "object", "nullable": True, "description": "GeoJSON geometry, EPSG:4326 (lon/lat)"})
class Wgs84GeometryField(gis.GeometryField):
    """A geometry the selector already transformed to EPSG:4326 in SQL (an annotation, which the
    OpenAPI generator cannot look up on the model, hence the schema given here)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("precision", COORDINATE_PRECISION)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class Wgs84FeatureSerializer(gis.GeoFeatureModelSerializer):
    """A GeoJSON Feature whose geometry the selector already transformed to EPSG:4326 in SQL."""

    geom = Wgs84GeometryField(source="geom_wgs84")


class WaterwaySerializer(Wgs84FeatureSerializer):
    parent = drf.SlugRelatedField(slug_field="code", read_only=True)
    parent_name = drf.CharField(source="parent.name", read_only=True, default=None)
    town = drf.CharField(source="town.name", read_only=True, default=None)
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


class ReachSerializer(Wgs84FeatureSerializer):
    waterway = drf.CharField(source="waterway.code", read_only=True)
    length_m = drf.FloatField(read_only=True)

    class Meta:
        model = Reach
        geo_field = "geom"
        fields = ["id", "waterway", "seq", "start_m", "end_m", "length_m"]


class StationSerializer(Wgs84FeatureSerializer):
    town = drf.CharField(source="town.name", read_only=True)
    kind_display = drf.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Station
        geo_field = "geom"
        id_field = False
        fields = ["code", "name", "kind", "kind_display", "town", "address", "accuracy", "source"]


class DistrictSerializer(Wgs84FeatureSerializer):
    class Meta:
        model = District
        geo_field = "geom"
        id_field = False
        fields = ["adcode", "name", "accuracy", "source"]


@compressed
class WaterwayList(generics.ListAPIView):
    """All rivers and gullies as a GeoJSON FeatureCollection (EPSG:4326), rivers first."""

    serializer_class = WaterwaySerializer
    pagination_class = None  # a district has tens of waterways; the map needs them all at once

    def get_queryset(self):
        return selectors.waterways_for_map()


@compressed
class WaterwayReachList(generics.ListAPIView):
    """The reaches of one waterway, from source to mouth."""

    serializer_class = ReachSerializer
    pagination_class = None

    def get_queryset(self):
        waterway = selectors.waterway_by_code(self.kwargs["code"])
        if waterway is None:
            raise NotFound(_("没有编码为 %(code)s 的河道。") % {"code": self.kwargs["code"]})
        return selectors.reaches_of(waterway).select_related("waterway")


@compressed
class StationList(generics.ListAPIView):
    """Deputy homes and liaison stations (家站)."""

    serializer_class = StationSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.stations_for_map()


@compressed
@extend_schema(responses=DistrictSerializer)
class DistrictOutline(generics.RetrieveAPIView):
    """The district outline as one GeoJSON Feature."""

    serializer_class = DistrictSerializer

    def get_object(self):
        district = selectors.district_outline()
        if district is None:
            raise NotFound(_("区界数据尚未载入（manage.py load_district_data）。"))
        return district
