"""Reading and checking GIS files before anything is written.

Files are read with geopandas/pyogrio. A file must declare its CRS and that CRS must be an
EPSG code on settings.IMPORT_ALLOWED_EPSG: we reproject with pyproj from that code and never
hand the file's own WKT/PROJ text to Django's GDAL (see DESIGN.md, "Coordinates").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

from .models import Waterway

READABLE_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".shp"}
# The smallest meaningful waterway; anything shorter is a digitising slip.
MIN_LINE_LENGTH_M = 1.0


class GisFileError(Exception):
    """The file cannot be used. `problems` lists every bad feature, not just the first."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


@dataclass
class FeatureProblem:
    number: int  # 1-based position in the file, as a GIS user counts features
    code: str
    message: str

    def __str__(self):
        label = _("第 %(n)d 个要素") % {"n": self.number}
        if self.code:
            label += f" ({self.code})"
        return f"{label}: {self.message}"


@dataclass
class WaterwayRecord:
    code: str
    name: str
    kind: str
    geom: LineString  # in settings.GIS_SRID
    name_pinyin: str = ""
    parent_code: str = ""
    town_code: str = ""
    village_code: str = ""
    accuracy: str = "approximate"
    source: str = ""


@dataclass
class ReadResult:
    records: list
    source_epsg: int


def read_frame(path, *, layer=None):
    """Opens a GeoJSON, GeoPackage or (zipped) Shapefile and returns (GeoDataFrame, EPSG code)
    reprojected to the storage SRID."""
    import geopandas
    import pyogrio

    path = Path(path)
    if not path.exists():
        raise GisFileError(_("找不到文件：%(path)s") % {"path": path})
    if path.suffix.lower() not in READABLE_SUFFIXES:
        raise GisFileError(
            _("不支持的文件类型 %(suffix)s：请使用 GeoJSON、GeoPackage (.gpkg) 或压缩的 Shapefile (.zip)。")
            % {"suffix": path.suffix or "?"}
        )
    try:
        frame = geopandas.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise GisFileError(_("无法读取文件 %(name)s：%(error)s") % {"name": path.name, "error": exc}) from exc
    if frame.crs is None:
        raise GisFileError(
            _("文件 %(name)s 没有声明坐标参考系（CRS）。请在导出时附带 .prj 或 CRS（例如 EPSG:4326 或 EPSG:4546）后重试；未写入任何数据。")
            % {"name": path.name}
        )
    epsg = frame.crs.to_epsg(min_confidence=70)
    if epsg is None or epsg not in settings.IMPORT_ALLOWED_EPSG:
        raise GisFileError(
            _("文件的坐标参考系“%(crs)s”不在允许的列表中（EPSG:4326、4490、4546 等）。请转换为其中之一后重试；未写入任何数据。")
            % {"crs": frame.crs.name}
        )
    # Reproject from the allow-listed code itself, not from the definition text in the file.
    frame = frame.set_crs(epsg=epsg, allow_override=True)
    if epsg != settings.GIS_SRID:
        frame = frame.to_crs(epsg=settings.GIS_SRID)
    return frame, epsg


def _as_single_line(geom):
    """Returns (LineString, None) or (None, reason)."""
    if geom is None or geom.is_empty:
        return None, _("没有几何图形")
    geom = shapely.force_2d(geom)
    if isinstance(geom, MultiLineString):
        merged = linemerge(geom)
        if not isinstance(merged, LineString):
            return None, _("由 %(n)d 段互不相连的线组成，河道须为一条连续的线") % {"n": len(merged.geoms)}
        geom = merged
    if not isinstance(geom, LineString):
        return None, _("几何类型为 %(type)s，河道须为线（LineString）") % {"type": geom.geom_type}
    if not geom.is_valid:
        return None, _("几何无效：%(reason)s") % {"reason": shapely.is_valid_reason(geom)}
    if geom.length < MIN_LINE_LENGTH_M:
        return None, _("线长度为 %(length).2f 米，太短") % {"length": geom.length}
    return geom, None


def _text(row, column):
    value = row.get(column) if column else None
    if value is None:
        return ""
    try:
        import pandas

        if pandas.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


KIND_ALIASES = {"river": "river", "河流": "river", "河": "river", "gully": "gully", "支沟": "gully", "沟": "gully"}
ACCURACY_VALUES = {"surveyed", "digitised", "approximate"}
DEFAULT_FIELDS = {
    key: key
    for key in ("code", "name", "name_pinyin", "kind", "parent", "town", "village", "accuracy", "source")
}


def pinyin_of(name):
    """'狮子沟' → 'Shizi Gou': the specific part joined, the generic 沟/河 as its own word."""
    from pypinyin import lazy_pinyin

    generic = {"沟": "Gou", "河": "He"}
    if name and name[-1] in generic and len(name) > 1:
        return "".join(lazy_pinyin(name[:-1])).capitalize() + " " + generic[name[-1]]
    return "".join(lazy_pinyin(name)).capitalize()


