"""Every write to the water network. Keyword-only, atomic, validated."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction

from .models import District, Reach, ReachLink, Station, Town, Village, Waterway
from .signals import reaches_rebuilt

# Geometry equal within this many metres counts as unchanged on re-import.
UNCHANGED_TOLERANCE_M = 0.01


@dataclass
class ImportSummary:
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    reaches: int = 0
    unjoined: list = field(default_factory=list)  # tributaries whose mouth is too far from the parent


def _geos(shapely_geom):
    return GEOSGeometry(memoryview(shapely_geom.wkb), srid=settings.GIS_SRID)


def _waterway_values(record, towns, villages):
    return {
        "name": record.name,
        "name_pinyin": record.name_pinyin,
        "kind": record.kind,
        "town": towns.get(record.town_code),
        "village": villages.get(record.village_code),
        "accuracy": record.accuracy,
        "source": record.source,
    }


def _differs(waterway, values, record):
    if any(getattr(waterway, key) != value for key, value in values.items()):
        return True
    if (waterway.parent.code if waterway.parent_id else "") != record.parent_code:
        return True
    return not waterway.geom.equals_exact(_geos(record.geom), UNCHANGED_TOLERANCE_M)


@transaction.atomic
def import_waterways(*, records, remove_missing=True, progress=None):
    """Upserts waterways by code; with remove_missing, deletes those not in `records`.
    Re-cuts the reaches of every added or changed waterway. All or nothing."""
    summary = ImportSummary()
    towns = {town.code: town for town in Town.objects.all()}
    villages = {village.code: village for village in Village.objects.all()}
    existing = {waterway.code: waterway for waterway in Waterway.objects.select_related("parent")}
    by_code = {}
    pending = []

    for record in progress(records) if progress else records:
        values = _waterway_values(record, towns, villages)
        waterway = existing.get(record.code)
        if waterway is None:
            waterway = Waterway(code=record.code, **values)
            summary.added.append(record.code)
        elif _differs(waterway, values, record):
            for key, value in values.items():
                setattr(waterway, key, value)
            summary.changed.append(record.code)
        else:
            summary.unchanged.append(record.code)
            by_code[record.code] = waterway
            continue
        waterway.geom = _geos(record.geom)
        waterway.length_m = record.geom.length  # planar metres in the storage SRID, as the reaches
        # Parents may come later in the file: a gully is saved under its parent once all exist.
        pending.append((waterway, record.parent_code))
        by_code[record.code] = waterway

    # Parents are saved before their tributaries (堵河, then 犟河, then 犟河's gullies): by chain depth.
    parent_of = {record.code: record.parent_code for record in records}

    def depth(code):
        return 0 if not parent_of.get(code) else 1 + depth(parent_of[code])

    for waterway, parent_code in sorted(pending, key=lambda item: depth(item[0].code)):
        waterway.parent = (by_code.get(parent_code) or existing.get(parent_code)) if parent_code else None
        waterway.full_clean()
        waterway.save()

    if remove_missing:
        summary.removed = sorted(set(existing) - set(by_code))
        _delete_leaves_first(summary.removed)

    changed_ids = [by_code[code].id for code in summary.added + summary.changed]
    if changed_ids or summary.removed:
        rebuild_reaches(waterway_ids=changed_ids)
    summary.reaches = Reach.objects.count()
    summary.unjoined = unjoined_tributaries()
    return summary


@transaction.atomic
def save_waterway(*, waterway, changed_fields):
    """Saves a waterway edited by hand (the admin). Its length follows the line; a new line or
    a new parent re-cuts the reaches and the junctions."""
    waterway.length_m = waterway.geom.length
    waterway.full_clean()
    is_new = waterway.pk is None
    waterway.save()
    if is_new or {"geom", "parent"} & set(changed_fields):
        rebuild_reaches(waterway_ids=[waterway.pk])
    return waterway


def _delete_leaves_first(codes):
    remaining = set(codes)
    while remaining:
        leaves = Waterway.objects.filter(code__in=remaining).exclude(tributaries__code__in=remaining)
        deleted = set(leaves.values_list("code", flat=True))
        if not deleted:  # a tributary outside the removed set still points here; PROTECT says why
            Waterway.objects.filter(code__in=remaining).delete()
            return
        ReachLink.objects.filter(reach__waterway__code__in=deleted).delete()
        ReachLink.objects.filter(neighbour__waterway__code__in=deleted).delete()
        leaves.delete()
        remaining -= deleted


# Cuts each waterway into pieces of REACH_LENGTH_M from its source; the remainder joins the
# last piece, so no reach is shorter than half the step (a 3 m reach would be noise in coverage).
CUT_REACHES_SQL = """
INSERT INTO waterways_reach (waterway_id, seq, start_m, end_m, geom)
SELECT w.id,
       s.i + 1,
       s.i * %(step)s,
       CASE WHEN s.i = n.pieces - 1 THEN w.len ELSE (s.i + 1) * %(step)s END,
       ST_LineSubstring(
           w.geom,
           LEAST(1.0, s.i * %(step)s / w.len),
           CASE WHEN s.i = n.pieces - 1 THEN 1.0 ELSE LEAST(1.0, (s.i + 1) * %(step)s / w.len) END)
