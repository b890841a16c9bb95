"""The OpenAPI 3.0 document of /ogc/ (the landing page's service-desc): written out by hand, as the
standard's own examples are, from the same parameters (params) and collections (collections) the views
read. tests/reports/test_ogc.py validates it against the OpenAPI 3.0 schema and
tests/reports/test_ogc_clients.py fuzzes the endpoints against it (schemathesis)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .collections import COLLECTIONS
from .params import DEFAULT_LIMIT, FORMATS, MAX_LIMIT, MAX_OFFSET

GEOMETRY_TYPES = ("Point", "LineString", "MultiLineString")


def feature_schema(collection, href: str) -> dict:
    """The JSON schema of a collection's features (its `describedby` link): GDAL and QGIS type their
    fields from it (dates as dates) and know them before any feature arrives. A nullable property keeps
    one type, as GDAL reads only one, and says so with `nullable`."""
    properties = {}
    for field in collection.fields:
        schema = {"type": field.type, "title": str(field.title)}
        if field.format:
            schema["format"] = field.format
        if field.nullable:
            schema["nullable"] = True
        if field.name == collection.temporal_property:
            schema["x-ogc-role"] = "primary-instant"  # what `datetime` selects on (OGC API – Features Part 5)
        properties[field.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": href,
        "title": str(collection.title),
        "description": _("%(title)s图层的要素（GeoJSON），坐标为 WGS 84 经纬度。标有 nullable 的属性可为 null。")
        % {"title": collection.title},
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"type": "object", "properties": {
                "type": {"type": "string", "enum": [collection.geometry_type]},
                "coordinates": {"type": "array"}}},
            "properties": {"type": "object", "required": [field.name for field in collection.fields],
                           "properties": properties},
        },
    }


def _ref(kind, name):
    return {"$ref": f"#/components/{kind}/{name}"}


def _refusals(*statuses) -> dict:
    names = {400: "BadRequest", 401: "NotSignedIn", 403: "Forbidden", 404: "NotFound"}
    return {str(status): _ref("responses", names[status]) for status in statuses}


def _operation(summary, description, schema, media_type, *, parameters=(), public=False, refusals=(400, 401, 403)):
    operation = {
        "summary": summary,
        "description": description,
        "parameters": [_ref("parameters", name) for name in parameters] + [_ref("parameters", "f")],
        "responses": {
            "200": {"description": _("成功"), "content": {media_type: {"schema": schema}}},
            **_refusals(*refusals),
        },
    }
    if public:
        operation["security"] = []
    return operation


def _refusal(description):
    return {"description": description, "content": {"application/json": {"schema": _ref("schemas", "Exception")}}}


def _links_property():
    return {"type": "array", "items": _ref("schemas", "Link")}


def document(base: str) -> dict:
    """The document, for the landing page at `base` (an absolute address without the closing slash)."""
    json_type, geojson_type = "application/json", "application/geo+json"
    collection_ids = list(COLLECTIONS)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("张湾区河湖巡护 RiverWatch：OGC API – Features"),
            "version": "1.0.0",
            "description": _("OGC API – Features 第 1 部分（核心、GeoJSON）。坐标为 WGS 84 经纬度（CRS84，先经度后纬度）。"
                             "除入口页外需要登录或 API 令牌（Authorization: Token …），且只对河长和河长办工作人员开放。"),
        },
        "servers": [{"url": base}],
        "security": [{"tokenAuth": []}, {"sessionAuth": []}],
        "paths": {
            "/": {"get": _operation(_("入口页"), _("链接到接口说明、标准类别和图层一览；无需登录。"),
                                    _ref("schemas", "LandingPage"), json_type, public=True, refusals=(400, 401))},
            "/conformance": {"get": _operation(_("符合的标准类别"), _("本服务实现的 OGC API – Features 类别。"),
                                               _ref("schemas", "Conformance"), json_type)},
            "/api": {"get": _operation(_("接口说明"), _("本文档（OpenAPI 3.0）。"), {"type": "object"},
                                       "application/vnd.oai.openapi+json;version=3.0")},
            "/collections": {"get": _operation(_("图层一览"), _("各图层的说明、范围和链接。"),
                                               _ref("schemas", "Collections"), json_type)},
            "/collections/{collectionId}": {"get": _operation(
                _("一个图层"), _("图层的说明、空间范围（CRS84）、时间范围和链接。"), _ref("schemas", "Collection"), json_type,
                parameters=["collectionId"], refusals=(400, 401, 403, 404))},
            "/collections/{collectionId}/schema": {"get": _operation(
                _("要素的 JSON Schema"), _("图层要素的属性及其类型（GDAL、QGIS 据此确定字段类型）。"), {"type": "object"},
                "application/schema+json", parameters=["collectionId"], refusals=(400, 401, 403, 404))},
            "/collections/{collectionId}/items": {"get": _operation(
                _("图层的要素"),
                _("按编号排序的一页要素（GeoJSON）。numberMatched 为符合条件的总数；next 链接指向下一页。"),
                _ref("schemas", "FeatureCollection"), geojson_type,
                parameters=["collectionId", "limit", "offset", "bbox", "datetime"], refusals=(400, 401, 403, 404))},
            "/collections/{collectionId}/items/{featureId}": {"get": _operation(
                _("一个要素"), _("按编号读取一个要素；不存在或无权查看时为 404。reaches 图层的 datetime 设定期间。"),
                _ref("schemas", "Feature"), geojson_type,
                parameters=["collectionId", "featureId", "datetime"], refusals=(400, 401, 403, 404))},
        },
        "components": {
            "securitySchemes": {
                "tokenAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                              "description": _("Token 加空格加令牌，在 /accounts/tokens/ 生成")},
                "sessionAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            },
            "parameters": {
                "collectionId": {"name": "collectionId", "in": "path", "required": True,
                                 "schema": {"type": "string", "enum": collection_ids}},
                "featureId": {"name": "featureId", "in": "path", "required": True,
                              "description": _("要素编号（整数）"), "schema": {"type": "string"}},
                "limit": {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
                          "description": _("每页要素数，1–%(max)s，默认 %(default)s")
                          % {"max": MAX_LIMIT, "default": DEFAULT_LIMIT},
                          "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                "offset": {"name": "offset", "in": "query", "required": False, "style": "form", "explode": False,
                           "description": _("跳过前面多少个要素（按编号排序），默认 0"),
                           "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
                "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
                         "description": _("最小经度,最小纬度,最大经度,最大纬度（CRS84）；与范围相交的要素"),
                         "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                "datetime": {"name": "datetime", "in": "query", "required": False, "style": "form", "explode": False,
                             "description": _("RFC 3339 时刻（2026-05-01T08:00:00+08:00；只写日期为北京时间整日）或区间"
                                              "（a/b、../b、a/..）。activities 和 tracks 按开始时间、problems 按发现时间筛选；"
                                              "reaches 设定统计期间；waterways 和 stations 没有时间，忽略。"),
                             "schema": {"type": "string"}},
                "f": {"name": "f", "in": "query", "required": False, "style": "form", "explode": False,
                      "description": _("格式：只提供 JSON"), "schema": {"type": "string", "enum": list(FORMATS)}},
            },
            "responses": {
                "BadRequest": _refusal(_("参数有误（说明在 detail 中）")),
                "NotSignedIn": _refusal(_("未登录或令牌无效")),
                "Forbidden": _refusal(_("不是河长或河长办工作人员")),
                "NotFound": _refusal(_("没有这个图层或要素")),
            },
            "schemas": {
                "Exception": {"type": "object", "required": ["detail"], "properties": {
                    "detail": {"type": "string"}, "description": {"type": "string"}, "code": {"type": "string"},
                    "errors": {"type": "object"}}},
                "Link": {"type": "object", "required": ["href", "rel"], "properties": {
                    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
                    "title": {"type": "string"}}},
                "LandingPage": {"type": "object", "required": ["links"], "properties": {
                    "title": {"type": "string"}, "description": {"type": "string"}, "links": _links_property()}},
                "Conformance": {"type": "object", "required": ["conformsTo"], "properties": {
                    "conformsTo": {"type": "array", "items": {"type": "string"}}}},
                "Extent": {"type": "object", "properties": {
                    "spatial": {"type": "object", "properties": {
                        "bbox": {"type": "array", "items": {"type": "array", "minItems": 4, "maxItems": 4,
                                                            "items": {"type": "number"}}},
                        "crs": {"type": "string"}}},
                    "temporal": {"type": "object", "properties": {
                        "interval": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {
                            "type": "string", "format": "date-time", "nullable": True}}},
                        "trs": {"type": "string"}}}}},
                "Collection": {"type": "object", "required": ["id", "links"], "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
                    "itemType": {"type": "string"}, "crs": {"type": "array", "items": {"type": "string"}},
                    "extent": _ref("schemas", "Extent"), "links": _links_property()}},
                "Collections": {"type": "object", "required": ["links", "collections"], "properties": {
                    "links": _links_property(),
                    "collections": {"type": "array", "items": _ref("schemas", "Collection")}}},
                "Geometry": {"type": "object", "required": ["type", "coordinates"], "properties": {
                    "type": {"type": "string", "enum": list(GEOMETRY_TYPES)},
                    "coordinates": {"type": "array"}}},
                "Feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
                    "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "integer"},
                    "geometry": _ref("schemas", "Geometry"), "properties": {"type": "object"},
                    "links": _links_property()}},
                "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": _ref("schemas", "Feature")},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0},
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "links": _links_property()}},
            },
        },
    }
