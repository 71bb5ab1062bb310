"""Rails 6.1's request format negotiation (``Mime::Type`` and ``MimeNegotiation``), ported.

Which format an error body takes, whether a request is a 406 and whether a rendered answer
carries ``Vary`` all follow from ``request.formats``: the ``format`` parameter (path suffix,
then ``?format=``) when the params can be read, else a valid Accept header, else the path's
extension, else ``js`` for XHR, else ``html``. An Accept value Mime::Type cannot parse raises
``InvalidMimeTypeError`` (Rails' 406). The quirks are Rails', kept on purpose: ``q=1.0`` reads
as q 0 (the separator regexp eats ``q=1``), ``*/*`` next to a comma means "browser" and is
ignored, ``text/*`` expands to every registered type naming ``text``. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mockserver.errors import MockServerError


class InvalidMimeTypeError(MockServerError):
    """``Mime::Type::InvalidMimeType``: Rails answers 406 (empty ``text/html``)."""


@dataclass(frozen=True)
class MimeType:
    """One ``Mime::Type``: its string, symbol (None when unregistered) and synonyms."""

    string: str
    symbol: str | None = None
    synonyms: tuple[str, ...] = field(default=())

    def matches(self, fragment: str) -> bool:
        """``Mime::Type#match?``: the fragment occurs in the string or a synonym."""
        return fragment in self.string or any(fragment in s for s in self.synonyms)


# action_dispatch/http/mime_types.rb, in registration order: (string, symbol, synonyms, extensions)
_REGISTERED: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("text/html", "html", ("application/xhtml+xml",), ("xhtml",)),
    ("text/plain", "text", (), ("txt",)),
    ("text/javascript", "js", ("application/javascript", "application/x-javascript"), ()),
    ("text/css", "css", (), ()),
    ("text/calendar", "ics", (), ()),
    ("text/csv", "csv", (), ()),
    ("text/vcard", "vcf", (), ()),
    ("text/vtt", "vtt", (), ("vtt",)),
    ("image/png", "png", (), ("png",)),
    ("image/jpeg", "jpeg", (), ("jpg", "jpeg", "jpe", "pjpeg")),
    ("image/gif", "gif", (), ("gif",)),
    ("image/bmp", "bmp", (), ("bmp",)),
    ("image/tiff", "tiff", (), ("tif", "tiff")),
    ("image/svg+xml", "svg", (), ()),
    ("video/mpeg", "mpeg", (), ("mpg", "mpeg", "mpe")),
    ("audio/mpeg", "mp3", (), ("mp1", "mp2", "mp3")),
    ("audio/ogg", "ogg", (), ("oga", "ogg", "spx", "opus")),
    ("audio/aac", "m4a", ("audio/mp4",), ("m4a", "mpg4", "aac")),
    ("video/webm", "webm", (), ("webm",)),
    ("video/mp4", "mp4", (), ("mp4", "m4v")),
    ("font/otf", "otf", (), ("otf",)),
    ("font/ttf", "ttf", (), ("ttf",)),
    ("font/woff", "woff", (), ("woff",)),
    ("font/woff2", "woff2", (), ("woff2",)),
    ("application/xml", "xml", ("text/xml", "application/x-xml"), ()),
    ("application/rss+xml", "rss", (), ()),
    ("application/atom+xml", "atom", (), ()),
    ("application/x-yaml", "yaml", ("text/yaml",), ("yml", "yaml")),
    ("multipart/form-data", "multipart_form", (), ()),
    ("application/x-www-form-urlencoded", "url_encoded_form", (), ()),
    ("application/json", "json", ("text/x-json", "application/jsonrequest"), ()),
    ("application/pdf", "pdf", (), ("pdf",)),
    ("application/zip", "zip", (), ("zip",)),
    ("application/gzip", "gzip", ("application/x-gzip",), ("gz",)),
)
SET: tuple[MimeType, ...] = tuple(MimeType(s, sym, syn) for s, sym, syn, _ in _REGISTERED)
LOOKUP: dict[str, MimeType] = {}
EXTENSION_LOOKUP: dict[str, MimeType] = {}
for _mime, (_s, _sym, _syn, _ext) in zip(SET, _REGISTERED, strict=True):
    for _name in (_s, *_syn):
        LOOKUP[_name] = _mime
    for _extension in (_sym, *_ext):
        EXTENSION_LOOKUP[_extension] = _mime
HTML = EXTENSION_LOOKUP["html"]
JS = EXTENSION_LOOKUP["js"]

