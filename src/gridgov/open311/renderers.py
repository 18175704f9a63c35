"""JSON and XML bodies for GeoReport v2 payloads.

XML follows the specification's examples: a plural root (``<services>``, ``<service_requests>``,
``<errors>``) whose children are the singular element; lists inside an item are wrapped the same
way (``<notes><note>…``); booleans are ``true``/``false`` and a missing value is an empty element.
"""

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "media_urls": "media_url",
    "service_request_updates": "request_update",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry at all; they are dropped rather than written as broken XML.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ET.Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        child = SINGULAR.get(name, "item")
        for item in value:
            _append(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, payload) -> bytes:
    element = ET.Element(root)
    _fill(element, root, payload)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode()


def render_body(fmt: str, root: str, payload) -> bytes:
    if fmt == "xml":
        return to_xml(root, payload)
    return json.dumps(payload, ensure_ascii=False).encode()


def render(fmt: str, root: str, payload, status: int = 200) -> HttpResponse:
    return HttpResponse(render_body(fmt, root, payload), status=status, content_type=CONTENT_TYPES[fmt])
