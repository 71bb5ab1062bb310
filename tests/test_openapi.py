"""The OpenAPI document: valid, built from the model, and obeyed by every answer the mock gives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from jsonschema_path import SchemaPath
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from yarl import URL

from mockserver.cli import main
from mockserver.generate import generate_records
from mockserver.model import FILTERS, Kind
from mockserver.openapi import build_control_openapi, build_openapi
from mockserver.schemas import SCHEMA_NAMES, load_schema, schema_id
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

from .conftest import AppClientFactory

DOC = build_openapi()
DOC_URI = "urn:mockserver:openapi"
CONTROL_DOC = build_control_openapi()
CONTROL_URI = "urn:mockserver:control-openapi"
AUTH = {"Authorization": 'Token token="dev-token"'}
INDEX_PATHS = ("/api/train_sessions", "/api/train_sessions.json")
SHOW_PATHS = ("/api/train_sessions/{id}", "/api/train_sessions/{id}.json")
RECORDS = generate_records(4, 30)


def _offline(uri: str) -> Any:
    """The committed schema a ``$ref`` names by ``$id``: nothing is fetched."""
    return {schema_id(n): load_schema(n) for n in SCHEMA_NAMES}[uri.partition("#")[0]]


def _registry() -> Registry[Any]:
    resources = [(schema_id(n), Resource.from_contents(load_schema(n))) for n in SCHEMA_NAMES]
    resources.append((DOC_URI, DRAFT202012.create_resource(DOC)))
    resources.append((CONTROL_URI, DRAFT202012.create_resource(CONTROL_DOC)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


# --- the document itself ------------------------------------------------------------------------


@pytest.mark.parametrize("document", [DOC, CONTROL_DOC], ids=["api", "control"])
def test_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    """Check that openapi-spec-validator finds no error, resolving the $id refs offline."""
    spec = SchemaPath.from_dict(document, handlers={"https": _offline, "http": _offline})
    assert [str(e) for e in OpenAPIV31SpecValidator(spec).iter_errors()] == []


def test_api_document_holds_no_control_operation() -> None:
    """Check that /openapi.json offers a fuzzer nothing under /__mockserver/ (its stateful phase
    injected faults there) and no write but the vendor's own unassign (2015-08)."""
    assert [p for p in DOC["paths"] if p.startswith("/__mockserver")] == []
    writes = {path for path, item in DOC["paths"].items() for method in item if method != "get"}
    assert writes == {f"/api/train_sessions/unassign{s}" for s in ("", ".json", ".xml")}
    assert "mockserver control" not in json.dumps(DOC)


def test_embedded_schemas_are_the_committed_files() -> None:
    """Check that components hold the schemas/ files verbatim, $id included, and bodies use $id."""
    embedded = DOC["components"]["schemas"]
    for name in SCHEMA_NAMES:
        [found] = [s for s in embedded.values() if s.get("$id") == schema_id(name)]
        assert found == load_schema(name)
    text = json.dumps(DOC["paths"])
    for name in ("list", "record", "error"):
        assert json.dumps({"$ref": schema_id(name)}) in text
    assert "#/components/schemas/TrainSession" not in text


@pytest.mark.parametrize("path", INDEX_PATHS)
def test_every_filter_is_a_parameter(path: str) -> None:
    """Check that both index routes list every model filter with its doc and Ransack text."""
    operation = DOC["paths"][path]["get"]
    names = [p["$ref"].rpartition("/")[2] for p in operation["parameters"]]
    assert names == [f.name for f in FILTERS]
    for flt in FILTERS:
        parameter = DOC["components"]["parameters"][flt.name]
        assert (parameter["name"], parameter["in"], parameter["required"]) == (flt.name, "query", False)
        assert flt.doc in parameter["description"] and flt.ransack in parameter["description"]
        assert parameter["schema"]["type"] == "string"  # never an array: see the next test
        assert parameter["x-ransack-predicate"] == flt.predicate.value