# Ruby's "\s" inside a double-quoted string is a plain space, hence " *" in _PARAMETER.
_NAME = r"[a-zA-Z0-9][a-zA-Z0-9!#$&\-^_.+]{0,126}"
_PARAMETER = rf' *; *{_NAME}(?:="?{_NAME}"?)?'
_MIME = re.compile(rf"(?:\*/\*|{_NAME}/(?:\*|{_NAME})(?>\s*{_PARAMETER}\s*)*)\Z", re.ASCII)
_PARAMETER_SEPARATOR = re.compile(r';\s*\w+="?\w+"?', re.ASCII)
_TRAILING_STAR = re.compile(r"^(text|application)/\*", re.M)
_BROWSER_LIKE = re.compile(r",\s*\*/\*|\*/\*\s*,")
_BLANK = re.compile(r"[\s\x00]*\Z")  # String#blank?: whitespace only
_XHR = re.compile(r"XMLHttpRequest", re.I)


def lookup(string: str) -> MimeType:
    """``Mime::Type.lookup``: a registered type, else a new one if the string is valid."""
    found = LOOKUP.get(string)
    if found is not None:
        return found
    if not _MIME.match(string):
        raise InvalidMimeTypeError(f"{string!r} is not a valid MIME type")
    return MimeType(string)


