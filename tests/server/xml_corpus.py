"""Record the XML differential corpus from a Rails stand-in in 2015-08 mode (not a test module).

    ruby $S/load_fixtures.rb tests/data/xml-differential/fixtures.json xml16a
    STANDIN_API=2015-08 STANDIN_PORT=29201 STANDIN_DB=xml16a $S/standin.sh start
    .venv/bin/python -m tests.server.xml_corpus http://127.0.0.1:29201 --seed 16

builds a few hundred requests from the seed and the fixture file (XML index and show with the
documented filters and odd values, ``?format=xml``, Accept variants, HEAD, ``If-None-Match``,
errors, methods no route matches) and writes each with the stand-in's answer to
``tests/data/xml-differential/cases.jsonl.gz``, in the seed-7 corpus' line format, so that
``test_rails_differential``'s replay helper replays both. No unassign request is ever sent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from tests.server.rails_replay import parse_answer as _parse_answer
from tests.server.rails_replay import request_bytes as _request_bytes

DATA = Path(__file__).resolve().parents[1] / "data" / "xml-differential"
ACCEPTS = (
    None, "*/*", "application/xml", "text/xml", "application/x-xml", "application/*", "text/*",
    "application/xml, */*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json, application/xml", "application/xml, application/json", "application/xml;q=0.9",
    "text/html, application/xml", "application/rss+xml", "application/atom+xml, application/xml",
    "application/json", "text/plain", "xml", "foo", "application/xml;q=0, application/json",
)  # fmt: skip
METHODS = ("POST", "PUT", "PATCH", "DELETE")
ODD_TEXT = ("&", "<", ">", "Côté", "ô", "é", "日本", "🎓", "A&B", "%", "_", "'", '"', " ", "")


def _value(rng: random.Random, record: dict[str, Any], name: str) -> str:
    """A filter value: often one of the record's own, sometimes an odd one."""
    if rng.random() < 0.3:
        return rng.choice((*ODD_TEXT, "abc", "-1", "2147483648", "2015-01-01", "80.9"))
    value = record.get(name)
    if isinstance(value, str) and len(value) > 3 and rng.random() < 0.5:
        start = rng.randrange(len(value) - 2)
        value = value[start : start + rng.randint(1, 3)]
    return "" if value is None else str(value)


def build_cases(records: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The requests, in a stable order for ``seed``."""
    from mockserver.model import FILTERS

    rng = random.Random(seed)
    cases: list[dict[str, Any]] = []

    def add(tag: str, target: str, **kw: Any) -> None:
        case = {"tag": tag, "method": "GET", "target": target, "auth": None, "auth_default": True}
        case |= {"accept": None, "extra_headers": [], "kind": tag} | kw
        cases.append(case)

    ids = [r["id"] for r in records]
    for _ in range(160):
        record = rng.choice(records)
        query = "&".join(
            f"{f.name}={quote(_value(rng, record, f.attributes[0]))}"
            for f in rng.sample(FILTERS, rng.randint(0, 3))
        )
        spelling = rng.choice([".xml?", "?format=xml&", "?"])
        accept = rng.choice(ACCEPTS) if spelling == "?" else rng.choice((None, "*/*", "application/json"))
        add("index", "/api/train_sessions" + spelling + query, accept=accept)
    for _ in range(60):
        ident = rng.choice([*ids, 0, 99999, -1, "abc", "3abc", " 4"])
        spelling = rng.choice([".xml", "?format=xml", ""])
        add("show", f"/api/train_sessions/{quote(str(ident))}{spelling}", accept=rng.choice(ACCEPTS))
    for accept in ACCEPTS:
        for target in ("/api/train_sessions?id_lt=8", "/api/train_sessions/3", "/api/train_sessions/99999"):
            add("accept", target, accept=accept)
    index = "/api/train_sessions"
    for target in (
        f"{index}.xml", f"{index}.xml?id_eq=0", f"{index}.xml?full_name_cont=%ZZ",
        f"{index}.xml?score_eq[]=1", f"{index}/7.xml", f"{index}/99999.xml", f"{index}.xml?s=full_name+asc",
        f"{index}.xml?s=score+desc&score_gt=40", f"{index}.xml?format=json", f"{index}.json?format=xml",
        f"{index}?format=XML", f"{index}.XML", f"{index}/3.xml?format=json", "/api/nothing.xml",
    ):  # fmt: skip
        add("fixed", target)
        add("head", target, method="HEAD")
        add("no-auth", target, auth_default=False)
        add("other-account", target, auth='Token token="other-token"', auth_default=False)
    for method in METHODS:
        for target in (f"{index}.xml", f"{index}/3.xml", f"{index}?format=xml"):
            for accept in (None, "*/*", "application/json", "application/xml", "text/html"):
                add("no-route", target, method=method, accept=accept)
    for n, case in enumerate(cases):
        case["n"] = n
    return cases


def _send(port: int, case: dict[str, Any]) -> dict[str, Any]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(_request_bytes(case, port))
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    answer = _parse_answer(raw, case["method"])
    return answer | {"body": answer["body"].decode("utf-8", "replace")}


def record(server: str, seed: int, out: Path) -> int:
    port = urlsplit(server).port or 80
    records = json.loads((DATA / "fixtures.json").read_text(encoding="utf-8"))
    cases = build_cases(records, seed)
    etag_cases = []
    for case in cases:
        case["rails"] = _send(port, case)
        etag = case["rails"].get("etag")
        if case["tag"] == "fixed" and case["rails"]["status"] == 200 and etag:
            etag_cases.append({**case, "tag": "if-none-match", "extra_headers": [["If-None-Match", etag]]})
    for case in etag_cases:
        case["n"] = len(cases)
        case["rails"] = _send(port, case)
        cases.append(case)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    return len(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("server", help="the stand-in's base URL (2015-08 mode, fixtures loaded)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, default=DATA / "cases.jsonl.gz")
    args = parser.parse_args()
    print(f"recorded {record(args.server, args.seed, args.out)} cases to {args.out}")


if __name__ == "__main__":
    main()
