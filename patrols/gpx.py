"""Reading GPX files from phones and GPS units, defensively, with gpxpy.

The checks, in order: the size cap; no DOCTYPE/ENTITY (refused before any parser sees the file);
not some other kind of file (a zip, a photo, a Garmin FIT file); the bytes decoded to text as the
XML spec says (a BOM, else the encoding the XML declaration names, else UTF-8; GB2312/GBK too,
which expat cannot read); defusedxml parses that very text, so an entity bomb or an external entity
never reaches gpxpy; then gpxpy reads the same text. Every <trkseg> is kept as its own line.

GPX times are UTC by the GPX 1.0 and 1.1 schemas, so a time without a zone (GPX 1.0 files, older
units) is read as UTC. A file with no track points but with timed routes (a recording exported as
<rte>, as a few apps do) is read from its routes; waypoints and untimed routes are plans, not
patrols, and are refused."""

from __future__ import annotations

import codecs
import math
import re
from datetime import datetime, timedelta, timezone
from xml.etree.ElementTree import ParseError

import gpxpy
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from gpxpy.gpx import (
    GPXBounds,
    GPXException,
    GPXRoute,
    GPXRoutePoint,
    GPXTrack,
    GPXTrackPoint,
    GPXWaypoint,
)
from gpxpy.gpxfield import GPXField, parse_time

from .tracks import AFTER_LATEST_MS, EARLIEST_MS

# A DOCTYPE is where entity bombs and external entities live; GPX never needs one. (A web page's
# "<!DOCTYPE html>" gets its own message.)
DTD_PATTERN = re.compile(r"<!\s*(DOCTYPE|ENTITY)(\s+html\b)?", re.IGNORECASE)
DTD_PATTERN_BYTES = re.compile(DTD_PATTERN.pattern.encode(), re.IGNORECASE)
# A fix's accuracy is rarely in a GPX file; when HDOP is there, this rough factor turns it into metres.
METRES_PER_HDOP = 5.0

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._:-]{0,39})["']""")
XML_DECLARATION = re.compile(r"^(\s*)<\?xml\s[^>]*\?>")
# A declaration that reads as ASCII yet says UTF-16 is wrong (.NET's StringWriter writes it into
# UTF-8 files); the bytes are UTF-8 then.
WIDE_ENCODINGS = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
# Files declared GB2312 or GBK often hold characters outside that set; GB18030 covers both, as browsers do.
WIDER_ENCODING = {"gb2312": "gb18030", "gbk": "gb18030"}

# gpxpy finds namespace declarations with r'\sxmlns:?[^=]*="[^"]+"' over the whole text: each
# " xmlns" scans ahead to the next "=", so a comment full of " xmlns" takes quadratic time (240 kB:
# 5 s), and it registers every declaration with ElementTree, process-wide, each registration walking
# all earlier ones. Real GPX files declare a handful of namespaces, each with its "=" right after.
XMLNS_SCAN = re.compile(r"\sxmlns[^=]*")
MAX_XMLNS_SCAN = 20_000_000  # characters that regex may scan: ~20 ms
GPXPY_NAMESPACE = re.compile(r'\sxmlns:?[^=]*="[^"]+"')
MAX_NAMESPACES = 50

# Files people send by mistake, by their first bytes.
MAGIC = [
    (b"PK\x03\x04", N_("ZIP 压缩包（KMZ、Office 文档也是 ZIP）")),
    (b"PK\x05\x06", N_("ZIP 压缩包（KMZ、Office 文档也是 ZIP）")),
    (b"\x1f\x8b", N_("gzip 压缩文件")),
    (b"Rar!\x1a\x07", N_("RAR 压缩包")),
    (b"7z\xbc\xaf\x27\x1c", N_("7z 压缩包")),
    (b"\xff\xd8\xff", N_("JPEG 图片")),
    (b"\x89PNG\r\n\x1a\n", N_("PNG 图片")),
    (b"GIF8", N_("GIF 图片")),
    (b"%PDF-", N_("PDF 文档")),
]
# Other programs' XML formats, by their root element.
OTHER_XML_FORMATS = {"kml": "KML", "TrainingCenterDatabase": "TCX"}

KINDS = {
    GPXWaypoint: N_("航点"), GPXRoute: N_("路线"), GPXRoutePoint: N_("路线点"), GPXTrack: N_("轨迹"),
    GPXTrackPoint: N_("轨迹点"),
}


class GpxError(ValueError):
    pass


