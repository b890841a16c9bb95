"""The targets of issue 16 for each read province_scale.py measures, and the verdict beside a figure.

A target is a ceiling in milliseconds, a ceiling as a multiple of the read's psql floor, or both.
Rows are matched by the start of their label, first match wins."""

from __future__ import annotations

# (label prefix, ceiling ms or None, ceiling × floor or None, what the issue asks)
TARGETS = (
    ("coverage_summary 全省", 200.0, None, "p95 ≤ 200 ms with any filters"),
    ("coverage_summary 县级子集", 20.0, None, "≤ 20 ms"),
    # Gaps and freshness of a province are drawn from tiles (the GeoJSON rows have no target: the map
    # asks for them only below MAP_VECTOR_TILE_THRESHOLD reaches).
    ("hotspots", None, 1.5, "≤ 1.5× the floor"),
    ("tile freshness", 300.0, None, "p95 ≤ 300 ms"),
    ("tile gaps", 300.0, None, "p95 ≤ 300 ms"),
    ("tile activities", 50.0, 1.3, "p95 ≤ 50 ms and ≤ 1.3× raw ST_AsMVT"),
    ("tile tracks", 50.0, 1.3, "p95 ≤ 50 ms and ≤ 1.3× raw ST_AsMVT"),
)


def target_of(label: str):
    for prefix, ceiling_ms, ratio, wording in TARGETS:
        if label.startswith(prefix):
            return ceiling_ms, ratio, wording
    return None


def verdict(label: str, app_ms: float, floor_ms: float) -> tuple[str, bool | None]:
    """(the target in words, whether the figure meets it; None: no target, or a p50 row)."""
    target = target_of(label)
    if target is None or label.endswith(" p50"):
        return "", None
    ceiling_ms, ratio, wording = target
    met = True
    if ceiling_ms is not None and app_ms > ceiling_ms:
        met = False
    if ratio is not None and floor_ms and app_ms > ratio * floor_ms:
        met = False
    return wording, met


# The write path (write_path.py): patrols with 500-fix tracks a second over HTTP through gunicorn on
# 2 cores, and the seconds after a 201 within which coverage counts the patrol.
WRITE_PATH_PATROLS_PER_S = 50
WRITE_PATH_VISIBLE_S = 5.0


def met(ok: bool) -> str:
    return "达标" if ok else "未达标"
