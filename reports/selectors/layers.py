"""The river-chief map's activity layers: activities by kind, patrol tracks and problems, each
the activities the viewer may read (patrols.scopes) that the shared filters count (reports.filters)."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import AsGeoJSON, GeomOutputGeoFunc, PointOnSurface, Transform
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from patrols import scopes
from patrols import selectors as patrol_selectors
from patrols.models import Activity
from problems import selectors as problem_selectors
from problems.models import Category as ProblemCategory
from problems.models import Problem
from waterways.models import Waterway

from ..filters import ReportFilters, counted_activities, scope_q

COORDINATE_PRECISION = 6
# Tracks are drawn at district zoom: a 2 m simplification is invisible there and halves the bytes.
TRACK_SIMPLIFY_M = 2.0


class Simplify(GeomOutputGeoFunc):
    """ST_Simplify (Douglas-Peucker) in the storage SRID's metres."""

    function = "ST_Simplify"


def filtered_activities(user, filters: ReportFilters):
    """Activities the user may read that the report counts, on the chosen waterways."""
    queryset = counted_activities(filters, scopes.readable_by(user))
    if filters.waterway_ids is not None:
        queryset = queryset.filter(waterway_id__in=filters.waterway_ids)
    return queryset


def _day(moment):
    return timezone.localtime(moment).date().isoformat()


def _point(geometry):
    return {"type": "Point", "coordinates": [round(geometry.x, COORDINATE_PRECISION), round(geometry.y, COORDINATE_PRECISION)]}


def activity_points(user, filters: ReportFilters) -> dict:
    """One point per activity (its point, or a point on its track), for the clustered layer."""
    location = Coalesce("point", PointOnSurface("track"), output_field=PointField(srid=settings.GIS_SRID))
    rows = (
        filtered_activities(user, filters)
        .filter(Q(point__isnull=False) | Q(track__isnull=False))
        .annotate(location=Transform(location, settings.API_SRID), people=Count("service_records"))
        .select_related("waterway")
        .only("id", "kind", "status", "started_at", "debris_kg", "waterway__name")
        .order_by("started_at", "id")
    )
    kinds = dict(Activity.Kind.choices)
    features = [
        {
            "type": "Feature",
            "geometry": _point(row.location),
            "properties": {
                "id": row.id,
                "kind": row.kind,
                "kind_display": kinds.get(row.kind, row.kind),
                "status": row.status,
                "day": _day(row.started_at),
                "waterway": row.waterway.name if row.waterway else None,
                "people": row.people,
                "debris_kg": float(row.debris_kg) if row.debris_kg is not None else None,
                "url": reverse("activity-detail", args=[row.id]),
            },
        }
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def track_lines(user, filters: ReportFilters) -> dict:
    """Patrol tracks of the period as lines (split at GPS gaps as stored), simplified in SQL."""
    rows = (
        filtered_activities(user, filters)
        .filter(track__isnull=False)
        .annotate(line=AsGeoJSON(Transform(Simplify("track", TRACK_SIMPLIFY_M), settings.API_SRID),
                                 precision=COORDINATE_PRECISION))
        .select_related("waterway")
        .only("id", "kind", "started_at", "distance_m", "waterway__name")
        .order_by("started_at", "id")
    )
    kinds = dict(Activity.Kind.choices)
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(row.line),
            "properties": {
                "id": row.id,
                "kind": row.kind,
                "kind_display": kinds.get(row.kind, row.kind),
                "day": _day(row.started_at),
                "km": round(row.distance_m / 1000, 2),
                "waterway": row.waterway.name if row.waterway else None,
                "url": reverse("activity-detail", args=[row.id]),
            },
        }
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def problem_state_labels():
    return problem_selectors.map_states()


def problem_points(user, filters: ReportFilters) -> dict:
    """Problems on the list, by state (open, overdue, fixed, closed not fixed), observed in the
    period, on the chosen waterways by the problem's own snapped waterway: those reported on an
    activity the user may read that passes kind, role and team, and those reported on their own
    (the office, a deputy, the public once accepted) unless kind, role or team narrow the activities.
    A problem without its own point is drawn where its activity is (its point, else a point on its
    track), as the hotspot places it."""
    activities = scopes.readable_by(user).filter(scope_q(filters))
    reported_on = Q(activity__in=activities.values("pk"))
    if not filters.narrows_activities:
        reported_on |= Q(activity__isnull=True)
    rows = (
        problem_selectors.located(Problem.objects.filter(reported_on & problem_selectors.on_map_q()),
                                  filters.start_at, filters.end_at, waterway_ids=filters.waterway_ids)
        .select_related("waterway")
        .only("id", "category", "note", "observed_at", "point", "state", "ending", "deadline", "activity_id",
              "waterway__name")
        .order_by("observed_at", "id")
    )
    categories = dict(ProblemCategory.choices)
    labels = problem_state_labels()
    today = timezone.localdate()
    features = []
    for row in rows:
        state = problem_selectors.map_state(row, today)
        features.append({
            "type": "Feature",
            "geometry": _point(row.location),
            "properties": {
                "id": row.id,
                "category": row.category,
                "category_display": categories.get(row.category, row.category),
                "state": state,
                "state_display": labels[state],
                "day": _day(row.observed_at),
                "note": row.note[:200],
                "waterway": row.waterway.name if row.waterway else None,
                "at_activity": row.point is None,  # no point of its own: drawn where its activity is
                "url": reverse("problem-detail", args=[row.id]),
            },
        })
    return {"type": "FeatureCollection", "features": features, "states": [{"state": k, "label": v} for k, v in labels.items()]}


def reaches_in_scope(filters: ReportFilters) -> int:
    """How many reaches the freshness and gap layers look at: the chosen waterways' (all: None),
    from the counts kept when their reaches were cut, so no reach is read."""
    waterways = Waterway.objects.all()
    if filters.waterway_ids is not None:
        waterways = waterways.filter(id__in=filters.waterway_ids)
    return waterways.aggregate(reaches=Coalesce(Sum("reach_count"), 0))["reaches"]


def layer_summary(user, filters: ReportFilters) -> dict:
    """How many features each heavy layer would carry, so the map picks GeoJSON (small) or vector
    tiles (large); and the period's service records toward the district's target. Freshness and
    gaps are weighed by the reaches in scope: their GeoJSON's cost follows the reaches, not the runs."""
    activities = filtered_activities(user, filters)
    counts = activities.aggregate(
        activities=Count("id", filter=Q(point__isnull=False) | Q(track__isnull=False)),
        tracks=Count("id", filter=Q(track__isnull=False)),
    )
    counts["reaches"] = reaches_in_scope(filters)
    threshold = settings.MAP_VECTOR_TILE_THRESHOLD
    records = patrol_selectors.service_record_totals(start=filters.start, end=filters.end)
    campaign = patrol_selectors.current_campaign()
    return {
        "period": {"start": filters.start.isoformat(), "end": filters.end.isoformat()},
        "counts": counts,
        "vector_tiles": {
            "threshold": threshold,
            "activities": counts["activities"] > threshold,
            "tracks": counts["tracks"] > threshold,
            "freshness": counts["reaches"] > threshold,
            "gaps": counts["reaches"] > threshold,
        },
        "service_records": {
            **records,
            "target": campaign.target if campaign else None,
            "definition": (campaign and campaign.definition) or patrol_selectors.service_record_definition(),
        },
    }