def _short(text, length=40):
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _html_message():
    return _(
        "文件是网页（HTML），不是 GPX。常见原因是下载链接打开的是登录页或预览页；"
        "请在记录轨迹的应用里用“导出 GPX”保存文件后再上传。"
    )


def _refuse_declarations(pattern, content):
    match = pattern.search(content)
    if match and match.group(2):
        raise GpxError(_html_message())
    if match:
        raise GpxError(_("GPX 文件含有 DOCTYPE/实体声明，出于安全原因拒收。"))


def _other_file_kind(data):
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if data[8:12] == b".FIT":
        return N_("Garmin FIT 运动记录")
    if data[4:8] == b"ftyp":
        return N_("HEIC/MP4 照片或视频")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return N_("WebP 图片")
    return None


def _refuse_other_files(data):
    kind = _other_file_kind(data)
    if kind:
        raise GpxError(
            _("文件是 %(kind)s，不是 GPX（GPX 是 XML 文本文件）。请从记录轨迹的应用里导出 GPX 格式再上传。")
            % {"kind": _(kind)}
        )


def _unknown_encoding(encoding):
    return GpxError(_("GPX 文件声明的编码“%(encoding)s”无法识别。请用 UTF-8 编码重新导出。") % {"encoding": encoding})


def _decode(data):
    """The file as text, by the XML spec's rules (its Appendix F): a BOM, else UTF-16 known by its
    first characters, else the encoding the XML declaration names, else UTF-8."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            data, label = data[len(bom):], encoding.upper()
            break
    else:
        if data.startswith(b"<\x00?\x00"):
            encoding = label = "utf-16-le"
        elif data.startswith(b"\x00<\x00?"):
            encoding = label = "utf-16-be"
        else:
            declared = DECLARED_ENCODING.match(data)
            label = declared.group(1).decode("ascii") if declared else "UTF-8"
            try:
                encoding = codecs.lookup(label).name
            except LookupError:
                raise _unknown_encoding(label) from None
            encoding = "utf-8" if encoding in WIDE_ENCODINGS else WIDER_ENCODING.get(encoding, encoding)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise GpxError(
            _(
                "GPX 文件不是有效的 %(encoding)s 文本（第 %(offset)s 个字节处无法解码）。"
                "文件可能损坏、不是 GPX，或者开头声明的编码不对。"
            )
            % {"encoding": label.upper(), "offset": error.start + 1}
        ) from None
    except (LookupError, ValueError):  # a codec that is not a text encoding (base64, rot13…)
        raise _unknown_encoding(label) from None


def _drop_declaration(text):
    """The XML declaration names an encoding the text is no longer in (lxml, which gpxpy prefers when
    it is installed, would believe it). Blanked out, so that line and column numbers stay."""
    return XML_DECLARATION.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text, count=1)


def _refuse_namespace_abuse(text):
    cost = sum(len(m.group(0)) * m.group(0).count("xmlns") for m in XMLNS_SCAN.finditer(text))
    if cost > MAX_XMLNS_SCAN or len(set(GPXPY_NAMESPACE.findall(text))) > MAX_NAMESPACES:
        raise GpxError(_("GPX 文件里的 XML 命名空间（xmlns）声明异常多，不像正常的 GPX 文件，出于安全原因拒收。"))


def _parse_checked(text):
    """defusedxml parses the very text gpxpy will get: no DTD, entity or external reference gets past."""
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise GpxError(_("GPX 文件含有 DOCTYPE/实体声明，出于安全原因拒收。")) from None
    except ParseError as error:
        if re.search(r"<html[\s>]", text[:2000], re.IGNORECASE):
            raise GpxError(_html_message()) from None
        line, column = getattr(error, "position", (0, 0))
        raise GpxError(
            _("文件不是有效的 XML，无法按 GPX 读取（第 %(line)s 行第 %(column)s 列出错）。")
            % {"line": line, "column": column + 1}
        ) from None
    except ValueError:
        raise GpxError(_("文件不是有效的 XML，无法按 GPX 读取。")) from None


def _check_root(root):
    name = root.tag.rsplit("}", 1)[-1]
    if name == "gpx":
        return
    if name.lower() == "html":
        raise GpxError(_html_message())
    if name in OTHER_XML_FORMATS:
        raise GpxError(
            _("文件是 %(format)s 格式，不是 GPX（根元素应为 <gpx>，这里是 <%(root)s>）。请在应用里导出 GPX 格式再上传。")
            % {"format": OTHER_XML_FORMATS[name], "root": name}
        )
    raise GpxError(_("文件不是 GPX（根元素应为 <gpx>，这里是 <%(root)s>）。") % {"root": _short(name)})


def _without_default_namespace(root):
    """The tree as gpxpy sees it: gpxpy drops the default namespace (GPX 1.0's, 1.1's or none) first."""
    if root.tag.startswith("{"):
        namespace = root.tag[: root.tag.index("}") + 1]
        for element in root.iter():
            if isinstance(element.tag, str) and element.tag.startswith(namespace):
                element.tag = element.tag[len(namespace):]
    return root


def _track_elements(root):
    return [segment.findall("trkpt") for track in root.findall("trk") for segment in track.findall("trkseg")]


def _route_elements(root):
    return [route.findall("rtept") for route in root.findall("rte")]


def _explain(error, root, version):
    """gpxpy says what was wrong but not where: find the place with gpxpy's own field readers."""
    places = [
        (GPXWaypoint, root.findall("wpt")),
        (GPXRoute, root.findall("rte")),
        (GPXTrack, root.findall("trk")),
        (GPXRoutePoint, [point for line in _route_elements(root) for point in line]),
        (GPXTrackPoint, [point for line in _track_elements(root) for point in line]),
    ]
    for cls, elements in places:
        fields = [f for f in (cls.gpx_11_fields if version == "1.1" else cls.gpx_10_fields) if type(f) is GPXField]
        for number, element in enumerate(elements, 1):
            for field in fields:
                try:
                    field.from_xml(element, version)
                except GPXException:
                    return _field_error(number, _(KINDS[cls]), element, field)
    for bounds in root.findall("metadata/bounds") + root.findall("bounds"):
        for field in GPXBounds.gpx_11_fields:
            try:
                field.from_xml(bounds, version)
            except GPXException:
                return GpxError(_("GPX 文件的范围 <bounds> 写错了：%(attribute)s=“%(value)s”。")
                                % {"attribute": field.attribute, "value": _short(bounds.get(field.attribute))})
    return GpxError(_("GPX 文件里有写错的值，无法读取（%(detail)s）。") % {"detail": _short(error, 120)})


