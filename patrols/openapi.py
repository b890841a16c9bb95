"""How an activity's geometry reads in the OpenAPI schema. drf-spectacular describes a GeoJSON
Feature's geometry from the model field named by `geo_field` (the track, a MultiLineString), but the
API sends the track, or else the point where the work was done, or null when the activity has
neither (a record from a phone without a location fix): patrols.selectors, `geometry_api`."""

from drf_spectacular.contrib.rest_framework_gis import (
    GeoFeatureModelSerializerExtension,
    build_geo_container_schema,
    build_linestring_schema,
    build_point_schema,
)
from drf_spectacular.plumbing import build_array_type


class ActivityFeatureSchema(GeoFeatureModelSerializerExtension):
    target_class = "patrols.serializers.ActivityFeatureSerializer"
    match_subclasses = True
    priority = 1  # above the generic GeoFeatureModelSerializer extension

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        # `type` beside `nullable`: OpenAPI 3.0.3 lets null through only where a type is given.
        schema["properties"]["geometry"] = {
            "type": "object",
            "oneOf": [
                build_geo_container_schema("MultiLineString", build_array_type(build_linestring_schema())),
                build_geo_container_schema("Point", build_point_schema()),
            ],
            "nullable": True,
            "description": "The track (WGS 84 lon/lat), or else the point of the work, or null without either.",
        }
        return schema
