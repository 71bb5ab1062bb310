"""Rails' ``to_xml`` of train sessions, byte for byte. Pure: no I/O.

What ``render xml:`` writes for a record and for an array of records (``activemodel-serializers-xml``,
the code Rails 4.2 had built in, over Builder 3.2's ``XmlMarkup`` with ``indent: 2``):

- ``<?xml version="1.0" encoding="UTF-8"?>``, then the root element, each child on its own line,
  two spaces of indentation per level, every line ending in ``\\n``;
- a record is ``<train-session>`` with ``model.XML_FIELDS`` in order (the columns in table
  order, then the ``course_code`` method), names dasherized;
- ``type="integer|date|decimal"`` from the column type (none for strings), and for a null
  ``nil="true"`` *after* the type, as an empty element (``<complete-by type="date" nil="true"/>``);
- an array is ``<train-sessions type="array">``; an empty one ``<nil-classes type="array"/>``
  (``Array#to_xml`` names the root after the first element's class, and there is none);
- text goes through ``Builder::XChar.encode``: the C1 code points Windows-1252 defines become
  that character (``\\x80`` is ``€``), code points XML 1.0 forbids become U+FFFD, then ``&``,
  ``<`` and ``>`` are escaped; quotes and every other character (non-ASCII included) stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from mockserver.model import RESOURCE, XML_FIELDS

__all__ = ["DECLARATION", "EMPTY_ARRAY", "array_document", "element", "escape", "record_document"]

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
EMPTY_ARRAY = DECLARATION + b'<nil-classes type="array"/>\n'
_ROOT = RESOURCE + "s"  # ActiveSupport's pluralize of train_session, dasherized

# Builder::XChar::CP1252: the C1 code points Windows-1252 assigns, translated before escaping
_CP1252 = {
    128: 8364, 130: 8218, 131: 402, 132: 8222, 133: 8230, 134: 8224, 135: 8225, 136: 710,
    137: 8240, 138: 352, 139: 8249, 140: 338, 142: 381, 145: 8216, 146: 8217, 147: 8220,
    148: 8221, 149: 8226, 150: 8211, 151: 8212, 152: 732, 153: 8482, 154: 353, 155: 8250,
    156: 339, 158: 382, 159: 376,
}  # fmt: skip
_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPECIAL = re.compile("[\x80-\x9f]|[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[&<>]")
_PREDEFINED = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """``Builder::XChar.encode``: CP1252 translation, U+FFFD for invalid code points, ``&<>``."""
    if _SPECIAL.search(text) is None:  # the common case: nothing to change
        return text
    text = text.translate(_CP1252)
    text = _INVALID.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tag(name: str) -> str:
    """ActiveSupport's dasherize: underscores become dashes."""
    return name.replace("_", "-")


def _typed(name: str, xml_type: str | None) -> str:
    """The tag's name and its ``type`` attribute, if any: ``score type="integer"``."""
    return _tag(name) + (f' type="{xml_type}"' if xml_type else "")


# per field: name, "<tag type=...>", "</tag>", the nil element, and whether its text needs escaping
# (integers, dates and decimals never do: the fixture format fixes their characters)
_PLAN = tuple(
    (
        f.name,
        f"<{_typed(f.name, f.kind.xml_type)}>",
        f"</{_tag(f.name)}>\n",
        f'<{_typed(f.name, f.kind.xml_type)} nil="true"/>\n',
        f.kind.xml_type is None,
    )
    for f in XML_FIELDS
)


def element(record: Mapping[str, object], depth: int = 0) -> bytes:
    """One record's ``<train-session>`` element, its tags indented for ``depth`` levels of nesting."""
    pad = "  " * depth
    inner = pad + "  "
    lines = [f"{pad}<{RESOURCE}>\n"]
    for name, opening, closing, nil, text in _PLAN:
        value = record.get(name)
        if value is None:
            lines.append(inner + nil)
        else:
            lines.append(f"{inner}{opening}{escape(str(value)) if text else value}{closing}")
    lines.append(f"{pad}</{RESOURCE}>\n")
    return "".join(lines).encode()


def record_document(record: Mapping[str, object]) -> bytes:
    """``record.to_xml``: the show answer."""
    return DECLARATION + element(record)


def array_document(elements: Iterable[bytes]) -> bytes:
    """``records.to_xml`` from each record's ``element(record, 1)``: the index answer."""
    joined = b"".join(elements)
    if not joined:
        return EMPTY_ARRAY
    return DECLARATION + f'<{_ROOT} type="array">\n'.encode() + joined + f"</{_ROOT}>\n".encode()
