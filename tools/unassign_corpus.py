"""Build and record the unassign replay corpus from the Rails stand-in (STANDIN_API=2015-08).

    python3 tools/unassign_corpus.py --write-fixtures /tmp/unassign-fixtures.json
    ruby $S/load_fixtures.rb /tmp/unassign-fixtures.json unassign16                  # fresh data
    python3 tools/unassign_corpus.py --rails http://127.0.0.1:29211 --seed 16 \
        --out tests/data/unassign/cases-seed16.jsonl.gz

The cases are drawn from the seed and the fixture file (same seed, same file: same cases) and
sent in order, each on a fresh connection, to one stand-in whose database was just loaded:
unassign removes rows, so the sequence is the unit (a later case may find nothing because an
earlier one removed it, and index requests between them show what is left). Stdlib only.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import socket
import sys
import urllib.parse
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "data" / "rails-differential" / "fixtures.json"
TOKENS = ["standin-token", "other-token"]
ODD_LOGINS: list[Any] = [
    "12abc",
    12.5,
    True,
    False,
    "abc",
    None,
    "",
    [],
    [None],
    {"a": 1},
    {},
    2**40,
    -1,
    0,
    " 3",
    "0x1f",
]
ODD_CODES: list[Any] = [
    None,
    "",
    [],
    [None],
    {"a": 1},
    [{"a": 1}],
    [["FP"]],
    1,
    True,
    False,
    "fp",
    " FP",
    "FP ",
    "Côté",
    "A\u0000B",
]
RAW_XML = [  # bodies a generator of dicts cannot write: entities, CDATA, comments, encodings, shapes
    '<content><course-codes type="array"><course-code><![CDATA[{code}]]></course-code></course-codes>'
    '<login-id type="integer">{login}</login-id></content>',
    '<content><!-- a comment --><course-codes type="array">\n  <course-code>{code}</course-code>\n'
    "</course-codes>"
    "<login-id>{login}</login-id></content>",
    '<content><course-codes type="array"><course-code>{code}</course-code><course-code>{code}</course-code>'
    '</course-codes><login-id type="decimal">{login}.0</login-id></content>',
    '<content><course-codes type="array"/><login-id type="integer">{login}</login-id></content>',
    '<content><course-codes type="array"><course-code nil="true"/></course-codes>'
    "<login-id>{login}</login-id></content>",
    '<content><course-codes type="string">{code}</course-codes>'
    '<login-id type="boolean">true</login-id></content>',
    '<content><course-codes type="array"><course-code>{code}</course-code></course-codes>'
    '<login-id type="symbol">x</login-id></content>',
    '<content><course-codes type="array"><x>{code}</x></course-codes>'
    '<login-id type="float">{login}.7</login-id></content>',
    '<content course-codes="{code}" login-id="{login}"/>',
    '<content><course_codes type="array"><c>{code}</c></course_codes><login_id>{login}</login_id></content>',
    "<content></content>",
    "<content/>",
    "   ",
    '<content><course-codes type="array"><course-code>{code}</course-code></course-codes>'
    '<login-id type="integer">{login}</login-id></content><extra/>',
    '<?xml version="1.0" encoding="ISO-8859-1"?><content><course-codes type="array"><course-code>{code}'
    "</course-code></course-codes><login-id>{login}</login-id></content>",
    '<content><course-codes type="array"><course-code>{code}&amp;</course-code></course-codes>'
    "<login-id>&#{login_ord};</login-id></content>",
    '<content xmlns="urn:x"><course-codes type="array"><course-code>{code}</course-code></course-codes>'
    "<login-id>{login}</login-id></content>",
    '<course-codes type="array"><course-code>{code}</course-code></course-codes>',
]


def _logins(records: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Login id (numbered in order of first appearance, as both loaders do) -> its course codes."""
    ids: dict[str, int] = {}
    courses: dict[int, list[str]] = {}
    for record in records:
        name = record.get("assignee_login_username")
        if name is None:
            continue
        login = ids.setdefault(name, len(ids) + 1)
        courses.setdefault(login, []).append(record["course_code"])
    return courses


def _form(params: dict[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, list):
            pairs += [(f"{key}[]", "" if v is None else str(v)) for v in value] or [(f"{key}[]", "")]
        elif isinstance(value, dict):
            pairs += [(f"{key}[{k}]", str(v)) for k, v in value.items()]
        elif value is not None:
            pairs.append((key, str(value).lower() if isinstance(value, bool) else str(value)))
    return urllib.parse.urlencode(pairs)


def _xml_value(tag: str, value: Any, typed: bool) -> str:
    if isinstance(value, list):
        attr = ' type="array"' if typed else ""
        items = "".join(_xml_value(tag.removesuffix("s"), v, typed) for v in value)
        return f"<{tag}{attr}>{items}</{tag}>"
    if value is None:
        return f'<{tag} nil="true"/>'
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml_value(k, v, typed) for k, v in value.items()) + f"</{tag}>"
    kind = {bool: "boolean", int: "integer", float: "float"}.get(type(value))
    attr = f' type="{kind}"' if kind and typed else ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return f"<{tag}{attr}>{text}</{tag}>"