def read_waterways(path, *, known_codes=(), known_towns=(), known_villages=(), field_map=None, layer=None, progress=None):
    """Reads a waterway file and checks every feature. Raises GisFileError listing every
    problem; returns a ReadResult when the whole file is usable.

    known_codes: waterway codes already in the database that a parent may refer to.
    field_map: {our field: column in the file} for files with other attribute names.
    """
    fields = {**DEFAULT_FIELDS, **(field_map or {})}
    frame, epsg = read_frame(path, layer=layer)
    missing_columns = [fields[key] for key in ("code", "name", "kind") if fields[key] not in frame.columns]
    if missing_columns:
        raise GisFileError(
            _("文件缺少必需的属性列：%(columns)s（可用 --map 指定列名对应关系）") % {"columns": ", ".join(missing_columns)}
        )

    problems, records, seen = [], [], {}
    rows = frame.to_dict("records")
    geometry_column = frame.geometry.name
    for number, row in enumerate(progress(rows) if progress else rows, start=1):
        code = _text(row, fields["code"])
        bad = []
        if not code:
            bad.append(_("缺少编码（code）"))
        elif code in seen:
            bad.append(_("编码与第 %(n)d 个要素重复") % {"n": seen[code]})
        else:
            seen[code] = number
        name = _text(row, fields["name"])
        if not name:
            bad.append(_("缺少名称（name）"))
        kind_text = _text(row, fields["kind"])
        kind = KIND_ALIASES.get(kind_text.lower())
        if kind is None:
            bad.append(_("类型“%(kind)s”无效，应为 river（河流）或 gully（支沟）") % {"kind": kind_text})
        accuracy = _text(row, fields["accuracy"]).lower() or "approximate"
        if accuracy not in ACCURACY_VALUES:
            bad.append(_("精度“%(value)s”无效，应为 surveyed、digitised 或 approximate") % {"value": accuracy})
        town = _text(row, fields["town"])
        if town and town not in known_towns:
            bad.append(_("乡镇代码 %(code)s 不存在") % {"code": town})
        village = _text(row, fields["village"])
        if village and village not in known_villages:
            bad.append(_("村代码 %(code)s 不存在") % {"code": village})
        geom, reason = _as_single_line(row[geometry_column])
        if reason:
            bad.append(reason)
        record = WaterwayRecord(
            code=code,
            name=name,
            kind=kind,
            geom=geom,
            name_pinyin=_text(row, fields["name_pinyin"]) or (pinyin_of(name) if name else ""),
            parent_code=_text(row, fields["parent"]),
            town_code=town,
            village_code=village,
            accuracy=accuracy,
            source=_text(row, fields["source"]),
        )
        bad.extend(_too_long(record))
        if bad:
            problems.extend(FeatureProblem(number, code, message) for message in bad)
            continue
        records.append(record)

    problems.extend(_check_parents(records, seen, set(known_codes)))
    if problems:
        problems.sort(key=lambda problem: problem.number)
        raise GisFileError(_("文件中有 %(n)d 处问题，未写入任何数据：") % {"n": len(problems)}, problems)
    return ReadResult(records=records, source_epsg=epsg)


def _too_long(record):
    """Text longer than the database column would fail at write time; say so per feature."""
    limits = {"code": "code", "name": "name", "name_pinyin": "name_pinyin", "parent_code": "code"}
    return [
        _("%(field)s 太长（%(length)d 个字符，最多 %(limit)d）") % {"field": field, "length": len(value), "limit": limit}
        for field, column in limits.items()
        if len(value := getattr(record, field)) > (limit := Waterway._meta.get_field(column).max_length)
    ]


def _check_parents(records, numbers, known_codes):
    """Every gully needs a parent that exists (in the file or, when kept, in the database),
    and the parent chain must not loop."""
    problems = []
    parents = {record.code: record.parent_code for record in records}
    for record in records:
        number = numbers[record.code]
        if record.kind == "gully" and not record.parent_code:
            problems.append(FeatureProblem(number, record.code, _("支沟必须指明汇入的河流（parent）")))
        elif record.parent_code == record.code:
            problems.append(FeatureProblem(number, record.code, _("不能汇入自身")))
        elif record.parent_code and record.parent_code not in parents and record.parent_code not in known_codes:
            problems.append(
                FeatureProblem(number, record.code, _("汇入河流 %(code)s 不存在") % {"code": record.parent_code})
            )
        else:
            chain, current = set(), record.code
            while current in parents and parents[current]:
                if current in chain:
                    problems.append(FeatureProblem(number, record.code, _("汇入关系形成循环")))
                    break
                chain.add(current)
                current = parents[current]
    return problems