def _ruby_split(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``String#split(regexp)``: trailing empty fields are dropped."""
    parts = pattern.split(text)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _trailing_star(text: str) -> list[MimeType] | None:
    match = _TRAILING_STAR.search(text)
    if match is None:
        return None
    return _STAR_TYPES[match.group(1)]


# what text/* and application/* expand to (every registered type naming "text"/"application")
_STAR_TYPES = {kind: [m for m in SET if m.matches(kind)] for kind in ("text", "application")}


def _ruby_to_f(text: str) -> float:
    """``String#to_f`` for the q values Rails reads: leading float, else 0.0."""
    match = re.match(r"\s*[+-]?(?:\d[\d_]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?", text, re.ASCII)  # Ruby's \d
    try:
        return float(match.group().replace("_", "")) if match and match.group().strip() else 0.0
    except ValueError:
        return 0.0


def parse_accept(header: str) -> list[MimeType]:
    """``Mime::Type.parse``: the types an Accept header lists, best first (raises on invalid)."""
    if "," not in header:
        parts = _ruby_split(header, _PARAMETER_SEPARATOR)
        if not parts:
            return []
        return _trailing_star(parts[0]) or [lookup(parts[0])]
    items: list[tuple[int, int, str]] = []  # (q*100, index, name)
    pieces: dict[str, list[tuple[int, str]]] = {}  # a repeated entry is read once
    split = _bounded(header).split(",")
    for piece in split:
        if piece not in pieces:
            pieces[piece] = _accept_item(piece)
    # a repeated item changes nothing (uniq! drops it), unless the +xml rule of
    # AcceptList.sort! can move it: then the XML types are all kept
    plus_xml = any(name.endswith("+xml") for read in pieces.values() for _, name in read)
    # a repeated entry adds nothing once read, unless it holds a type the +xml rule keeps
    again = {p for p, read in pieces.items() if plus_xml and any(_XML_SORTED.search(n) for _, n in read)}
    seen: set[tuple[int, str]] = set()
    done: set[str] = set()
    for piece in split:
        if piece in done and piece not in again:
            continue
        done.add(piece)
        for item in pieces[piece]:
            if item in seen:
                continue
            if not plus_xml or not _XML_SORTED.search(item[1]):
                seen.add(item)
            items.append((item[0], len(items), item[1]))
    items.sort(key=lambda item: (-item[0], item[1]))
    names = _sort_xml([[q, name] for q, _, name in items])
    return list(dict.fromkeys(map(lookup, names)))  # Array#uniq!, by hash: linear


# Puma refuses a request whose header section exceeds 112 KiB (puma_http11's MAX_HEADER_LENGTH),
# so no Accept entry that starts past it can reach Rails: the entries up to it are all read.
MAX_ACCEPT = 112 * 1024
_XML_SORTED = re.compile(r"\+xml\Z|\A(?:text|application)/xml\Z")


def _bounded(header: str) -> str:
    """The entries of ``header`` that start within ``MAX_ACCEPT`` characters."""
    if len(header) <= MAX_ACCEPT:
        return header
    return header[: header.index(",", MAX_ACCEPT)] if "," in header[MAX_ACCEPT:] else header


def _accept_item(piece: str) -> list[tuple[int, str]]:
    """One comma-separated entry as (q*100, name) pairs (``text/*`` names several types)."""
    split = _ruby_split(piece, _PARAMETER_SEPARATOR)
    params = split[0].strip() if split else ""
    if not params:
        return []
    q = _ruby_to_f(split[1]) if len(split) > 1 else None
    names = [m.string for m in _trailing_star(params) or []] or [params]
    return [
        (int((0.0 if q is None and name == "*/*" else 1.0 if q is None else q) * 100), name) for name in names
    ]


def _sort_xml(items: list[list[object]]) -> list[str]:
    """AcceptList.sort!'s XML rules: text/xml merges into application/xml, +xml types first."""
    names = [str(item[1]) for item in items]
    text_xml = names.index("text/xml") if "text/xml" in names else None
    app_xml = names.index("application/xml") if "application/xml" in names else None
    if text_xml is not None and app_xml is not None:
        items[app_xml][0] = max(int(str(items[text_xml][0])), int(str(items[app_xml][0])))
        if app_xml > text_xml:
            items[app_xml], items[text_xml] = items[text_xml], items[app_xml]
            app_xml, text_xml = text_xml, app_xml
        del items[text_xml]
    elif text_xml is not None:
        items[text_xml][1] = "application/xml"
    names = [str(item[1]) for item in items]
    app_xml = names.index("application/xml") if "application/xml" in names else None
    if app_xml is not None:
        app_q = int(str(items[app_xml][0]))
        idx = app_xml
        while idx < len(items):
            if int(str(items[idx][0])) < app_q:
                break
            if str(items[idx][1]).endswith("+xml"):
                items[app_xml], items[idx] = items[idx], items[app_xml]
                app_xml = idx
            idx += 1
    return [str(item[1]) for item in items]


@dataclass(frozen=True)
class Negotiation:
    """What ``request.formats`` decides for one request.

    ``format``: the first usable format's symbol (``"json"``, ``"xml"``, ``"yaml"``, ``"*/*"``
    …) or None; ``vary``: the ``Vary`` value a rendered answer carries (None when the format
    came from a parameter); ``invalid``: the Accept header cannot be parsed (406 in a controller);
    ``xml``: ``respond_to`` with json, xml and any (the 2015-08 controller) picks XML.
    """

    format: str | None
    vary: str | None
    invalid: bool = False
    xml: bool = False


def _first(formats: list[MimeType]) -> str | None:
    """``formats.select { symbol || ref == "*/*" }.first``, as a symbol."""
    for mime in formats:
        if mime.symbol is not None:
            return mime.symbol
        if mime.string == "*/*":
            return "*/*"
    return None


def _picks_xml(formats: list[MimeType]) -> bool:
    """``request.negotiate_mime([json, xml, ALL])``: the first of ``formats`` that is JSON, XML or
    ``*/*`` (which picks the first responder, JSON) decides; none of them: ``format.any``, JSON."""
    for mime in formats:
        if mime.symbol in ("json", "xml") or mime.string == "*/*":
            return mime.symbol == "xml"
    return False


def _blank(value: str | None) -> bool:
    return value is None or _BLANK.match(value) is not None


def negotiate(
    format_param: str | None,
    params_readable: bool,
    accept: str | None,
    path: str,
    requested_with: str | None = None,
) -> Negotiation:
    """``request.formats.first`` and the ``Vary`` header for one request.

    ``format_param`` is ``params[:format]`` (path suffix winning over ``?format=``; ``""`` counts
    as present, as in Ruby); ``params_readable`` is False when the query could not be parsed.
    """
    xhr = requested_with is not None and _XHR.search(requested_with) is not None
    vary_parts = ["Accept", "X-Requested-With"]
    if xhr and _blank(accept):
        vary_parts.insert(1, "Content-Type")
    vary = ", ".join(vary_parts)
    if params_readable and format_param is not None:
        found = EXTENSION_LOOKUP.get(format_param)
        return Negotiation(
            found.symbol if found else None, None, xml=found is not None and found.symbol == "xml"
        )
    present = accept is not None and not _blank(accept)
    if present and accept is not None and (xhr or not _BROWSER_LIKE.search(accept)):
        header = accept.strip(" \t\n\v\f\r\x00")
        try:
            formats = parse_accept(header) if header else []
            return Negotiation(_first(formats), vary, xml=_picks_xml(formats))
        except InvalidMimeTypeError:
            return Negotiation(None, vary, invalid=True)
    extension = re.search(r"\.(\w+)\Z", path, re.ASCII)
    if extension is not None:
        found = EXTENSION_LOOKUP.get(extension.group(1))
        if found is not None:
            return Negotiation(found.symbol, vary, xml=found.symbol == "xml")
    return Negotiation("js" if xhr else "html", vary)