def _field_error(number, kind, element, field):
    names = {"n": number, "kind": kind}
    if field.attribute in ("lat", "lon"):
        value = element.get(field.attribute)
        if value is None:
            return GpxError(_("第 %(n)s 个%(kind)s缺少经纬度（没有 %(attribute)s 属性）。")
                            % {**names, "attribute": field.attribute})
        return GpxError(_("第 %(n)s 个%(kind)s的经纬度不是数字：%(attribute)s=“%(value)s”。")
                        % {**names, "attribute": field.attribute, "value": _short(value)})
    return _value_error(names, field.tag, element.findtext(field.tag, ""))


def _value_error(names, tag, value):
    return GpxError(_("第 %(n)s 个%(kind)s的 <%(tag)s> 值写错了：“%(value)s”。")
                    % {**names, "tag": tag, "value": _short(value)})


def _time_ms(moment, raw, names):
    """Unix milliseconds of a point's time. gpxpy gives None for a missing and for an unreadable time
    alike, and refuses the spaces around a time that XML Schema allows; `raw` tells them apart."""
    raw = (raw or "").strip()
    if moment is None:
        if not raw:
            raise GpxError(_("第 %(n)s 个%(kind)s没有时间。") % names)
        try:
            moment = parse_time(raw)
        except (GPXException, ValueError, OverflowError):
            raise GpxError(_("第 %(n)s 个%(kind)s的时间无法识别：%(text)s") % {**names, "text": _short(raw)}) from None
    text = _short(raw or moment.isoformat())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # GPX times are UTC
    try:
        ms = (moment - EPOCH) // timedelta(milliseconds=1)
    except (ValueError, OverflowError):  # an offset of a day or more, as in +99:00
        raise GpxError(_("第 %(n)s 个%(kind)s的时间无法识别：%(text)s") % {**names, "text": text}) from None
    if not EARLIEST_MS <= ms < AFTER_LATEST_MS:
        raise GpxError(
            _("第 %(n)s 个%(kind)s的时间不合理：%(text)s（应在 2000 年至 2100 年之间，可能是设备时钟不对）。")
            % {**names, "text": text}
        )
    return ms