FROM (SELECT id, geom, ST_Length(geom) AS len
        FROM waterways_waterway
       WHERE id = ANY(%(ids)s)) AS w
CROSS JOIN LATERAL (SELECT GREATEST(1, FLOOR(w.len / %(step)s + 0.5))::int AS pieces) AS n
CROSS JOIN LATERAL generate_series(0, n.pieces - 1) AS s(i)
"""

REACH_TOTALS_SQL = """
UPDATE waterways_waterway w
   SET reach_count = COALESCE(t.n, 0), reach_length_m = COALESCE(t.metres, 0)
  FROM (SELECT id FROM waterways_waterway WHERE id = ANY(%(ids)s)) cut
  LEFT JOIN (SELECT waterway_id, COUNT(*) AS n, SUM(end_m - start_m) AS metres
               FROM waterways_reach WHERE waterway_id = ANY(%(ids)s) GROUP BY waterway_id) t ON t.waterway_id = cut.id
 WHERE w.id = cut.id
"""

LINK_ALONG_SQL = """
INSERT INTO waterways_reachlink (reach_id, neighbour_id, kind)
SELECT pair.a, pair.b, %(kind)s
  FROM (SELECT id, lead(id) OVER (PARTITION BY waterway_id ORDER BY seq) AS next_id
          FROM waterways_reach) AS chain
 CROSS JOIN LATERAL (VALUES (chain.id, chain.next_id), (chain.next_id, chain.id)) AS pair(a, b)
 WHERE chain.next_id IS NOT NULL
"""

# A tributary's last reach (its mouth) joins the parent's reach nearest to the mouth point.
JUNCTIONS_SQL = """
SELECT t.id AS tributary_id, mouth.id AS mouth_reach_id, near.id AS parent_reach_id, near.distance
  FROM waterways_waterway t
  JOIN LATERAL (SELECT r.id FROM waterways_reach r
                 WHERE r.waterway_id = t.id ORDER BY r.seq DESC LIMIT 1) AS mouth ON TRUE
  LEFT JOIN LATERAL (SELECT r.id, ST_Distance(r.geom, ST_EndPoint(t.geom)) AS distance
                       FROM waterways_reach r
                      WHERE r.waterway_id = t.parent_id
                      ORDER BY r.geom <-> ST_EndPoint(t.geom) LIMIT 1) AS near ON TRUE
 WHERE t.parent_id IS NOT NULL
"""

LINK_JUNCTIONS_SQL = (
    "WITH junctions AS (" + JUNCTIONS_SQL + """)