def test_auth_schemes_and_401() -> None:
    """Check the token auth schemes and the plain-text 401 with its challenge header."""
    schemes = DOC["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert 'Token token="' in schemes["tokenAuth"]["description"]
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    unauthorized = DOC["components"]["responses"]["Unauthorized"]
    assert list(unauthorized["content"]) == ["text/plain"]
    assert "WWW-Authenticate" in unauthorized["headers"]
    for path in (*INDEX_PATHS, *SHOW_PATHS):
        assert DOC["paths"][path]["get"]["security"] == [{"tokenAuth": []}, {"bearerAuth": []}]


def test_control_api_is_documented_under_its_own_tag() -> None:
    """Check that every control endpoint and method is in the control document, tagged."""
    from mockserver.server.control import ENDPOINTS

    assert sorted(CONTROL_DOC["paths"]) == sorted(f"/__mockserver/{name}" for name in ENDPOINTS)
    for name, methods in ENDPOINTS.items():
        item = CONTROL_DOC["paths"][f"/__mockserver/{name}"]
        assert sorted(item) == sorted(m.lower() for m in methods)
        assert all(op["tags"] == ["mockserver control"] for op in item.values())


# --- what the document allows never hits a 500 ------------------------------------------------------


def _allows(schema: dict[str, Any], value: object) -> bool:
    return Draft202012Validator(schema).is_valid(value)


@pytest.mark.parametrize("flt", FILTERS, ids=[f.name for f in FILTERS])
async def test_document_excludes_the_live_500s(flt: Any, client: TestClient) -> None:
    """Check that inputs answering 500 (arrays for integers, NUL in strings) are not allowed."""
    schema = DOC["components"]["parameters"][flt.name]["schema"]
    assert not _allows(schema, ["80"])
    if flt.kind is Kind.INT:
        response = await client.get(f"/api/train_sessions?{flt.name}[]=80", headers=AUTH)
        assert response.status == 500
    if flt.kind is Kind.STR:
        assert not _allows(schema, "a\x00b")
        assert _allows(schema, "O'Brien %_\\.")
        response = await client.get(f"/api/train_sessions?{flt.name}=a%00b", headers=AUTH)
        assert response.status == 500
    else:  # NUL is harmless for integer and date casts, so it stays allowed there
        response = await client.get(f"/api/train_sessions?{flt.name}=8%000", headers=AUTH)
        assert response.status == 200


# --- the mock conforms to its own document --------------------------------------------------------


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    settings = Settings(access_log=False)
    async with TestClient(TestServer(create_app(settings, Store(RECORDS)))) as client:
        yield client


def _document(template: str) -> tuple[dict[str, Any], str]:
    """The document that describes ``template``, and its URI in REGISTRY."""
    return (CONTROL_DOC, CONTROL_URI) if template.startswith("/__mockserver/") else (DOC, DOC_URI)


def _response_spec(template: str, method: str, status: int) -> tuple[dict[str, Any], str]:
    """The response object for ``status`` (following a components $ref) and its pointer."""
    doc = _document(template)[0]
    responses = doc["paths"][template][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {template} answered undocumented {status}"
    pointer = _pointer("paths", template, method, "responses", str(status))
    spec = responses[str(status)]
    if "$ref" in spec:
        pointer = spec["$ref"].removeprefix("#")
        spec = doc["components"]["responses"][pointer.rpartition("/")[2]]
    return spec, pointer


async def _conforms(
    client: TestClient,
    method: str,
    target: str,
    template: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> int:
    """Send one request and check its answer against the document; returns the status."""
    if method != "get" and body is None:  # control writes need it, body or not (server/guard.py)
        headers = {**(headers or {}), "Content-Type": "application/json"}
    headers = {"Accept": "application/json", **(headers or {})}  # the document describes JSON errors
    response = await client.request(method.upper(), URL(target, encoded=True), headers=headers, json=body)
    spec, pointer = _response_spec(template, method, response.status)
    raw = await response.read()
    if "content" not in spec:
        assert raw == b""
        return response.status
    media_type = response.headers["Content-Type"].partition(";")[0]
    assert media_type in spec["content"], (target, media_type)
    instance: Any = raw.decode() if media_type == "text/plain" else json.loads(raw)
    schema_pointer = pointer + _pointer("content", media_type, "schema")
    validator = Draft202012Validator(
        {"$ref": f"{_document(template)[1]}#{schema_pointer}"},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    assert [e.message for e in validator.iter_errors(instance)] == [], target
    for name, header in spec.get("headers", {}).items():
        header = (
            DOC["components"]["headers"][header["$ref"].rpartition("/")[2]] if "$ref" in header else header
        )
        if header.get("required"):
            assert _allows(header["schema"], response.headers[name])
    return response.status


API_CASES = [
    ("/api/train_sessions", INDEX_PATHS[0], AUTH, 200),
    ("/api/train_sessions?score_eq=80&full_name_cont=a&bogus=1", INDEX_PATHS[0], AUTH, 200),
    ("/api/train_sessions.json?completion_date_gteq=2015-01-01", INDEX_PATHS[1], AUTH, 200),
    ("/api/train_sessions?full_name_cont=%ZZ", INDEX_PATHS[0], AUTH, 400),
    ("/api/train_sessions.json?full_name_cont=%FF", INDEX_PATHS[1], AUTH, 400),
    ("/api/train_sessions", INDEX_PATHS[0], None, 401),
    ("/api/train_sessions.json", INDEX_PATHS[1], {"Authorization": "Token token=x"}, 401),
    ("/api/train_sessions?score_eq[]=1", INDEX_PATHS[0], AUTH, 500),
    ("/api/train_sessions.json?full_name_cont=a%00b", INDEX_PATHS[1], AUTH, 500),
    (f"/api/train_sessions/{RECORDS[0]['id']}", SHOW_PATHS[0], AUTH, 200),
    (f"/api/train_sessions/{RECORDS[0]['id']}.json", SHOW_PATHS[1], AUTH, 200),
    ("/api/train_sessions/999999", SHOW_PATHS[0], AUTH, 404),
    ("/api/train_sessions/999999.json", SHOW_PATHS[1], AUTH, 404),
    ("/api/train_sessions/1?x=%ZZ", SHOW_PATHS[0], AUTH, 400),
    ("/api/train_sessions/1", SHOW_PATHS[0], None, 401),
    ("/api/train_sessions/1.json", SHOW_PATHS[1], {"Authorization": "Bearer nope"}, 401),
]


@pytest.mark.parametrize(
    ("target", "template", "headers", "status"), API_CASES, ids=[f"{c[3]}-{c[0]}" for c in API_CASES]
)
async def test_api_answers_conform(
    client: TestClient, target: str, template: str, headers: dict[str, str] | None, status: int
) -> None:
    """Check that each status every API route gives matches the document's response for it."""
    assert await _conforms(client, "get", target, template, headers) == status


async def test_control_answers_conform(client: TestClient) -> None:
    """Check that the control API's answers, errors included, match the document."""
    record = {**RECORDS[0], "id": 5001}

    async def check(method: str, name: str, status: int, body: Any = None, target: str | None = None) -> None:
        template = f"/__mockserver/{name}"
        got = await _conforms(client, method, target or template, template, body=body)
        assert got == status, (method, name)

    await client.get("/api/train_sessions", headers=AUTH)
    await check("get", "health", 200)
    await check("get", "records", 200)
    await check("put", "records", 200, RECORDS)
    await check("put", "records", 422, [{"id": "x"}])
    await check("post", "records", 201, record)
    await check("post", "records", 409, record)  # already served: a conflict
    await check("put", "records", 409, [record, record])
    await check("get", "requests", 200)
    await check("get", "requests", 400, target="/__mockserver/requests?limit=-1")
    await check("delete", "requests", 200)
    await check("post", "faults", 201, {"status": 503, "path": "/api/*"})
    await check("post", "faults", 422, {"status": 200})
    await check("get", "faults", 200)
    await check("delete", "faults", 200)
    await check("post", "reset", 200)


async def test_control_refusals_conform() -> None:
    """Check the documented 403 and 409 answers of the control API."""
    for settings, status in (
        (Settings(host="0.0.0.0", access_log=False), 403),
        (Settings(workers=2, access_log=False), 409),
    ):
        async with TestClient(TestServer(create_app(settings, Store(RECORDS)))) as client:
            got = await _conforms(client, "post", "/__mockserver/reset", "/__mockserver/reset")
            assert got == status


async def test_served_control_document_is_the_built_one(client: TestClient) -> None:
    """Check that GET /__mockserver/openapi.json serves the control document, naming this server."""
    response = await client.get("/__mockserver/openapi.json")
    assert response.status == 200
    served = await response.json()
    assert served["servers"] == [{"url": f"http://{client.host}:{client.port}"}]
    assert {**served, "servers": CONTROL_DOC["servers"]} == json.loads(json.dumps(CONTROL_DOC))
    template = "/__mockserver/openapi.json"
    assert await _conforms(client, "get", template, template) == 200


async def test_served_document_is_the_built_one(client: TestClient) -> None:
    """Check that GET /openapi.json needs no token and serves the document, naming this server."""
    response = await client.get("/openapi.json")
    assert response.status == 200
    served = await response.json()
    assert served["servers"] == [{"url": f"http://{client.host}:{client.port}"}]
    assert {**served, "servers": DOC["servers"]} == json.loads(json.dumps(DOC))
    assert await _conforms(client, "get", "/openapi.json", "/openapi.json") == 200


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_writes_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that 'mockserver openapi' prints the document and --out writes the same text."""
    assert main(["openapi"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == json.loads(json.dumps(DOC))
    target = tmp_path / "openapi.json"
    assert main(["openapi", "--out", str(target), "--server", "http://mock:9"]) == 0
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["servers"][0]["url"] == "http://mock:9"
    assert "wrote the OpenAPI document" in capsys.readouterr().err


def test_cli_writes_the_control_document(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that 'mockserver openapi --control' prints the control API's document."""
    assert main(["openapi", "--control", "--server", "http://mock:9"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(build_control_openapi("http://mock:9")))
    assert "/__mockserver/faults" in printed["paths"] and "/api/train_sessions" not in printed["paths"]


def test_cli_reports_an_unwritable_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that an unwritable --out is a usage error (exit 2, one line, no traceback)."""
    assert main(["openapi", "--out", str(tmp_path / "missing" / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mockserver: error: cannot write") and "Traceback" not in err


def test_control_document_allows_partial_records_and_bounds_faults() -> None:
    """Check that the POST records body allows what the endpoint accepts (partial records) and
    refuses what it refuses (unknown keys), and that fault numbers are bounded as the server
    bounds them."""
    body = CONTROL_DOC["paths"]["/__mockserver/records"]["post"]["requestBody"]["content"]
    validator = Draft202012Validator(
        {
            "$ref": f"{CONTROL_URI}#"
            + _pointer(
                "paths",
                "/__mockserver/records",
                "post",
                "requestBody",
                "content",
                "application/json",
                "schema",
            )
        },
        registry=REGISTRY,
    )
    assert "application/json" in body
    assert validator.is_valid({"full_name": "Ada Lovelace"})
    assert validator.is_valid([{"score": 7}, {}])
    assert not validator.is_valid({"scor": 7})
    fault = CONTROL_DOC["components"]["schemas"]["Fault"]["properties"]
    assert fault["delay_ms"]["maximum"] == 3_600_000


def test_openapi_out_replaces_a_symlink(tmp_path: Path) -> None:
    """Check that --out planted as a symlink is replaced by the document, its target untouched."""
    from mockserver.cli import main

    victim = tmp_path / "victim"
    victim.write_text("keep me")
    out = tmp_path / "openapi.json"
    out.symlink_to(victim)
    assert main(["openapi", "--out", str(out)]) == 0
    assert victim.read_text() == "keep me" and not out.is_symlink()
    assert json.loads(out.read_text())["openapi"].startswith("3.1")


def test_xml_is_documented_in_the_2015_08_revision_only() -> None:
    """Check that the default document offers application/xml (the schemas' XML form) and the
    .xml paths, and the 2015-02 one neither."""
    from mockserver.revisions import revision_named

    later, earlier = build_openapi(), build_openapi(revision=revision_named("2015-02"))
    assert later["info"]["x-api-revision"] == "2015-08" and earlier["info"]["x-api-revision"] == "2015-02"
    for path in ("/api/train_sessions", "/api/train_sessions/{id}"):
        content = later["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "application/xml"}
        assert content["application/xml"]["schema"] == content["application/json"]["schema"]
        assert set(earlier["paths"][path]["get"]["responses"]["200"]["content"]) == {"application/json"}
    assert {"/api/train_sessions.xml", "/api/train_sessions/{id}.xml"} <= set(later["paths"])
    assert not any(p.endswith(".xml") for p in earlier["paths"])


def test_openapi_command_and_served_document_follow_the_revision(capsys: pytest.CaptureFixture[str]) -> None:
    """Check 'mockserver openapi --api-revision 2015-02' and that a bad name is one error line."""
    assert main(["openapi", "--api-revision", "2015-02"]) == 0
    assert json.loads(capsys.readouterr().out)["info"]["x-api-revision"] == "2015-02"
    assert main(["openapi", "--api-revision", "1999-01"]) == 2
    assert capsys.readouterr().err.startswith("mockserver: error: --api-revision '1999-01'")


async def test_served_document_names_the_served_revision(app_clients: AppClientFactory) -> None:
    """Check that GET /openapi.json of a 2015-02 server describes 2015-02."""
    client = await app_clients([], api_revision="2015-02")
    document = await (await client.get("/openapi.json")).json()
    assert document["info"]["x-api-revision"] == "2015-02"
    assert "/api/train_sessions.xml" not in document["paths"]