def _xml(params: dict[str, Any], rng: random.Random) -> str:
    typed = rng.random() < 0.85
    inner = "".join(_xml_value(k.replace("_", "-"), v, typed) for k, v in params.items())
    root = rng.choice(["content", "content", "content", "params"])
    declaration = rng.choice(["<?xml version='1.0' encoding='UTF-8'?>\n", '<?xml version="1.0"?>', ""])
    return f"{declaration}<{root}>{inner}</{root}>"


def _raw_xml(params: dict[str, Any], rng: random.Random) -> bytes:
    codes = params.get("course_codes")
    code = codes[0] if isinstance(codes, list) and codes and isinstance(codes[0], str) else "FP"
    login = params.get("login_id") if isinstance(params.get("login_id"), int) else 1
    text = rng.choice(RAW_XML).format(code=code, login=login, login_ord=48 + login % 10)
    return text.encode("latin-1" if "ISO-8859-1" in text else "utf-8", "replace")


def _body(params: dict[str, Any], rng: random.Random) -> tuple[str | None, bytes]:
    kind = rng.choices(
        [
            "json",
            "form",
            "xml",
            "rawxml",
            "multipart",
            "plain",
            "none",
            "badjson",
            "badxml",
            "wrapped",
            "latin1",
        ],
        [26, 16, 18, 12, 4, 3, 4, 4, 4, 5, 4],
    )[0]
    if kind == "json":
        content_type = rng.choice(["application/json", "application/json; charset=utf-8", "text/x-json"])
        return content_type, json.dumps(params, ensure_ascii=rng.random() < 0.5).encode()
    if kind == "rawxml":
        return rng.choice(["application/xml", "text/xml", "application/x-xml"]), _raw_xml(params, rng)
    if kind == "latin1":
        text = json.dumps(params, ensure_ascii=False).replace("FP", "F\u00e9P")
        return rng.choice(["application/json", "application/x-www-form-urlencoded"]), text.encode(
            "latin-1", "replace"
        )
    if kind == "wrapped":
        return "application/json", json.dumps({"content": params}).encode()
    if kind == "form":
        return "application/x-www-form-urlencoded", _form(params).encode()
    if kind == "xml":
        content_type = rng.choice(["application/xml", "text/xml", "application/xml; charset=utf-8"])
        return content_type, _xml(params, rng).encode()
    if kind == "multipart":
        fields = urllib.parse.parse_qsl(_form(params), keep_blank_values=True)
        parts = "".join(
            f'--XyZ\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields
        )
        return "multipart/form-data; boundary=XyZ", (parts + "--XyZ--\r\n").encode()
    if kind == "plain":
        return "text/plain", json.dumps(params).encode()
    if kind == "none":
        return None, _form(params).encode() if rng.random() < 0.5 else b""
    if kind == "badjson":
        return "application/json", json.dumps(params).encode()[:-1]
    return "application/xml", _xml(params, rng).encode()[:-3]


def corpus_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The corpus' data: the differential fixtures, every fourth record in account ``other``."""
    return [dict(r, account="other") if r["id"] % 4 == 0 else dict(r) for r in records]


def _params(rng: random.Random, logins: dict[int, list[str]], codes: list[str]) -> dict[str, Any]:
    login = rng.choice(list(logins))
    roll = rng.random()
    if roll < 0.55:
        chosen = rng.sample(logins[login], min(len(logins[login]), rng.randint(1, 2)))
        course_codes: Any = chosen + ([rng.choice(codes)] if rng.random() < 0.3 else [])
    elif roll < 0.75:
        course_codes = rng.sample(codes, 2)
    elif roll < 0.85:
        course_codes = rng.choice(logins[login])  # a single code, not an array
    else:
        course_codes = rng.choice(ODD_CODES)
    login_id: Any = login
    roll = rng.random()
    if roll < 0.15:
        login_id = str(login)
    elif roll < 0.3:
        login_id = rng.choice(ODD_LOGINS)
    elif roll < 0.35:
        login_id = [login, rng.choice(list(logins))]
    params: dict[str, Any] = {"course_codes": course_codes, "login_id": login_id}
    drop = rng.random()
    if drop < 0.06:
        del params["course_codes"]
    elif drop < 0.12:
        del params["login_id"]
    return params


