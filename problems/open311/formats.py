"""The two formats GeoReport v2 speaks. XML is the spec's required one; JSON follows from it by the
Spark convention (a container element holding repeated children is a JSON array; an empty element is
null). Both are built from the same plain value here, so they cannot drift apart."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

JSON, XML = "json", "xml"
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
# The spec asks for the declaration with encoding="UTF-8"; ElementTree would write it in single quotes.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# The element each container repeats (Spark: the container is the array).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

# What XML 1.0 cannot carry at all (control characters other than tab and line ends, surrogates,
# U+FFFE/U+FFFF): dropped, or the document would not be well-formed. ElementTree writes them as they are.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element, value):
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_tag), item)
    else:
        element.text = xml_text(value)


def to_xml(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return XML_DECLARATION + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def to_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def respond(fmt: str, root: str, value, status: int = 200) -> HttpResponse:
    """value: a dict (an object) or a list (the root container's items); root: the XML root element."""
    body = to_json(value) if fmt == JSON else to_xml(root, value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def refuse(fmt: str, error) -> HttpResponse:
    """An Open311Error as the spec's error list."""
    return respond(fmt, "errors", error.errors(), status=error.status)


def format_of_path(path: str) -> str:
    """The format a path asks for by its ending; XML, the spec's required format, when it names none."""
    return JSON if path.lower().endswith(".json") else XML
