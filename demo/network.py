"""The loaded district network as plain values, so the planner and the track synthesis need no database."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from waterways.models import District, Station, Town, Village, Waterway


@dataclass
class Way:
    code: str
    name: str
    kind: str
    parent: str | None
    town: str | None
    village: str | None
    coords: list
    cum: list = field(default_factory=list)

    def __post_init__(self):
        self.cum = [0.0]
        for (x0, y0), (x1, y1) in zip(self.coords, self.coords[1:]):
            self.cum.append(self.cum[-1] + math.hypot(x1 - x0, y1 - y0))

    @property
    def length(self):
        return self.cum[-1]

    def at(self, s):
        """(x, y, ux, uy): the point `s` metres from the source and the downstream direction there."""
        s = min(max(s, 0.0), self.length)
        i = min(max(bisect.bisect_right(self.cum, s) - 1, 0), len(self.coords) - 2)
        (x0, y0), (x1, y1) = self.coords[i], self.coords[i + 1]
        piece = (self.cum[i + 1] - self.cum[i]) or 1.0
        f = (s - self.cum[i]) / piece
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0), (x1 - x0) / piece, (y1 - y0) / piece

    def project(self, x, y):
        """(s, distance): where the nearest point of the line to (x, y) lies."""
        best = (0.0, math.inf)
        for i, ((x0, y0), (x1, y1)) in enumerate(zip(self.coords, self.coords[1:])):
            dx, dy = x1 - x0, y1 - y0
            piece = dx * dx + dy * dy
            f = 0.0 if piece == 0 else min(max(((x - x0) * dx + (y - y0) * dy) / piece, 0.0), 1.0)
            d = math.hypot(x - (x0 + f * dx), y - (y0 + f * dy))
            if d < best[1]:
                best = (self.cum[i] + f * (self.cum[i + 1] - self.cum[i]), d)
        return best


@dataclass
class Network:
    district: str
    towns: list  # (code, name), by code
    villages: dict  # code -> (name, town code)
    ways: dict  # code -> Way, by code
    stations: list  # (name, town code, (x, y))


def load_network():
    """The loaded district data as plain values (geometry in metres, settings.GIS_SRID)."""
    district = District.objects.order_by("id").values_list("name", flat=True).first() or "张湾区"
    ways = {}
    for w in Waterway.objects.select_related("parent", "town", "village").order_by("code"):
        ways[w.code] = Way(
            code=w.code, name=w.name, kind=w.kind, parent=w.parent.code if w.parent else None,
            town=w.town.code if w.town else None, village=w.village.code if w.village else None,
            coords=[tuple(c) for c in w.geom.coords],
        )
    return Network(
        district=district,
        towns=list(Town.objects.order_by("code").values_list("code", "name")),
        villages={code: (name, town) for code, name, town in Village.objects.values_list("code", "name", "town__code")},
        ways=ways,
        stations=[
            (s.name, s.town.code, (s.geom.x, s.geom.y)) for s in Station.objects.select_related("town").order_by("code")
        ],
    )
