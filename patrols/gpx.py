"""Reading GPX files from phones and GPS units, defensively: size cap, no DTDs or entities
(refused before any parser sees them, and defusedxml as a second guard), every <trkseg> kept
as its own line."""

from __future__ import annotations

import re
from datetime import datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.utils.translation import gettext as _
from xml.etree.ElementTree import ParseError

from .tracks import EARLIEST_MS, LATEST_MS

# A DOCTYPE is where entity bombs and external entities live; GPX never needs one.
DTD_PATTERN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# A fix's accuracy is rarely in a GPX file; when HDOP is there, this rough factor turns it into metres.
METRES_PER_HDOP = 5.0


class GpxError(ValueError):
    pass


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _child_text(element, name):
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return None


def _parse_time(text, number):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise GpxError(_("第 %(n)s 个轨迹点的时间没有时区（GPX 应使用 UTC，如 2026-05-01T08:00:00Z）。") % {"n": number})
        ms = int(moment.timestamp() * 1000)
    except (ValueError, OverflowError):
        raise GpxError(_("第 %(n)s 个轨迹点的时间无法识别：%(text)s") % {"n": number, "text": text[:40]}) from None
    if not EARLIEST_MS <= ms <= LATEST_MS:
        raise GpxError(_("第 %(n)s 个轨迹点的时间不合理：%(text)s") % {"n": number, "text": text[:40]})
    return ms


def read_gpx(data: bytes):
    """Returns (segments, name): each segment a list of [lon, lat, unix_ms, accuracy_m or None]."""
    if len(data) > settings.GPX_MAX_BYTES:
        raise GpxError(
            _("GPX 文件太大（%(size).1f MB），上限 %(max).1f MB。")
            % {"size": len(data) / 1e6, "max": settings.GPX_MAX_BYTES / 1e6}
        )
    if not data.strip():
        raise GpxError(_("GPX 文件是空的。"))
    if DTD_PATTERN.search(data):
        raise GpxError(_("GPX 文件含有 DOCTYPE/实体声明，出于安全原因拒收。"))
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise GpxError(_("文件不是有效的 XML，无法按 GPX 读取。")) from None
    if _local(root.tag) != "gpx":
        raise GpxError(_("文件不是 GPX（根元素应为 <gpx>）。"))

    segments, number = [], 0
    name = ""
    for track in _children(root, "trk"):
        name = name or (_child_text(track, "name") or "")
        for segment in _children(track, "trkseg"):
            fixes = []
            for point in _children(segment, "trkpt"):
                number += 1
                try:
                    lat, lon = float(point.get("lat")), float(point.get("lon"))
                except (TypeError, ValueError):
                    raise GpxError(_("第 %(n)s 个轨迹点缺少或写错了经纬度。") % {"n": number}) from None
                time_text = _child_text(point, "time")
                if not time_text:
                    raise GpxError(_("第 %(n)s 个轨迹点没有时间。") % {"n": number})
                hdop = _child_text(point, "hdop")
                accuracy = None
                if hdop:
                    try:
                        accuracy = float(hdop) * METRES_PER_HDOP
                    except ValueError:
                        accuracy = None
                fixes.append([lon, lat, _parse_time(time_text, number), accuracy])
            if fixes:
                segments.append(fixes)
    if not segments:
        raise GpxError(_("GPX 文件里没有轨迹点（<trk>/<trkseg>/<trkpt>）。"))
    return segments, name
