"""XML request parameters as Rails parses them with actionpack-xml_parser: ``Hash.from_xml``.

The gem registers ``Hash.from_xml(raw_post) || {}`` as the parser for ``application/xml``
(and its synonyms ``text/xml``, ``application/x-xml``). ActiveSupport then does three things,
ported here in order:

* ``XmlMini_REXML.parse``: each element becomes a hash of its attributes, its child elements
  (a repeated name becomes a list) and, for a leaf or an element with non-blank text, its
  joined texts under ``__content__``; documents nested deeper than 100 elements are refused;
* ``XMLConverter``: dashes in names become underscores, then ``type="array"`` makes a list of
  the first child element's values, ``nil="true"`` or an empty element is nil, a typed leaf is
  cast by ``XmlMini::PARSING`` (``integer`` by ``String#to_i``, ``boolean`` is ``1``/``true``,
  ...) and ``type="symbol"``/``"yaml"`` are refused;
* Rails' deep munge, done by the caller (``unassign.deep_munge``).

Every parse failure is Rails' ``ParseError``: a 400. Internal entities are expanded, as REXML
does, within REXML's 10,240-character text limit (expat's own amplification guard on top);
external and parameter entities are refused. Pure: no I/O (expat parses in memory).
Where expat and REXML could differ (namespaces, processing instructions) the element's local
name is used, as REXML's ``Element#name`` gives it.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from pyexpat import ExpatError, ParserCreate
from typing import TypeAlias

from mockserver.engine import ruby
from mockserver.errors import BadRequestError

Value: TypeAlias = (
    str | int | float | bool | Decimal | datetime.date | list["Value"] | dict[str, "Value"] | None
)

__all__ = ["DEPTH", "Value", "from_xml"]

DEPTH = 100  # XmlMini.depth
ENTITY_TEXT_LIMIT = 10240  # REXML::Security.entity_expansion_text_limit
CONTENT = "__content__"
DISALLOWED = ("symbol", "yaml")
_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_FLOAT = re.compile(rf"[\t\n\v\f\r ]*([+-]?{_DIGITS}(?:\.{_DIGITS})?(?:[eE][+-]?[0-9]+)?)")
_BLANK = re.compile(r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\Z")


class _Node:
    """One element as REXML sees it: name, attributes in order, children and text nodes."""

    __slots__ = ("attributes", "children", "name", "texts")

    def __init__(self, name: str, attributes: list[str]) -> None:
        self.name = name.rpartition(":")[2]  # REXML's Element#name: the local part
        self.attributes = dict(zip(attributes[::2], attributes[1::2], strict=True))
        self.children: list[_Node] = []
        self.texts: list[str] = []


def _parse_document(body: bytes) -> _Node:
    """The root element of ``body``; BadRequestError for what REXML would not parse."""
    root: list[_Node] = []
    stack: list[_Node] = []

    def start(name: str, attributes: list[str]) -> None:
        node = _Node(name, attributes)
        if stack:
            stack[-1].children.append(node)
            if len(stack) >= DEPTH:
                raise BadRequestError("XML body: the document is too deep (more than 100 levels)")
        else:
            root.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].texts.append(data)

    declared: list[bool] = []
    expanded = [0]

    def entity_declaration(name: str, is_parameter: int, value: str | None, *rest: object) -> None:
        # REXML expands internal entities; an external one (no value) it never fetches
        if is_parameter or value is None:
            raise BadRequestError(f"XML body: entity {name!r} is external or a parameter entity")
        declared.append(True)

    def counted_text(data: str) -> None:
        if declared:  # REXML's entity_expansion_text_limit: a body's text beyond it is refused
            expanded[0] += len(data)
            if expanded[0] > ENTITY_TEXT_LIMIT:
                raise BadRequestError("XML body: entity expansion exceeds REXML's text limit")
        text(data)

    parser = ParserCreate()
    parser.ordered_attributes = True
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = counted_text
    parser.EntityDeclHandler = entity_declaration
    try:
        parser.Parse(body, True)
    except ExpatError as error:
        raise BadRequestError(f"XML body is not well-formed: {error}") from None
    if not root:
        raise BadRequestError("XML body has no root element")
    return root[0]


def _merge(target: dict[str, object], key: str, value: object) -> None:
    """XmlMini's merge!: a repeated key becomes a list (a list value is wrapped once)."""
    if key in target:
        known = target[key]
        if type(known) is list:
            known.append(value)
        else:
            target[key] = [known, value]
    elif type(value) is list:
        target[key] = [value]
    else:
        target[key] = value


def _collapse(node: _Node) -> dict[str, object]:
    """XmlMini_REXML#collapse, with dashes already turned into underscores (normalize_keys)."""
    hash_: dict[str, object] = {k.replace("-", "_"): v for k, v in node.attributes.items()}
    if node.children:
        for child in node.children:
            _merge(hash_, child.name.replace("-", "_"), _collapse(child))
        if not _BLANK.match("".join(node.texts)):
            _merge(hash_, CONTENT, "".join(node.texts))
    elif node.texts:
        _merge(hash_, CONTENT, "".join(node.texts))
    return hash_


def _to_f(text: str) -> float:
    """Ruby ``String#to_f``: the leading number, else 0.0."""
    match = _FLOAT.match(text)
    return float(match.group(1).replace("_", "")) if match else 0.0


def _to_d(text: str) -> Decimal:
    """Ruby ``String#to_d`` (BigDecimal): the leading number, else 0."""
    match = _FLOAT.match(text)
    try:
        return Decimal(match.group(1).replace("_", "")) if match else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _cast(kind: object, content: str) -> Value:
    """XmlMini::PARSING for the types a parameter can carry; other types keep the text."""
    if kind == "integer":
        return ruby.to_i(content)
    if kind in ("float", "double"):
        return _to_f(content)
    if kind == "decimal":
        return _to_d(content)
    if kind == "boolean":
        return ruby.strip(content) in ("1", "true")
    if kind == "date":
        try:
            return datetime.date.fromisoformat(content.strip())
        except ValueError:
            raise BadRequestError(f"XML body: {content!r} is not a date Rails parses") from None
    return content


def _convert(value: object) -> Value:
    """XMLConverter#deep_to_h."""
    if isinstance(value, dict):
        return _process_hash(value)
    if isinstance(value, list):
        converted = [_convert(v) for v in value]
        return converted if len(converted) > 1 else converted[0]
    return value if isinstance(value, str) else None


def _process_hash(value: dict[str, object]) -> Value:
    kind = value.get("type")
    if isinstance(kind, str) and kind in DISALLOWED:
        raise BadRequestError(f'XML body: disallowed type attribute "{kind}"')
    content = value.get(CONTENT)
    if kind == "array":
        entries = next((v for v in value.values() if not isinstance(v, str)), None)
        if entries is None or content == "":
            return []
        if isinstance(entries, list):
            return [_convert(v) for v in entries]
        return [_convert(entries)]
    if isinstance(content, str) and (len(value) == 1 or not _BLANK.match(content)):
        return _cast(kind, content)
    if kind == "string" and value.get("nil") != "true":
        return ""
    if not value or value.get("nil") == "true":
        return None
    if isinstance(kind, str) and len(value) == 1:
        return None  # garbage?: only a type attribute
    return {k: _convert(v) for k, v in value.items()}


def from_xml(body: bytes) -> dict[str, Value]:
    """``Hash.from_xml(body) || {}``: the root's name mapped to its converted value."""
    root = _parse_document(body)
    converted = _convert({root.name.replace("-", "_"): _collapse(root)})
    return converted if isinstance(converted, dict) else {}
