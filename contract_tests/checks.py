"""Assertions every test shares: response shape against ``schemas/``, Rails error bodies, and
a result compared with the oracle's bounds.

Failures are ``ContractViolationError`` (an AssertionError) with a title, the evidence, the rule
that was broken, and the curl line of every request involved.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .client import Response, short
from .oracle import DOC_VS_RANSACK, MODERN, Expectation, Record, Rules

JSON_TYPE = ("application/json", "utf-8")
Property = Callable[[Callable[..., None]], None]
Forall = Callable[..., Property]  # the ``forall`` fixture: ``@forall(strategy, examples=N)``
DENIED_BODY = b"HTTP Token: Access denied.\n"
CHALLENGE = 'Token realm="Application"'
REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


class ContractViolationError(AssertionError):
    """The endpoint broke the contract; the message says how and how to reproduce it."""

    raised = 0  # how many were ever raised: lets a property notice it has started shrinking

    def __init__(
        self, title: str, detail: str = "", responses: Iterable[Response] = (), rule: str = ""
    ) -> None:
        lines = [title]
        if detail:
            lines.append(detail)
        if rule:
            lines.append(f"rule: {rule}")
        seen: set[str] = set()
        for response in responses:
            if response.curl not in seen:
                seen.add(response.curl)
                lines.append(f"reproduce: {response.curl}")
        ContractViolationError.raised += 1
        super().__init__("\n".join(lines))


# --- schemas ------------------------------------------------------------------------------------


def schemas_dir() -> Path:
    """``schemas/`` of the source tree, else the copy packaged with the mock (read as data only)."""
    here = Path(__file__).resolve().parent.parent / "schemas"
    if (here / "record.schema.json").is_file():
        return here
    spec = importlib.util.find_spec("mockserver")  # locates the package without importing it
    for location in (spec.submodule_search_locations or []) if spec else []:
        packaged = Path(location) / "_data" / "schemas"
        if (packaged / "record.schema.json").is_file():
            return packaged
    raise FileNotFoundError("cannot find schemas/record.schema.json")


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    directory = schemas_dir()
    return {
        name: json.loads((directory / f"{name}.schema.json").read_text(encoding="utf-8"))
        for name in ("record", "list", "error")
    }


@functools.cache
def validator(name: str) -> Draft202012Validator:
    schemas = _schemas()
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )
    return Draft202012Validator(
        schemas[name], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@functools.cache
def record_keys() -> tuple[str, ...]:
    """The rendered fields in render order, as record.schema.json lists them."""
    return tuple(_schemas()["record"]["properties"])


def schema_errors(instance: object, name: str, limit: int = 5) -> list[str]:
    out = []
    for error in validator(name).iter_errors(instance):
        pointer = "".join(f"/{p}" for p in error.absolute_path) or "(document)"
        out.append(f"{pointer}: {error.message} [{error.validator} in {name}.schema.json]")
        if len(out) >= limit:
            break
    return out


@functools.cache
def _record_problems(text: str) -> tuple[str, ...]:
    """Schema and key-order problems of one record (cached: records repeat across answers)."""
    record = json.loads(text)
    problems = schema_errors(record, "record")
    if isinstance(record, dict) and tuple(record) != record_keys():
        problems.append(f"keys {list(record)} are not exactly {list(record_keys())} in that order")
    return tuple(problems)


def check_record_shape(record: object, response: Response, where: str = "") -> None:
    """One record: valid against record.schema.json, exactly its keys, in render order."""
    problems = _record_problems(json.dumps(record, ensure_ascii=False))
    if problems:
        raise ContractViolationError(
            f"record{where} breaks schemas/record.schema.json",
            f"record {json.dumps(record, ensure_ascii=False)[:400]}\n" + "\n".join(problems),
            [response],
            "every record has exactly the rendered fields, typed as the schema says",
        )


# --- responses ----------------------------------------------------------------------------------


def check_content_type(response: Response, media: str, charset: str | None) -> None:
    raw = response.header("Content-Type")
    parts = [p.strip() for p in (raw or "").split(";")]
    params = dict(p.lower().partition("=")[::2] for p in parts[1:] if p)
    ok = parts[0].lower() == media and (charset is None or params.get("charset", "").strip('"') == charset)
    if not ok:
        wanted = media + (f"; charset={charset}" if charset else "")
        raise ContractViolationError(
            f"Content-Type is {raw!r}, expected {wanted!r}", response.describe(), [response]
        )


def check_status(response: Response, status: int, why: str = "") -> None:
    if response.status != status:
        title = f"status {response.status}, expected {status}" + (f": {why}" if why else "")
        raise ContractViolationError(title, response.describe(), [response])


def json_body(response: Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ContractViolationError(
            f"the body is not valid UTF-8 JSON: {exc}", response.describe(), [response]
        ) from None


def check_list(response: Response) -> list[dict[str, Any]]:
    """A 200 index answer: JSON list of well-formed records, ids strictly descending."""
    check_status(response, 200, "an index request with a valid token")
    check_content_type(response, *JSON_TYPE)
    body = json_body(response)
    if not isinstance(body, list):
        raise ContractViolationError(
            "the index body is not a JSON array", response.describe(), [response], "schemas/list.schema.json"
        )
    for position, record in enumerate(body):
        check_record_shape(record, response, f" #{position}")
    ids = [r["id"] for r in body]
    for position in range(1, len(ids)):
        if ids[position] >= ids[position - 1]:
            raise ContractViolationError(
                "records are not ordered by id descending",
                f"id {ids[position - 1]} at #{position - 1} comes before id {ids[position]}; "
                f"ids {short(ids)}",
                [response],
                "the result order is id DESC (ORDER BY id DESC)",
            )
    return body


def check_rails_error(response: Response, status: int, why: str, rules: Rules = MODERN) -> None:
    """Rails' JSON error page: exactly ``{"status":N,"error":"Reason"}``, JSON content type
    (``"status":"N"``, a string, on Rails <= 4.2)."""
    check_status(response, status, why)
    check_content_type(response, *JSON_TYPE)
    body = json_body(response)
    expected: dict[str, Any] = {
        "status": str(status) if rules.string_error_status else status,
        "error": REASONS[status],
    }
    # error.schema.json describes today's integer status; a string one is checked as written
    problems = [] if rules.string_error_status else schema_errors(body, "error")
    if body != expected or list(body) != list(expected) or problems:
        generation = (
            'Rails <= 4.2 sends the status as a string ("404"; rails@0b81b3094a1 made it an integer)'
            if rules.string_error_status
            else "Rails >= 5.0 sends the status as an integer (a string means Rails <= 4.2)"
        )
        raise ContractViolationError(
            f"the {status} body is {response.body[:200]!r}, expected {json.dumps(expected)}",
            "\n".join([*problems, generation]),
            [response],
            "Rails renders errors as {status, error} in production",
        )


def check_denied(response: Response, why: str, rules: Rules = MODERN) -> None:
    """Rails' token-auth refusal: 401, the plain-text body and the Token challenge (on Rails
    <= 4.2 sent in the request's format: JSON for the suite's ``Accept: application/json``)."""
    check_status(response, 401, why)
    if response.body != DENIED_BODY:
        raise ContractViolationError(
            f"the 401 body is {response.body[:200]!r}, expected {DENIED_BODY!r}",
            why,
            [response],
            "authenticate_or_request_with_http_token",
        )
    if rules.unauthorized_as_format:
        check_content_type(response, "application/json", "utf-8")
    else:
        check_content_type(response, "text/plain", "utf-8")
    challenges = response.header_all("WWW-Authenticate")
    if challenges != [CHALLENGE]:
        raise ContractViolationError(
            f"WWW-Authenticate is {challenges!r}, expected [{CHALLENGE!r}]",
            why,
            [response],
            "authenticate_or_request_with_http_token",
        )


# --- results against the oracle -----------------------------------------------------------------


@dataclass
class Dataset:
    """The unfiltered index, read once: every expectation is computed from it."""

    response: Response
    records: list[dict[str, Any]]
    rules: Rules = MODERN  # the generation the suite asserts (generation.py)

    def __post_init__(self) -> None:
        self.by_id = {r["id"]: r for r in self.records}
        self.ids = [r["id"] for r in self.records]

    def values(self, attribute: str) -> list[Any]:
        """The distinct non-null values of a rendered attribute, sorted."""
        return sorted({r[attribute] for r in self.records if r.get(attribute) is not None})


def _describe_records(records: Sequence[Record], attributes: Sequence[str], limit: int = 5) -> str:
    shown = [
        ", ".join([f"id {r.get('id')}"] + [f"{a}={r.get(a)!r}" for a in attributes]) for r in records[:limit]
    ]
    more = f"\n    ... {len(records) - limit} more" if len(records) > limit else ""
    return "\n    " + "\n    ".join(shown) + more


def check_result(
    response: Response, dataset: Dataset, expectation: Expectation, query: object
) -> list[dict[str, Any]]:
    """The answer is a subsequence of the unfiltered index within the oracle's bounds (or the
    generation's 500, when one condition makes it fail)."""
    if expectation.error:
        check_rails_error(response, 500, f"{query}: {expectation.error}", dataset.rules)
        return []
    body = check_list(response)
    attributes = sorted(
        {a for c in expectation.conditions for a in c.filter.attributes if a in record_keys()}
    )
    unknown = [r for r in body if dataset.by_id.get(r["id"]) != r]
    if unknown:
        raise ContractViolationError(
            f"{query}: {len(unknown)} returned records differ from the same ids in the unfiltered index",
            "returned:" + _describe_records(unknown, list(record_keys())),
            [response, dataset.response],
            "a filter only selects records of the unfiltered index; it never adds or alters one",
        )
    got = {r["id"] for r in body}
    meanings = "\n  ".join(c.explain() for c in expectation.conditions) or "(no documented filter)"
    doc_notes = "\n  ".join(
        DOC_VS_RANSACK[c.filter.name]
        for c in expectation.conditions
        if c.filter.name in DOC_VS_RANSACK and not c.dropped
    )
    if doc_notes:
        meanings += "\n  doc vs Ransack: " + doc_notes
    missing = [dataset.by_id[i] for i in dataset.ids if i in expectation.must and i not in got]
    if missing:
        raise ContractViolationError(
            f"{query}: {len(missing)} matching records were not returned (incomplete)",
            f"Ransack reads the query as:\n  {meanings}\nmissing:{_describe_records(missing, attributes)}",
            [response],
            "completeness: every record of the unfiltered index that matches is returned",
        )
    extra = [r for r in body if r["id"] not in expectation.may]
    if extra:
        raise ContractViolationError(
            f"{query}: {len(extra)} returned records do not match (unsound)",
            f"Ransack reads the query as:\n  {meanings}\nunexpected:{_describe_records(extra, attributes)}",
            [response],
            "soundness: every returned record matches every condition",
        )
    return body


def check_same_list(response: Response, expected: Response, what: str) -> None:
    """Two index answers that must be the same records (e.g. an unknown parameter added), or
    the same error status."""
    if expected.status >= 400:
        check_status(response, expected.status, f"{what}: the other answer is {expected.status}")
        return
    got, want = check_list(response), check_list(expected)
    if got != want:
        gone = [i for i in [r["id"] for r in want] if i not in {r["id"] for r in got}]
        added = [i for i in [r["id"] for r in got] if i not in {r["id"] for r in want}]
        raise ContractViolationError(
            f"{what}: the answers differ",
            f"missing ids {short(gone)}, extra ids {short(added)}"
            if gone or added
            else "same ids, different record contents or order",
            [response, expected],
        )