INSERT INTO waterways_reachlink (reach_id, neighbour_id, kind)
SELECT pair.a, pair.b, %(kind)s
  FROM junctions j
 CROSS JOIN LATERAL (VALUES (j.mouth_reach_id, j.parent_reach_id), (j.parent_reach_id, j.mouth_reach_id)) AS pair(a, b)
 WHERE j.distance <= %(tolerance)s
ON CONFLICT DO NOTHING
"""
)

# Two rebuilds at once would both delete and re-insert every link; the second waits instead.
REACH_REBUILD_LOCK = 4_546_100


@transaction.atomic
def rebuild_reaches(*, waterway_ids=None):
    """Re-cuts reaches (all waterways, or the given ones) and rebuilds every adjacency.
    Returns the number of reaches cut."""
    if waterway_ids is None:
        waterway_ids = list(Waterway.objects.values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REACH_REBUILD_LOCK])
        # Plain SQL deletes: the ORM would load every reach to cascade by hand.
        cursor.execute("DELETE FROM waterways_reachlink")
        cursor.execute("DELETE FROM waterways_reach WHERE waterway_id = ANY(%s)", [list(waterway_ids)])
        cursor.execute(CUT_REACHES_SQL, {"step": float(settings.REACH_LENGTH_M), "ids": list(waterway_ids)})
        cut = cursor.rowcount
        cursor.execute(REACH_TOTALS_SQL, {"ids": list(waterway_ids)})
        cursor.execute(LINK_ALONG_SQL, {"kind": ReachLink.Kind.ALONG.value})
        cursor.execute(LINK_JUNCTIONS_SQL, {"tolerance": settings.JUNCTION_TOLERANCE_M,
                                            "kind": ReachLink.Kind.JUNCTION.value})
    reaches_rebuilt.send(sender=Reach, waterway_ids=list(waterway_ids))
    return cut


def unjoined_tributaries():
    """Codes of tributaries whose mouth is further than JUNCTION_TOLERANCE_M from the parent."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.code, j.distance FROM (" + JUNCTIONS_SQL + ") AS j"
            " JOIN waterways_waterway w ON w.id = j.tributary_id"
            " WHERE j.distance IS NULL OR j.distance > %s ORDER BY w.code",
            [settings.JUNCTION_TOLERANCE_M],
        )
        return cursor.fetchall()


@transaction.atomic
def load_towns_and_villages(*, csv_path):
    """Upserts towns and villages from the official code list. Returns (towns, villages) in the file."""
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    towns = {}
    for row in rows:
        if row["town_code"] not in towns:
            towns[row["town_code"]], _ = Town.objects.update_or_create(code=row["town_code"], defaults={"name": row["town"]})
        Village.objects.update_or_create(code=row["code"], defaults={"name": row["name"], "town": towns[row["town_code"]]})
    return len(towns), len(rows)


@transaction.atomic
def load_district(*, frame, adcode, name, accuracy, source):
    """Upserts the district outline from a GeoDataFrame already in the storage SRID."""
    import shapely

    outline = shapely.make_valid(shapely.union_all(frame.geometry.values))
    geom = _geos(outline)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=settings.GIS_SRID)
    district, created = District.objects.update_or_create(
        adcode=adcode, defaults={"name": name, "accuracy": accuracy, "source": source, "geom": geom}
    )
    return district, created


@transaction.atomic
def load_stations(*, frame):
    """Upserts deputy homes and liaison stations from a GeoDataFrame in the storage SRID.
    Returns how many the file holds."""
    towns = {town.code: town for town in Town.objects.all()}
    villages = {village.code: village for village in Village.objects.all()}
    rows = frame.to_dict("records")
    for row in rows:
        station = Station(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            town=towns[str(row["town"])],
            village=villages.get(str(row.get("village") or "")),
            accuracy=row.get("accuracy") or "approximate",
            source=row.get("source") or "",
            geom=_geos(row[frame.geometry.name]),
        )
        station.full_clean(exclude=["code"])
        Station.objects.update_or_create(
            code=station.code,
            defaults={key: getattr(station, key) for key in ("name", "kind", "town", "village", "accuracy", "source", "geom")},
        )
    return len(rows)
