"""``mockserver validate``: check a JSON document (file, URL or stdin) against ``schemas/``; an
XML answer (2015-08) is read as Rails reads it and checked in its JSON form.

Every violation is printed with its JSON pointer, the offending value and the schema rule.
Exit codes: 0 valid, 1 violations, 2 unreadable input (missing file, network error, not JSON).

Big lists are screened item by item with a compiled validator (fastjsonschema, about fifty
times faster); only the items it rejects go through jsonschema (``schemas.iter_violations``),
which explains them. jsonschema stays the authority: the screen only decides which items
need explaining, and its date format is the same strict check. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import fastjsonschema
import orjson
from yarl import URL

from mockserver.errors import UsageError
from mockserver.schemas import SCHEMA_NAMES, Violation, detect_schema, iter_violations, load_schema
from mockserver.settings import api_token_from_environment
from mockserver.tools.bodies import is_xml, xml_document
from mockserver.tools.upstream import TOKEN_VARIABLE, Upstream, UpstreamError, add_client_options, scrub

PROGRESS_ITEMS = 20_000  # report progress on lists longer than this
PROGRESS_SECONDS = 1.0
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _is_date(value: str) -> bool:
    """The same date check as jsonschema's format checker: shape and a real calendar day."""
    if not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _item_schema(name: str) -> dict[str, Any]:
    """The schema each item of a ``list``/``fixture`` document must satisfy, self-contained."""
    schema = load_schema("record") if name == "list" else load_schema("fixture")["items"]
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id")}


def _screen(name: str) -> Callable[[Any], bool]:
    compiled = fastjsonschema.compile(_item_schema(name), formats={"date": _is_date})

    def ok(item: Any) -> bool:
        try:
            compiled(item)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return ok


def read_source(source: str, token: str | None, timeout: float) -> tuple[bytes, str]:
    """The bytes of a path, an http(s) URL or ``-`` (stdin), and a label for messages."""
    if source == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    if re.match(r"https?://", source):
        return asyncio.run(_read_url(source, token, timeout))
    try:
        return Path(source).read_bytes(), source
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from None


async def _read_url(source: str, token: str | None, timeout: float) -> tuple[bytes, str]:
    """GET ``source`` as given (no index URL added) through the one HTTP client."""
    url = URL(source.strip(), encoded=True)
    if not url.host:
        raise UsageError(f"cannot read {source}: not an http(s) URL with a host")
    try:
        async with Upstream(url.with_query(None), token, timeout=timeout, retries=0) as upstream:
            answer = await upstream.get(query=url.raw_query_string)
    except UpstreamError as exc:
        raise UsageError(f"cannot read {source}: {scrub(exc.reason, token)}") from None
    if answer.status == 401:
        how = "the token from --api-token or" if token else "no token; pass --api-token or set"
        raise UsageError(f"{source} answered 401 ({how} {TOKEN_VARIABLE})")
    # an error body is a document too
    return answer.body, source if answer.status < 400 else f"{source} ({answer.status})"


def parse_document(data: bytes, label: str) -> Any:
    """The JSON document, or an XML answer (Rails' ``to_xml``) in its JSON form (``bodies``)."""
    if is_xml(data):
        try:
            return xml_document(data)
        except ValueError as exc:
            raise UsageError(
                f"{label} is {exc}" if str(exc).startswith("not ") else f"{label}: {exc}"
            ) from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{label} is not JSON: {exc}") from None


def _shift(violation: Violation, index: int) -> Violation:
    return Violation(f"/{index}{violation.json_pointer}", violation.value, violation.rule, violation.message)


def violations(document: Any, name: str, err: TextIO | None = None) -> Iterator[Violation]:
    """Every violation of schema ``name``; lists are screened fast, with progress on ``err``."""
    if name not in ("list", "fixture") or not isinstance(document, list):
        yield from iter_violations(document, name)
        return
    item_name = "record" if name == "list" else None
    ok = _screen(name)
    total = len(document)
    started = last = time.monotonic()
    seen_ids: dict[object, int] = {}
    for index, item in enumerate(document):
        if not ok(item):
            if item_name:
                found = [_shift(v, index) for v in iter_violations(item, item_name)]
            else:  # fixture items are inline in the fixture schema: validate a one-item list
                found = [
                    _shift(Violation(v.json_pointer[len("/0") :], v.value, v.rule, v.message), index)
                    for v in iter_violations([item], "fixture")
                ]
            yield from found
        if name == "fixture" and isinstance(item, dict) and isinstance(item.get("id"), int):
            first = seen_ids.setdefault(item["id"], index)
            if first != index:
                yield Violation(
                    f"/{index}/id",
                    item["id"],
                    "unique ids (checked by the fixture loader)",
                    f"id {item['id']} is also the id of item {first}",
                )
        if err is not None and total > PROGRESS_ITEMS and time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            print(
                f"mockserver: validated {index + 1:,}/{total:,} items "
                f"({(index + 1) / total:.0%}, {last - started:.0f}s)",
                file=err,
                flush=True,
            )


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    token = args.api_token or api_token_from_environment()
    data, label = read_source(args.source, token, args.timeout)
    large = len(data) > 10_000_000
    if large:
        print(f"mockserver: parsing {label} ({len(data) / 1e6:.0f} MB)", file=err, flush=True)
    document = parse_document(data, label)
    name = args.schema or detect_schema(document)
    count = 0
    for violation in violations(document, name, err):
        count += 1
        print(
            f"{violation.json_pointer or '(document)'}: {violation.message}\n"
            f"    value: {_show(violation.value)}\n    rule:  {violation.rule}",
            file=out,
        )
    size = f", {len(document):,} items" if isinstance(document, list) else ""
    how = "given" if args.schema else "detected"
    if count:
        print(
            f"mockserver: {label}: {count} violation{'s' * (count != 1)} of the {name} schema ({how}{size})",
            file=out,
        )
        return 1
    print(f"mockserver: {label}: valid against the {name} schema ({how}{size})", file=out)
    return 0


def register(subparsers: Any) -> None:
    """Add ``validate`` to the CLI."""
    p = subparsers.add_parser(
        "validate",
        help="validate a JSON (or Rails XML) document against schemas/",
        description="Validate a record, index list, error body or fixture file against the JSON "
        "Schemas. Prints each violation's JSON pointer, value and rule; exit 1 on "
        "violations, 2 on unreadable input.",
    )
    p.add_argument("source", metavar="SOURCE", help="a file's PATH, an http(s) URL, or - for stdin")
    p.add_argument(
        "--schema", choices=SCHEMA_NAMES, help="schema to check against (default: detected from the document)"
    )
    add_client_options(p, "timeout", token_use=" sent when SOURCE is a URL")
    p.set_defaults(run=cmd_validate)
