"""OGC API – Features (Part 1: Core, GeoJSON) under /ogc/ (docs/ogc.md): thin DRF views that read the
parameters (params), page a collection (collections) and answer JSON with the standard's links.

Who: the landing page for anyone; everything else for a session or an API token (the project's
authentication classes) of a river chief or the office (reports.permissions.ChiefOrStaff), as the
river-chief map. A refusal is JSON: the API's `detail` and `code`, and the standard's `description`."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from riverwatch.params import BIGINT_MAX, WHOLE_NUMBER

from ..permissions import ChiefOrStaff
from . import openapi
from .collections import COLLECTIONS, CRS84, Query
from .params import FeatureParams, FormatParams, ItemsParams

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
JSON_SCHEMA = "application/schema+json"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


class FirstRenderer(BaseContentNegotiation):
    """JSON whatever the Accept header says: GDAL asks for GeoJSON and JSON, browsers for HTML, and a
    406 would help none of them (the standard lets a server answer its one representation)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def answer(document, content_type=JSON, status=200) -> HttpResponse:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    return HttpResponse(body, content_type=content_type, status=status)


def link(href, rel, media_type, title=None) -> dict:
    result = {"href": href, "rel": rel, "type": media_type}
    if title:
        result["title"] = str(title)
    return result


class OGCView(APIView):
    permission_classes = [ChiefOrStaff]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRenderer
    schema = None  # described by its own document (/ogc/api), not by the API's /api/schema/
    params_class = FormatParams

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated(_("请先登录，或在请求头中带上 API 令牌（Authorization: Token …；令牌用用户名和密码向 "
                                     "/api/auth/token/ 发送 POST 请求获取，见“访问令牌”页面 /accounts/tokens/）。"))
        raise PermissionDenied(message or _("只有河长和河长办工作人员可以读取这些图层。"))

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and "detail" in response.data:
            response.data["description"] = str(response.data["detail"])
        return response

    def params(self, request):
        reader = self.params_class(request.query_params)
        reader.is_valid(raise_exception=True)
        return reader.validated_data

    def base(self, request) -> str:
        """The landing page's absolute address, without the closing slash."""
        return request.build_absolute_uri(reverse("ogc-landing")).rstrip("/")

    def here(self, request, **changes) -> str:
        """This request's address with some parameters changed."""
        query = request.query_params.copy()
        for key, value in changes.items():
            query[key] = str(value)
        return request.build_absolute_uri(request.path) + ("?" + query.urlencode() if query else "")


class LandingView(OGCView):
    permission_classes = [AllowAny]

    def get(self, request):
        self.params(request)
        base = self.base(request)
        return answer({
            "title": _("张湾区河湖巡护 RiverWatch：OGC API – Features"),
            "description": _("河网、100 米河段与巡查、巡护活动、轨迹、问题清单和代表家站，供 QGIS、GDAL 等直接读取。"
                             "除本页外需要登录或 API 令牌（Authorization: Token …），且只对河长和河长办工作人员开放。"),
            "links": [
                link(base + "/", "self", JSON, _("本页")),
                link(base + "/api", "service-desc", OPENAPI_JSON, _("接口说明（OpenAPI 3.0）")),
                link(base + "/conformance", "conformance", JSON, _("符合的标准类别")),
                link(base + "/collections", "data", JSON, _("图层一览")),
            ],
        })


class ConformanceView(OGCView):
    def get(self, request):
        self.params(request)
        return answer({"conformsTo": CONFORMANCE})


class OpenAPIView(OGCView):
    def get(self, request):
        self.params(request)
        return answer(openapi.document(self.base(request)), OPENAPI_JSON)


def collection_or_404(collection_id):
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(_("没有这个图层：%(id)s。图层一览见 /ogc/collections。") % {"id": collection_id[:40]})
    return collection


def describe(collection, request, base) -> dict:
    items = f"{base}/collections/{collection.id}/items"
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": collection.extent(request.user),
        "links": [
            link(f"{base}/collections/{collection.id}", "self", JSON, collection.title),
            link(items, "items", GEOJSON, _("要素（GeoJSON）")),
            # Relation types compare case-insensitively (RFC 8288); GDAL 3.6 looks for this spelling only.
            link(f"{base}/collections/{collection.id}/schema", "describedBy", JSON_SCHEMA, _("要素的 JSON Schema")),
        ],
    }


class CollectionsView(OGCView):
    def get(self, request):
        self.params(request)
        base = self.base(request)
        return answer({
            "links": [link(f"{base}/collections", "self", JSON, _("图层一览"))],
            "collections": [describe(collection, request, base) for collection in COLLECTIONS.values()],
        })


class CollectionView(OGCView):
    def get(self, request, collection_id):
        collection = collection_or_404(collection_id)
        self.params(request)
        return answer(describe(collection, request, self.base(request)))


class SchemaView(OGCView):
    def get(self, request, collection_id):
        collection = collection_or_404(collection_id)
        self.params(request)
        href = f"{self.base(request)}/collections/{collection.id}/schema"
        return answer(openapi.feature_schema(collection, href), JSON_SCHEMA)


class ItemsView(OGCView):
    params_class = ItemsParams

    def get(self, request, collection_id):
        collection = collection_or_404(collection_id)
        params = self.params(request)
        limit, offset = params["limit"], params["offset"]
        query = Query(bbox=params.get("bbox"), interval=params.get("datetime"), today=timezone.localdate())
        matched, features = collection.page(request.user, query, limit=limit, offset=offset)
        links = [link(self.here(request), "self", GEOJSON, _("本页")),
                 link(f"{self.base(request)}/collections/{collection.id}", "collection", JSON, collection.title)]
        if offset + len(features) < matched:
            links.append(link(self.here(request, offset=offset + limit, limit=limit), "next", GEOJSON, _("下一页")))
        if offset > 0:
            links.append(link(self.here(request, offset=max(0, offset - limit), limit=limit), "prev", GEOJSON,
                              _("上一页")))
        return answer({
            "type": "FeatureCollection",
            **collection.members(query),
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
            "timeStamp": timezone.now().isoformat().replace("+00:00", "Z"),
            "links": links,
        }, GEOJSON)


class ItemView(OGCView):
    params_class = FeatureParams

    def get(self, request, collection_id, feature_id):
        collection = collection_or_404(collection_id)
        params = self.params(request)
        interval = params.get("datetime") if collection.datetime_sets_period else None
        query = Query(interval=interval, today=timezone.localdate())
        # An id is a whole number the database can hold; anything else names no feature.
        pk = int(feature_id) if WHOLE_NUMBER.fullmatch(feature_id) and int(feature_id) <= BIGINT_MAX else None
        feature = collection.one(request.user, query, pk) if pk is not None else None
        if feature is None:
            raise NotFound(_("图层 %(collection)s 中没有编号为 %(id)s 的要素，或你无权查看。")
                           % {"collection": collection.id, "id": feature_id[:40]})
        base = self.base(request)
        feature["links"] = [
            link(self.here(request), "self", GEOJSON, _("本要素")),
            link(f"{base}/collections/{collection.id}", "collection", JSON, collection.title),
        ]
        return answer(feature, GEOJSON)


def not_found(request, rest=""):
    """Any other address under /ogc/: a 404 in JSON, as the API's."""
    message = _("没有这个地址。OGC API – Features 的入口是 /ogc/。")
    return answer({"detail": message, "code": "not_found", "description": message}, status=404)