def _raw(element, name, fallback):
    """The file's own text of a point's attribute or child element (`fallback` without the tree)."""
    if element is None:
        return fallback
    text = element.get(name) if name in ("lat", "lon") else element.findtext(name)
    return fallback if text is None else text


def _row(point, element, names):
    """[lon, lat, unix_ms, accuracy_m or None] of a gpxpy point; `element` (or None) is its XML."""
    lat, lon = point.latitude, point.longitude
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise GpxError(
            _("第 %(n)s 个%(kind)s的经纬度超出范围：lat=%(lat)s，lon=%(lon)s（纬度应在 -90～90，经度应在 -180～180）。")
            % {**names, "lat": _short(_raw(element, "lat", lat)), "lon": _short(_raw(element, "lon", lon))}
        )
    ms = _time_ms(point.time, _raw(element, "time", None), names)
    accuracy = None
    if point.horizontal_dilution is not None:
        accuracy = point.horizontal_dilution * METRES_PER_HDOP
        if not (math.isfinite(accuracy) and accuracy >= 0):
            raise _value_error(names, "hdop", _raw(element, "hdop", point.horizontal_dilution))
    return [lon, lat, ms, accuracy]


def _segments(point_lines, element_lines, kind):
    """Rows of each line of gpxpy points; the tree's elements, when they line up, give the file's own text."""
    if [len(points) for points in point_lines] != [len(elements) for elements in element_lines]:
        element_lines = [[None] * len(points) for points in point_lines]
    segments, number = [], 0
    for points, elements in zip(point_lines, element_lines):
        fixes = []
        for point, element in zip(points, elements):
            number += 1
            fixes.append(_row(point, element, {"n": number, "kind": kind}))
        if fixes:
            segments.append(fixes)
    return segments


def _first_name(items):
    return next((item.name.strip() for item in items if (item.name or "").strip()), "")


def read_gpx(data: bytes):
    """Returns (segments, name): each segment a list of [lon, lat, unix_ms, accuracy_m or None]."""
    if len(data) > settings.GPX_MAX_BYTES:
        raise GpxError(
            _("GPX 文件太大（%(size).1f MB），上限 %(max).1f MB。")
            % {"size": len(data) / 1e6, "max": settings.GPX_MAX_BYTES / 1e6}
        )
    if not data.strip():
        raise GpxError(_("GPX 文件是空的。"))
    _refuse_declarations(DTD_PATTERN_BYTES, data)
    _refuse_other_files(data)
    text = _drop_declaration(_decode(data))
    if not text.strip():
        raise GpxError(_("GPX 文件是空的。"))
    _refuse_declarations(DTD_PATTERN, text)  # again, decoded: UTF-16 or UTF-7 hide it from the bytes' check
    _refuse_namespace_abuse(text)
    root = _parse_checked(text)
    _check_root(root)
    root = _without_default_namespace(root)

    version = root.get("version")
    try:
        document = gpxpy.parse(text, version=version)
    except GPXException as error:
        raise _explain(error, root, version) from None
    except Exception as error:  # noqa: BLE001 - anything else gpxpy trips over is the file's doing
        raise GpxError(_("GPX 文件里有写错的值，无法读取（%(detail)s）。") % {"detail": _short(error, 120)}) from None

    track_lines = [segment.points for track in document.tracks for segment in track.segments]
    if any(track_lines):
        return _segments(track_lines, _track_elements(root), _(KINDS[GPXTrackPoint])), _first_name(document.tracks)

    route_lines = [route.points for route in document.routes]
    if any((element.findtext("time") or "").strip() for line in _route_elements(root) for element in line):
        return _segments(route_lines, _route_elements(root), _(KINDS[GPXRoutePoint])), _first_name(document.routes)

    if any(_track_elements(root)) or (any(_route_elements(root)) and not any(route_lines)):
        # Points gpxpy did not see: elements with a namespace prefix (<gpx:trkpt>), say.
        raise GpxError(_("GPX 文件的写法不常见（例如元素带命名空间前缀，如 <gpx:trkpt>），读不出其中的轨迹点。"
                         "请用记录轨迹的应用直接导出 GPX。"))
    if document.waypoints or any(route_lines):
        raise GpxError(_(
            "GPX 文件里没有轨迹点（<trk>/<trkseg>/<trkpt>），只有航点或不带时间的规划路线。"
            "请在应用里导出记录的轨迹，而不是路线或航点。"
        ))
    raise GpxError(_("GPX 文件里没有轨迹点（<trk>/<trkseg>/<trkpt>）。"))
