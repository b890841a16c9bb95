"""Vector tiles for the heavy layers: /api/tiles/<tracks|activities|freshness|gaps>/<z>/<x>/<y>.mvt."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from patrols.scopes import reader_of

from ..params import FreshnessParams, GapParams, GapTileParams, ReportParams, read
from ..permissions import ChiefOrStaff
from ..selectors import tiles

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
# Each layer's parameters as its GeoJSON twin reads them: freshness and gaps look back from the end
# and take no start (a start given is ignored there, so here too), gaps take the days.
PARAMS_BY_LAYER = {"freshness": FreshnessParams, "gaps": GapParams}


class TileView(APIView):
    """One Mapbox Vector Tile (EPSG:3857 tile grid) of the layer, under the same filters as the
    GeoJSON layers. Tracks carry each track's id (the feature's id) and kind, and are empty below
    zoom 9 (a track's details: /api/activities/{id}/); activities are merged per kind into cells;
    freshness and gaps (`days`, as /api/coverage/gaps/ reads it) are the GeoJSON layers' runs of
    reaches, empty below zoom 8."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(parameters=[GapTileParams], responses={(200, MVT_CONTENT_TYPE): OpenApiTypes.BINARY})
    def get(self, request, layer, z, x, y):
        if layer not in tiles.LAYERS:
            raise NotFound(_("没有名为 %(layer)s 的图层，可选：%(layers)s。") % {"layer": layer, "layers": _("、").join(tiles.LAYERS)})
        if not tiles.tile_in_range(z, x, y):
            raise NotFound(_("瓦片编号超出范围：%(z)s/%(x)s/%(y)s。") % {"z": z, "x": x, "y": y})
        params = read(PARAMS_BY_LAYER.get(layer, ReportParams), request)
        data = tiles.tile(layer, z, x, y, params.filters(), reader=reader_of(request.user),
                          days=params.validated_data.get("days"))
        response = HttpResponse(data, content_type=MVT_CONTENT_TYPE)
        # Personal (what this user may read; the reaches' layers alike, though they count for everyone)
        # and changes as records arrive: a minute in the browser only, then asked again with its ETag
        # (riverwatch.middleware.TransportMiddleware): an unchanged tile is a 304 with no body.
        response["Cache-Control"] = "private, max-age=60"
        return response