U = "/api/train_sessions/unassign"
J = "application/json"
# Hand-written edges after the drawn cases (none removes anything: course code ZZ): Ruby's JSON
# comments, entities, Ruby casts, content forms, query overrides, formats, odd paths and methods.
EDGES: list[tuple[str, str, str, str, str | None]] = [
    ("POST", U, J, '{"course_codes":["ZZ"],/*c*/"login_id":1}', None),
    ("POST", U, J, '{"course_codes":["ZZ"],"login_id":"1e3"}', None),
    (
        "POST",
        U,
        "application/xml",
        '<!DOCTYPE c [<!ENTITY a "ZZ">]><content><course-codes type="array">'
        "<course-code>&a;</course-code></course-codes><login-id>1</login-id></content>",
        None,
    ),
    ("POST", U, J, '{"course_codes":["ZZ"],"login_id":" 12"}', None),
    ("POST", U, J, '{"course_codes":["ZZ"],"login_id":"+12"}', None),
    ("POST", U, J, '{"course_codes":["ZZ"],"login_id":"1_000"}', None),
    ("POST", U, J, '{"content":[1],"course_codes":["ZZ"],"login_id":1}', None),
    ("POST", U + "?login_id=abc", J, '{"course_codes":["ZZ"],"login_id":1}', None),
    ("POST", U + "?format=xml", J, '{"course_codes":["ZZ"]}', None),
    ("POST", U, J, '{"course_codes":["ZZ"]}', "application/xml"),
    ("POST", U, "APPLICATION/JSON", '{"course_codes":["ZZ"]}', None),
    ("POST", U, "application/vnd.api+json", '{"course_codes":["ZZ"],"login_id":1}', None),
    ("POST", U, "application/x-www-form-urlencoded", "course_codes=ZZ&course_codes=YY&login_id=1", None),
    ("POST", U, "application/x-www-form-urlencoded", "_method=delete&course_codes=ZZ&login_id=1", None),
    (
        "POST",
        U,
        "multipart/form-data; boundary=b",
        '--b\r\nContent-Disposition: form-data; name="course_codes[]"\r\n\r\nZZ\r\n'
        '--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nhello\r\n"
        '--b\r\nContent-Disposition: form-data; name="login_id"\r\n\r\n1\r\n--b--\r\n',
        None,
    ),
    ("POST", U, J, '{"course_codes":"","login_id":1}', "text/html"),
    ("POST", U, J, '  {"course_codes":["ZZ"],"login_id":1}  ', None),
    ("POST", U, J, '{"course_codes":["ZZ"],"login_id":1,"login_id":"x"}', None),
    ("POST", U, J, '"just a string"', None),
    ("POST", U, J, "null", None),
    (
        "POST",
        U,
        "text/xml",
        '<content><course-codes type="array"><course-code>ZZ</course-code></course-codes>'
        '<login-id type="datetime">2015-01-01T00:00:00Z</login-id></content>',
        None,
    ),
    (
        "POST",
        U,
        "text/xml",
        '<content><course-codes type="array"><course-code type="integer">12</course-code>'
        '</course-codes><login-id type="date">2015-01-01</login-id></content>',
        None,
    ),
    (
        "POST",
        U,
        "text/xml",
        '<content><course-codes type="array">text<course-code>ZZ</course-code></course-codes>'
        "<login-id>1</login-id></content>",
        None,
    ),
    (
        "POST",
        U,
        "text/xml",
        '<?xml version="1.0"?>\n<!-- c --><content><course-codes type="array">'
        "<course-code>ZZ</course-code></course-codes><login-id>1</login-id></content>"
        "<!-- after -->",
        None,
    ),
    (
        "POST",
        U,
        "text/xml",
        '<a:content xmlns:a="u"><a:course-codes type="array"><a:course-code>ZZ</a:course-code>'
        "</a:course-codes><a:login-id>1</a:login-id></a:content>",
        None,
    ),
    ("POST", U, J, '{"course_codes":["ZZ"],"login_id":1}', "application/json, text/javascript, */*; q=0.01"),
    ("POST", U + ".js", J, '{"course_codes":["ZZ"]}', None),
    ("POST", U + ".html", J, '{"course_codes":["ZZ"]}', None),
    ("POST", U + ".foo", J, '{"course_codes":["ZZ"]}', None),
    ("POST", "/api/train_sessions/unassign/", J, '{"course_codes":["ZZ"],"login_id":1}', None),
    ("POST", "//api//train_sessions/unassign", J, '{"course_codes":["ZZ"],"login_id":1}', None),
    ("POST", "/api/train_sessions/UNASSIGN", J, '{"course_codes":["ZZ"],"login_id":1}', None),
    ("HEAD", U, J, "", None),
    ("OPTIONS", U, J, "", None),
]


