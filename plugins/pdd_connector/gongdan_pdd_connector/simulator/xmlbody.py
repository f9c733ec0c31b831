"""Answers for `data_type=XML`: the JSON body's tree as XML elements.

Objects become child elements named by key, arrays an element holding one `<item>` per entry,
`true`/`false` and numbers their JSON text, null an empty element.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child)
    elif isinstance(value, list):
        for child in value:
            _fill(ElementTree.SubElement(element, "item"), child)
    elif value is not None:
        element.text = value if isinstance(value, str) else json.dumps(value)


def to_xml(body: dict[str, Any]) -> bytes:
    """The XML document for a JSON body; a flat body (no single top key) goes under `<response>`."""
    (key, value), *rest = body.items()
    if rest or not isinstance(value, dict):
        key, value = "response", body
    root = ElementTree.Element(key)
    _fill(root, value)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
