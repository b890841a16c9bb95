"""Read API of the water network, GeoJSON in lon/lat (settings.API_SRID, EPSG:4326)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound

from riverwatch.params import shown

from . import selectors
from .params import resolve
from .serializers import DistrictSerializer, ReachSerializer, StationSerializer, WaterwaySerializer


class WaterwayList(generics.ListAPIView):
    """All rivers and gullies as a GeoJSON FeatureCollection (lon/lat), rivers first."""

    serializer_class = WaterwaySerializer
    pagination_class = None  # a district has tens of waterways; the map needs them all at once

    def get_queryset(self):
        return selectors.waterways_for_map()


class WaterwayReachList(generics.ListAPIView):
    """The reaches of one waterway, from source to mouth."""

    serializer_class = ReachSerializer
    pagination_class = None

    def get_queryset(self):
        # By code (ZW-G07) or id, as wherever a waterway is named; a NUL or any other stray text is a 404.
        found = resolve([self.kwargs["code"]])
        if self.kwargs["code"] not in found:
            raise NotFound(_("没有编码为 %(code)s 的河道。") % {"code": shown(self.kwargs["code"])})
        return selectors.reaches_of(found[self.kwargs["code"]]).select_related("waterway")


class StationList(generics.ListAPIView):
    """Deputy homes and liaison stations (家站)."""

    serializer_class = StationSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.stations_for_map()


@extend_schema(responses=DistrictSerializer)
class DistrictOutline(generics.RetrieveAPIView):
    """The district outline as one GeoJSON Feature."""

    serializer_class = DistrictSerializer

    def get_object(self):
        district = selectors.district_outline()
        if district is None:
            raise NotFound(_("区界数据尚未载入（manage.py load_district_data）。"))
        return district
