"""Prints the water network's figures and how long import and reach cutting take.

    DATABASE_URL=... .venv/bin/python benchmarks/network_figures.py

Runs against the database in DATABASE_URL (the dev cluster by default). Everything it writes
happens inside a transaction that is rolled back, so the data you have stays as it was.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riverwatch.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from pyproj import Geod  # noqa: E402

from waterways import services  # noqa: E402
from waterways.gis_files import read_waterways  # noqa: E402
from waterways.models import Reach, ReachLink, Town, Village, Waterway  # noqa: E402

GEOD = Geod(ellps="GRS80")
WATERWAYS_FILE = settings.GIS_DATA_DIR / "waterways.geojson"


class Rollback(Exception):
    pass


def timed(function, repeat=5):
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def scalar(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def main():
    towns = set(Town.objects.values_list("code", flat=True))
    villages = set(Village.objects.values_list("code", flat=True))
    read_s = timed(lambda: read_waterways(WATERWAYS_FILE, known_towns=towns, known_villages=villages))
    records = read_waterways(WATERWAYS_FILE, known_towns=towns, known_villages=villages).records

    try:
        with transaction.atomic():
            for model in (ReachLink, Reach):
                model.objects.all().delete()
            for kind in ("gully", "river"):
                Waterway.objects.filter(kind=kind, parent__isnull=False).delete()
            Waterway.objects.all().delete()
            start = time.perf_counter()
            summary = services.import_waterways(records=records)
            import_s = time.perf_counter() - start
            rebuild_s = timed(services.rebuild_reaches)

            worst_mouth = scalar(
                "SELECT max(ST_Distance(ST_EndPoint(t.geom), p.geom)) FROM waterways_waterway t"
                " JOIN waterways_waterway p ON p.id = t.parent_id"
            )
            worst_geodesic = 0.0
            worst_reach_sum = 0.0
            for waterway in Waterway.objects.all():
                lons, lats = zip(*waterway.geom.transform(settings.API_SRID, clone=True).coords)
                geodesic = GEOD.line_length(lons, lats)
                worst_geodesic = max(worst_geodesic, abs(waterway.length_m - geodesic) / geodesic)
                cut = sum(r.length_m for r in waterway.reaches.all())
                worst_reach_sum = max(worst_reach_sum, abs(cut - waterway.length_m) / waterway.length_m)
            figures = {
                "rivers": Waterway.objects.filter(kind="river").count(),
                "gullies": Waterway.objects.filter(kind="gully").count(),
                "network length km": round(sum(w.length_m for w in Waterway.objects.all()) / 1000, 2),
                "reaches": summary.reaches,
                "junction links (pairs)": ReachLink.objects.filter(kind="junction").count() // 2,
                "worst mouth-to-parent distance m": round(worst_mouth, 4),
                "worst stored vs geodesic length": f"{worst_geodesic:.5%}",
                "worst reach sum vs length": f"{worst_reach_sum:.6%}",
                "outside the outline": scalar(
                    "SELECT count(*) FROM waterways_waterway w, waterways_district d WHERE NOT ST_Covers(d.geom, w.geom)"
                ),
            }
            raise Rollback
    except Rollback:
        pass

    print(f"reach length            {settings.REACH_LENGTH_M:g} m, storage SRID EPSG:{settings.GIS_SRID}")
    for label, value in figures.items():
        print(f"{label:<34} {value}")
    print(f"{'read + check waterways.geojson':<34} {read_s * 1000:.0f} ms (median of 5)")
    print(f"{'import 42 waterways + cut reaches':<34} {import_s * 1000:.0f} ms")
    print(f"{'rebuild_reaches (all)':<34} {rebuild_s * 1000:.0f} ms (median of 5)")


if __name__ == "__main__":
    main()