def build_cases(seed: int, count: int, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``count`` requests drawn from ``seed``: mostly unassign, some index reads and repeats."""
    rng = random.Random(seed)
    logins = _logins(records)
    codes = sorted({r["course_code"] for r in records})
    cases: list[dict[str, Any]] = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.08:
            fmt = rng.choice(["", ".xml", ".json"])
            cases.append(
                {
                    "method": "GET",
                    "target": f"/api/train_sessions{fmt}",
                    "content_type": None,
                    "body": "",
                    "token": rng.choice(TOKENS),
                    "accept": None,
                    "tag": "index",
                }
            )
            continue
        if roll < 0.14 and cases:
            repeat = dict(rng.choice(cases))
            repeat["tag"] = "repeat"
            cases.append(repeat)
            continue
        params = _params(rng, logins, codes)
        content_type, body = _body(params, rng)
        suffix = rng.choices(["", ".json", ".xml", "/", ".html"], [50, 15, 25, 5, 5])[0]
        target = "/api/train_sessions/unassign" + suffix
        if rng.random() < 0.05:
            target += "?" + _form(params)
        method = rng.choices(["POST", "GET", "PUT", "PATCH", "DELETE"], [90, 4, 2, 2, 2])[0]
        token = rng.choices([*TOKENS, "wrong-token", None], [70, 18, 6, 6])[0]
        accepts = [None, "*/*", "application/json", "application/xml", "text/html"]
        accept = rng.choices(accepts, [40, 20, 20, 15, 5])[0]
        cases.append(
            {
                "method": method,
                "target": target,
                "content_type": content_type,
                "body": body.decode("latin-1"),
                "token": token,
                "accept": accept,
                "tag": f"case-{index}",
            }
        )
    for number, (method, target, content_type, body, accept) in enumerate(EDGES):
        encoded = body.encode("utf-8").decode("latin-1")
        cases.append(
            {
                "method": method,
                "target": target,
                "content_type": content_type,
                "body": encoded,
                "token": "standin-token",
                "accept": accept,
                "tag": f"edge-{number}",
            }
        )
    for token in TOKENS:  # what is left at the end, as both accounts see it
        cases.append(
            {
                "method": "GET",
                "target": "/api/train_sessions",
                "content_type": None,
                "body": "",
                "token": token,
                "accept": None,
                "tag": "index",
            }
        )
    return cases


def request_bytes(case: dict[str, Any], port: int) -> bytes:
    """The raw request of ``case`` (the replay test sends the same bytes to the mock)."""
    body = case["body"].encode("latin-1")  # the corpus keeps body bytes as latin-1 text
    lines = [f"{case['method']} {case['target']} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if case["token"] is not None:
        lines.append(f'Authorization: Token token="{case["token"]}"')
    if case["accept"] is not None:
        lines.append(f"Accept: {case['accept']}")
    if case["content_type"] is not None:
        lines.append(f"Content-Type: {case['content_type']}")
    if body or case["method"] in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(host: str, port: int, data: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def answer_of(raw: bytes, method: str) -> dict[str, Any]:
    """Status, the headers the replay compares, and the body (or its digest and ids when long)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines)}
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2 :]
        body = out
    if method == "HEAD":
        body = b""
    answer: dict[str, Any] = {
        "status": int(status_line.split(" ")[1]),
        "headers": {k: headers[k] for k in COMPARED if k in headers},
    }
    if len(body) <= 2000:
        answer["body"] = body.decode("utf-8", "surrogateescape")
    else:
        answer["body_sha256"] = hashlib.sha256(body).hexdigest()
        answer["body_length"] = len(body)
    return answer


COMPARED = ("content-type", "etag", "cache-control", "x-frame-options", "vary")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rails", help="the stand-in's base URL (freshly loaded data)")
    parser.add_argument("--write-fixtures", type=Path, help="write the corpus' fixture file and stop")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--out", type=Path, default=Path("tests/data/unassign/cases-seed16.jsonl.gz"))
    args = parser.parse_args(argv)
    if args.write_fixtures:
        records = corpus_records(json.loads(FIXTURES.read_text(encoding="utf-8")))
        args.write_fixtures.write_text(json.dumps(records), encoding="utf-8")
        return 0
    if not args.rails:
        parser.error("--rails is required to record")
    url = urllib.parse.urlsplit(args.rails)
    records = corpus_records(json.loads(FIXTURES.read_text(encoding="utf-8")))
    cases = build_cases(args.seed, args.count, records)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8") as out:
        for case in cases:
            raw = exchange(url.hostname or "127.0.0.1", url.port or 80, request_bytes(case, url.port or 80))
            out.write(json.dumps({**case, "rails": answer_of(raw, case["method"])}) + "\n")
    print(f"recorded {len(cases)} cases to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
