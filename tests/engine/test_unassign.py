"""The pure unassign engine: body parameters, Rails' require and casts, the row test."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from mockserver.engine.unassign import Unassign, body_params, parse_unassign, request_params
from mockserver.engine.xmlparams import from_xml
from mockserver.errors import BadRequestError, InternalServerError
from mockserver.generate import generate_records

RECORDS = generate_records(16, 80)
DOC_XML = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n<content>\n  <course-codes type='array'>\n"
    b"    <course-code>JHSC</course-code> \n  </course-codes>\n"
    b"  <login-id type='integer'>1</login-id>\n</content>"
)


def test_the_documented_xml_body() -> None:
    """Check that the doc's <content> body arrives as params[:content] with underscored keys."""
    assert from_xml(DOC_XML) == {"content": {"course_codes": ["JHSC"], "login_id": 1}}


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (b"<a><b type='array'/></a>", {"a": {"b": []}}),
        (b"<a><b type='array'><c>1</c><c>2</c></b></a>", {"a": {"b": ["1", "2"]}}),
        (b"<a><b><c>1</c></b></a>", {"a": {"b": {"c": "1"}}}),
        (b"<a><b>1</b><b>2</b></a>", {"a": {"b": ["1", "2"]}}),
        (b"<a><b nil='true'/></a>", {"a": {"b": None}}),
        (b"<a><b type='integer'/></a>", {"a": {"b": None}}),
        (b"<a><b type='string'/></a>", {"a": {"b": ""}}),
        (b"<a><b type='boolean'> true </b></a>", {"a": {"b": True}}),
        (b"<a><b type='integer'>12abc</b></a>", {"a": {"b": 12}}),
        (b"<a><b type='decimal'>1.50</b></a>", {"a": {"b": Decimal("1.50")}}),
        (b"<a><b><![CDATA[x&y]]></b></a>", {"a": {"b": "x&y"}}),
        (b"<a x-y='1'/>", {"a": {"x_y": "1"}}),
        (b"<a/>", {"a": None}),
        (b"<!DOCTYPE a [<!ENTITY e 'FP'>]><a><b>&e;</b></a>", {"a": {"b": "FP"}}),
    ],
)
def test_from_xml_table(xml: bytes, expected: dict[str, Any]) -> None:
    """Check Hash.from_xml's conversions (typecasts, arrays, nil, empty strings)."""
    assert from_xml(xml) == expected


@pytest.mark.parametrize(
    "xml",
    [
        b"<a><b type='yaml'>x</b></a>",
        b"<a><b type='symbol'>x</b></a>",
        b"<a><b>",
        b"   ",
        b"<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>",
        b"<!DOCTYPE a [<!ENTITY e '" + b"x" * 200 + b"'>]><a>" + b"&e;" * 60 + b"</a>",
        b"<a>" * 101 + b"</a>" * 101,
    ],
)
def test_from_xml_refuses(xml: bytes) -> None:
    """Check that what Rails' XML parser refuses is a 400 (ParseError)."""
    with pytest.raises(BadRequestError):
        from_xml(xml)


def test_body_kinds() -> None:
    """Check which Content-Types are parsed: JSON (wrapped when not an object), form, XML; not text/plain."""
    assert body_params("application/json; charset=utf-8", b'{"a": [1, null]}') == {"a": [1]}
    assert body_params("application/json", b"[1]") == {"_json": [1]}
    assert body_params("application/x-www-form-urlencoded", b"a[]=1&a[]=2") == {"a": ["1", "2"]}
    assert body_params("text/plain", b'{"a": 1}') == {}
    assert body_params(None, b"a=1") == {}
    assert body_params("application/xml", b"<a>1</a>", xml=False) == {}
    assert request_params("application/json", b'{"a": 1, "b": 2}', b"a=3") == {"a": "3", "b": 2}
    commented = b'{"a": /* Ruby skips this */ "/* kept */", // and this\n "b": "//"}'
    assert body_params("application/json", commented) == {"a": "/* kept */", "b": "//"}
    with pytest.raises(BadRequestError):
        body_params("application/json", b"{")
    with pytest.raises(BadRequestError):
        body_params("application/json", b"NaN")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"course_codes": ["FP"], "login_id": "12abc"}, Unassign(frozenset({"FP"}), frozenset({12}))),
        ({"course_codes": "FP", "login_id": 12.5}, Unassign(frozenset({"FP"}), frozenset({12}))),
        ({"course_codes": [["FP"]], "login_id": True}, Unassign(frozenset({"FP"}), frozenset({1}))),
        (
            {"course_codes": [1, True], "login_id": [2, "3"]},
            Unassign(frozenset({"1", "t"}), frozenset({2, 3})),
        ),
        ({"course_codes": ["FP"], "login_id": False}, Unassign(frozenset({"FP"}), frozenset({0}))),
        ({"course_codes": [{"a": 1}], "login_id": 2**40}, Unassign(frozenset(), frozenset())),
        ({"content": {"course_codes": ["FP"], "login_id": 1}}, Unassign(frozenset({"FP"}), frozenset({1}))),
    ],
)
def test_casts(params: dict[str, Any], expected: Unassign) -> None:
    """Check the integer and string casts of the where clause, as the stand-in answers them."""
    assert parse_unassign(params) == expected


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"login_id": 1}, BadRequestError),
        ({"course_codes": " ", "login_id": 1}, BadRequestError),
        ({"course_codes": ["FP"], "login_id": None}, BadRequestError),
        ({"content": None, "course_codes": ["FP"], "login_id": 1}, BadRequestError),
        ({"content": ["x"]}, InternalServerError),
        ({"course_codes": {"a": 1}, "login_id": 1}, InternalServerError),
        ({"course_codes": ["A\x00"], "login_id": 1}, InternalServerError),
    ],
)
def test_errors(params: dict[str, Any], error: type[Exception]) -> None:
    """Check ParameterMissing (400) and the 500s of casting a hash or a NUL."""
    with pytest.raises(error):
        parse_unassign(params)


@given(st.data())
def test_select_is_the_join(data: st.DataObject) -> None:
    """Check that the selected ids are exactly the records with a listed login and course code."""
    logins = data.draw(
        st.lists(
            st.sampled_from([r["assignee_login_id"] for r in RECORDS if r["assignee_login_id"]] + [0]),
            min_size=1,
        )
    )
    codes = data.draw(st.lists(st.sampled_from([r["course_code"] for r in RECORDS] + ["ZZ"]), min_size=1))
    note(f"logins={logins} codes={codes}")
    body = json.dumps({"course_codes": codes, "login_id": logins}).encode()
    wanted = parse_unassign(body_params("application/json", body))
    expected = [r["id"] for r in RECORDS if r["assignee_login_id"] in logins and r["course_code"] in codes]
    assert wanted.select(RECORDS) == expected
