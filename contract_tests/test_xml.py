"""XML answers (the 2015-08 revision): index and show in Rails' ``to_xml``, field by field the
JSON answer of the same request, and XML error bodies. Against a 2015-02 endpoint ``.xml``
answers the JSON itself, which is checked instead."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from typing import Any

from .checks import (
    ContractViolationError,
    Dataset,
    _schemas,
    check_content_type,
    check_list,
    check_status,
    json_body,
)
from .client import Client, Response
from .revision import EARLIER, api_revision

__all__ = ["api_revision"]  # the fixture, imported for pytest

ERROR_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<hash>\n'
    '  <status type="integer">{status}</status>\n  <error>{error}</error>\n</hash>\n'
)


@cache
def xml_types() -> dict[str, str | None]:
    """The ``type`` attribute Rails writes per field, from the record schema's JSON types."""
    types: dict[str, str | None] = {}
    for name, spec in _schemas()["record"]["properties"].items():
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        if "integer" in kinds:
            types[name] = "integer"
        elif spec.get("format") == "date":
            types[name] = "date"
        elif "pattern" in spec and "." in spec["pattern"]:
            types[name] = "decimal"
        else:
            types[name] = None
    return types


def _parse(response: Response) -> ET.Element:
    try:
        return ET.fromstring(response.body)
    except ET.ParseError as exc:
        raise ContractViolationError(
            f"the XML answer is not well-formed: {exc}", response.describe(), [response]
        ) from None


def _fail(response: Response, json_answer: Response, what: str) -> ContractViolationError:
    return ContractViolationError(
        what,
        "",
        [response, json_answer],
        "an XML answer holds the JSON answer's fields, typed as to_xml types them",
    )


def check_record_xml(
    element: ET.Element, record: dict[str, Any], response: Response, json_answer: Response
) -> None:
    """Check one ``<train-session>`` against the JSON record: names, values, types and nils."""
    if element.tag != "train-session":
        raise _fail(response, json_answer, f"an XML record is <{element.tag}>, not <train-session>")
    children = {child.tag: child for child in element}
    expected = {name.replace("_", "-") for name in record}
    if set(children) != expected or len(children) != len(element):
        raise _fail(
            response,
            json_answer,
            f"record {record.get('id')}: XML elements {sorted(children)} != JSON keys {sorted(expected)}",
        )
    for name, value in record.items():
        child = children[name.replace("_", "-")]
        kind = xml_types().get(name)
        if child.get("type") != kind:
            raise _fail(
                response,
                json_answer,
                f"record {record['id']} <{child.tag}> type={child.get('type')!r}, expected {kind!r}",
            )
        if value is None:
            if child.get("nil") != "true" or (child.text or "") != "":
                raise _fail(
                    response, json_answer, f'record {record["id"]} <{child.tag}>: JSON null but no nil="true"'
                )
            continue
        if child.get("nil") is not None:
            raise _fail(
                response, json_answer, f"record {record['id']} <{child.tag}> is nil, JSON has {value!r}"
            )
        text = child.text or ""
        if text != str(value):
            raise _fail(response, json_answer, f"record {record['id']} <{child.tag}>{text!r}, JSON {value!r}")


def _xml_and_json(client: Client, query: str) -> tuple[Response, Response]:
    """Both answers, fresh (an unassign run with --allow-writes may have changed the data)."""
    return client.index(query, suffix=".xml", fresh=True), client.index(query, fresh=True)


def test_xml_index_is_the_json_index(client: Client, dataset: Dataset, api_revision: str) -> None:
    """Check that the index's .xml lists the JSON index's records, field by field (2015-02: the JSON)."""
    for query in ("", "score_eq=-1", "full_name_cont=a"):
        xml_answer, json_answer = _xml_and_json(client, query)
        check_status(xml_answer, 200, "the index as .xml with a valid token")
        records = check_list(json_answer)
        if api_revision == EARLIER:
            check_content_type(xml_answer, "application/json", "utf-8")
            if json_body(xml_answer) != records:
                raise _fail(xml_answer, json_answer, "2015-02: .xml answers other JSON than the index")
            continue
        check_content_type(xml_answer, "application/xml", "utf-8")
        root = _parse(xml_answer)
        if not records:
            if root.tag != "nil-classes" or root.get("type") != "array" or len(root):
                raise _fail(
                    xml_answer,
                    json_answer,
                    f'an empty index is <{root.tag}>, not <nil-classes type="array"/>',
                )
            continue
        if root.tag != "train-sessions" or root.get("type") != "array":
            raise _fail(
                xml_answer, json_answer, f"the index's root is <{root.tag} type={root.get('type')!r}>"
            )
        if len(root) != len(records):
            raise _fail(xml_answer, json_answer, f"{len(root)} XML records, {len(records)} JSON records")
        for element, record in zip(root, records, strict=True):
            check_record_xml(element, record, xml_answer, json_answer)


def test_xml_show_is_the_json_show(client: Client, dataset: Dataset, api_revision: str) -> None:
    """Check that show's .xml is the JSON record, field by field, for a few listed ids."""
    listed = check_list(client.index(fresh=True))  # fresh: unassign (--allow-writes) may have run
    for record in listed[:: max(1, len(listed) // 5)][:6]:
        xml_answer = client.show(f"{record['id']}.xml", fresh=True)
        json_answer = client.show(str(record["id"]), fresh=True)
        check_status(xml_answer, 200, f"show {record['id']}.xml: the index lists it")
        if api_revision == EARLIER:
            if json_body(xml_answer) != json_body(json_answer):
                raise _fail(xml_answer, json_answer, "2015-02: show's .xml answers other JSON than show")
            continue
        check_content_type(xml_answer, "application/xml", "utf-8")
        check_record_xml(_parse(xml_answer), json_body(json_answer), xml_answer, json_answer)


def test_xml_errors(client: Client, dataset: Dataset, api_revision: str) -> None:
    """Check Rails' XML error body for a missing record, and that a refused token stays plain text."""
    missing = max(dataset.ids, default=0) + 1  # above every id ever listed
    response = client.show(f"{missing}.xml")
    check_status(response, 404, f"id {missing} is not listed")
    check_content_type(response, "application/xml", "utf-8")
    expected = ERROR_XML.format(status=404, error="Not Found").encode()
    untyped = expected.replace(b' type="integer"', b"")  # Rails <= 4.2 writes the status as a string
    if response.body not in (expected, untyped):
        raise ContractViolationError(
            "the XML 404 body is not Rails' PublicExceptions hash",
            response.describe(),
            [response],
            f"expected {expected!r}",
        )
    denied = client.index(suffix=".xml", authorization='Token token="contract-suite-wrong-token"')
    check_status(denied, 401, "a wrong token")
    if denied.body != b"HTTP Token: Access denied.\n":
        raise ContractViolationError(
            "a refused .xml request is not Rails' plain 401", denied.describe(), [denied]
        )
