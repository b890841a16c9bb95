"""The shape of a report's snapshot: plain, JSON-able dicts that every format renders and the inputs
hash covers. Builders here keep the shape in one place; docs/reports.md describes it."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

from django.utils.functional import Promise

TEXT, INT, FLOAT, PCT, DATE = "text", "int", "float", "pct", "date"


def plain(value):
    """A value JSON keeps exactly: a Decimal (hours, kg, points) as a float of its two decimals; floats
    as the selectors rounded them (a hotspot's p-value keeps its significant digits)."""
    if isinstance(value, Decimal):
        return float(round(value, 2))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Promise):  # a lazily translated label
        return str(value)
    return value


def figure(key, label, value, *, unit="", previous=None, target=None, link=None, note="") -> dict:
    value, previous = plain(value), plain(previous)
    change = plain(value - previous) if isinstance(value, (int, float)) and isinstance(previous, (int, float)) else None
    return {"key": key, "label": str(label), "value": value, "unit": str(unit), "previous": previous,
            "change": change, "target": plain(target), "link": link, "note": str(note)}


def column(key, label, kind=TEXT) -> dict:
    return {"key": key, "label": str(label), "type": kind}


def table(key, title, columns, rows, *, empty="", note="") -> dict:
    """rows: dicts by column key; a row's "_links" maps a column key to the URL behind that cell."""
    return {"type": "table", "key": key, "title": str(title), "columns": columns,
            "rows": [{name: plain(value) if name != "_links" else value for name, value in row.items()} for row in rows],
            "empty": str(empty), "note": str(note)}


def chart(key, title, categories, series, *, kind="bar", unit="") -> dict:
    """series: [(label, values)], one value per category."""
    return {"type": "chart", "key": key, "title": str(title), "chart": kind, "categories": [str(c) for c in categories],
            "series": [{"label": str(label), "values": [plain(v) for v in values]} for label, values in series],
            "unit": str(unit)}


def map_block(key, title, kind, legend, features=()) -> dict:
    return {"type": "map", "key": key, "title": str(title), "map": kind, "legend": legend, "features": list(features)}


def text(key, title, paragraphs) -> dict:
    return {"type": "text", "key": key, "title": str(title), "paragraphs": [str(p) for p in paragraphs]}


def definitions(key, title, rows) -> dict:
    """rows: [(term, definition, setting)]."""
    return {"type": "definitions", "key": key, "title": str(title),
            "rows": [{"term": str(term), "definition": str(meaning), "setting": str(setting)}
                     for term, meaning, setting in rows]}


def section(key, number, title, *, figures=(), blocks=(), intro="") -> dict:
    return {"key": key, "number": str(number), "title": str(title), "intro": str(intro),
            "figures": list(figures), "blocks": list(blocks)}


def canonical(snapshot: dict) -> bytes:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def inputs_hash(snapshot: dict) -> str:
    """What the office can quote: the same data gives the same hash, any change a new one."""
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def blocks_of(snapshot: dict, kind: str | None = None):
    for part in snapshot["sections"]:
        for block in part["blocks"]:
            if kind is None or block["type"] == kind:
                yield part, block
