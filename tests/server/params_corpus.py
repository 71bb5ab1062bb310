"""Record the params corpus from the shared Rails stand-in (not a test module).

    .venv/bin/python -m tests.server.params_corpus http://127.0.0.1:29101

sends two sets of requests to a 2015-08 stand-in serving ``fixtures/train_sessions.json``
and writes each with its answer to ``tests/data/params-differential/``, in the seed-7
corpus' line format (a ``body`` field added), so that ``test_rails_differential``'s replay
helper replays them (``tests/server/test_params_replay.py``):

- ``multiparameter.jsonl.gz``: ``d(1i)=`` keys, malformed and odd positions and casts, on
  date, integer, decimal and text columns, in ``g``/``c``, on sorts; positions too large for
  Ruby only where Ruby fails at once (IndexError, RangeError, a malloc far past memory),
  never one it would try to fill (the stand-in is shared);
- ``bodies.jsonl.gz``: GET and HEAD index and show requests with JSON, form, multipart,
  XML and other bodies, the same key in the query and the body, ``format`` in the body.

Read-only: no unassign or other write is sent.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.server.xml_corpus import _send

DATA = Path(__file__).resolve().parents[1] / "data" / "params-differential"
INDEX = "/api/train_sessions"
DATE = "completion_date_gteq"
MULTIPARAMETER_QUERIES = (
    f"{DATE}(1i)=2015", f"{DATE}(xi)=2015", f"{DATE}(1x)=2015", f"{DATE}(0i)=2015",
    f"{DATE}(-1i)=2015", f"{DATE}(1)=2015", f"{DATE}(1s)=2015", f"{DATE}(01i)=2015",
    f"{DATE}(1i)(2i)=2015", f"{DATE}(1a)=2015", f"{DATE}()=2015", f"{DATE}(=2015", f"{DATE})=2015",
    f"{DATE}(100000i)=2015", f"{DATE}(1i)=2015&{DATE}(0i)=3", f"{DATE}(1i)=2015&{DATE}(2i)=3&{DATE}(-1i)=3",
    f"{DATE}(1i)=2015&{DATE}(2i)=3&{DATE}(-2i)=3", f"{DATE}(1i)=2015&{DATE}(2i)=3&{DATE}(3i)=3",
    f"{DATE}(3i)=3&{DATE}(2i)=3&{DATE}(1i)=2015", f"{DATE}(%201i)=2015", f"{DATE}(1_0i)=2015",
    f"{DATE}(+1i)=2015", f"{DATE}(99999999999999999999999i)=2015", f"{DATE}(4611686018427387904i)=2015",
    f"{DATE}(1152921504606846976i)=2015", f"{DATE}(1152921504606846975i)=2015",
    f"{DATE}(100000000000i)=2015", f"{DATE}(1i)=", f"{DATE}(1i)=abc", f"{DATE}(1i)[]=2015",
    f"{DATE}(1i)[a]=2015", f"{DATE}(1s)[]=2015", f"{DATE}(1a)[]=2015",
    f"{DATE}=2015-01-01&{DATE}(1i)=2015", f"{DATE}(1i)=2015&{DATE}=2015-01-01",
    f"{DATE}[a]=1&{DATE}(1i)=2015", f"{DATE}=2015-01-01&{DATE}(1)=2", f"{DATE}=2015-01-01&{DATE}(11)=2",
    f"{DATE}=2015-01-01&{DATE}(12)=2", f"{DATE}=2015-01-01&{DATE}(0)=2", f"{DATE}[]=2015&{DATE}(2i)=2",
    f"{DATE}[0]=2015&{DATE}(1i)=2015", f"{DATE}(1i)=2015&{DATE}(6000i)=1&{DATE}(2i)=3",
    f"{DATE}(1i)=2015&{DATE}(2i)=2&{DATE}(3i)=30", f"{DATE}(1i)=2015&{DATE}(2i)=13", f"{DATE}(2i)=3",
    f"{DATE}(1i)x=2015", f"{DATE}(1i=2015", f"{DATE}((1i))=2015", f"{DATE})(1i)=2015", f"{DATE}(1i)&x=1",
    "(1i)=2015", "q(1i)=2015", "score_eq(1i)=50", "score_eq(xi)=50", "score_eq(1)=50",
    "score_in(1i)=50&score_in(2i)=91", "score_in(1)=50&score_in(2)=91", "score_in(20000i)=50",
    "score_in[]=50&score_in(2i)=91", "score_in[]=50&score_in(0i)=91", "score_gt(1i)=50",
    "full_name_cont(1i)=smith", "full_name_cont(1)=Smith", "full_name_cont(2)=Smith",
    "full_name_cont(xi)=smith", "full_name_cont(1s)=smith", "full_name_cont(1a)=smith",
    "full_name_eq(0)=Smith", "full_name_eq(1i)=0", "full_name_in(1)=a&full_name_in(2)=b",
    "full_name_cont=smi&full_name_cont(1)=Z", "full_name_cont=smi&full_name_cont(4)=th",
    "full_name_in(5000i)=Smith&full_name_in(1)=x", "full_name_cont(20000i)=a", "full_name_not_eq(20000i)=a",
    "full_name_lt(20000i)=a", "full_name_gt(5000i)=x", "full_name_start(10000i)=x",
    "time_spent_eq(1i)=5", "time_spent_eq(2)=5", "time_spent_eq(20000i)=5", "time_spent_gt(1i)=5",
    "completion_date_in(1i)=2015", "completion_date_in(1)[]=2015-01-01&completion_date_in(3000i)=1",
    "completion_date_eq(1i)=2015&completion_date_eq(2i)=1&completion_date_eq(3i)=1",
    f"g[0][{DATE}(1i)]=2015", f"g[0][{DATE}(xi)]=2015", f"g[0][{DATE}(0i)]=2015",
    "c[0][a][0][name]=score&c[0][p]=eq&c[0][v][0][value(1i)]=5", "s(1i)=score", "s(1s)=score+desc",
    "s(1)=score+desc&s(3)=id", "s(3)=id",
    f"{DATE}(1i)=10000", f"{DATE}(1i)=5874897", f"{DATE}(1i)=5874898", f"{DATE}(1i)=0", f"{DATE}(1i)=-4712",
    f"{DATE}(1i)=-4713", f"{DATE}(1i)=-4713&{DATE}(2i)=11&{DATE}(3i)=24",
    f"{DATE}(1i)=-4713&{DATE}(2i)=11&{DATE}(3i)=23",
    f"{DATE}(1i)=5874897&{DATE}(2i)=12&{DATE}(3i)=31", f"{DATE}=5874898-01-01", f"{DATE}=-4713-01-01",
    f"{DATE}=5874897-12-31", "cert_expiry_lt=-4713-11-24",
)  # fmt: skip
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
BODIES: tuple[tuple[str, str, str | None, str], ...] = (
    ("GET", INDEX, JSON, '{"full_name_cont":"smith"}'),
    ("GET", INDEX, FORM, "full_name_cont=smith"),
    ("GET", INDEX + "?full_name_cont=xyz", FORM, "full_name_cont=smith"),
    ("GET", INDEX + "?full_name_cont=xyz", JSON, '{"full_name_cont":"smith"}'),
    ("GET", INDEX + "?full_name_cont=smith", JSON, '{"full_name_cont":null}'),
    ("GET", INDEX + "?score_gt=50", JSON, '{"full_name_cont":"smith"}'),
    ("GET", INDEX + "?g[0][score_gt]=50", JSON, '{"g":{"1":{"full_name_cont":"smith"}}}'),
    ("HEAD", INDEX, JSON, '{"full_name_cont":"smith"}'),
    ("HEAD", INDEX, FORM, "score_gt=50&s=score+asc"),
    ("GET", INDEX + "/420", JSON, '{"id":"421"}'),
    ("GET", INDEX + "/420", FORM, "id=421"),
    ("GET", INDEX + "/420", JSON, '{"format":"xml"}'),
    ("GET", INDEX, JSON, '{"id":"421"}'),
    ("GET", INDEX, JSON, '{"format":"xml"}'),
    ("GET", INDEX, FORM, "format=xml"),
    ("GET", INDEX + "?format=json", FORM, "format=xml"),
    ("GET", INDEX, JSON, '["a"]'),
    ("GET", INDEX, JSON, '"a"'),
    ("GET", INDEX, JSON, '{"s":"score desc"}'),
    ("GET", INDEX, JSON, '{"s":["score desc","id asc"]}'),
    ("GET", INDEX, JSON, '{"score_gt":50}'),
    ("GET", INDEX, JSON, '{"score_eq":91}'),
    ("GET", INDEX, JSON, '{"score_in":[50,91]}'),
    ("GET", INDEX, JSON, '{"full_name_in":["a",null]}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq":"2015-03-01"}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq(1i)":"2015"}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq(xi)":"2015"}'),
    ("GET", INDEX, JSON, '{"m":"or","score_eq":"91","full_name_cont":"smith"}'),
    ("GET", INDEX, JSON, '{"full_name_cont":{"a":"b"}}'),
    ("GET", INDEX, JSON, '{"score_eq":[1]}'),
    ("GET", INDEX, JSON, '{"full_name_cont":"smith"'),
    ("GET", INDEX, FORM, "full_name_cont=%"),
    ("GET", INDEX, FORM, "full_name_cont=smith&full_name_cont=jones"),
    ("GET", INDEX, FORM, "score_in[]=50&score_in[]=91"),
    ("GET", INDEX, "application/json; charset=utf-8", '{"full_name_cont":"smith"}'),
    ("GET", INDEX, "text/plain", "full_name_cont=smith"),
    ("GET", INDEX, None, "full_name_cont=smith"),
    ("GET", INDEX, "application/xml", "<hash><full-name-cont>smith</full-name-cont></hash>"),
    ("GET", INDEX, "application/xml", "<full-name-cont>smith</full-name-cont>"),
    ("GET", INDEX, "multipart/form-data; boundary=X",
     '--X\r\nContent-Disposition: form-data; name="full_name_cont"\r\n\r\nsmith\r\n--X--\r\n'),
    ("GET", INDEX, JSON, '{"score_eq":91.7}'),
    ("GET", INDEX, JSON, '{"score_eq":true}'),
    ("GET", INDEX, JSON, '{"score_eq":false}'),
    ("GET", INDEX, JSON, '{"score_in":[true, 91]}'),
    ("GET", INDEX, JSON, '{"full_name_eq":true}'),
    ("GET", INDEX, JSON, '{"full_name_cont":1}'),
    ("GET", INDEX, JSON, '{"full_name_cont":1.5}'),
    ("GET", INDEX, JSON, '{"full_name_in":[1, 2.5, false]}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq":20150101}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq":2015.5}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq":true}'),
    ("GET", INDEX, JSON, '{"time_spent_gt":1.5}'),
    ("GET", INDEX, JSON, '{"time_spent_gt":true}'),
    ("GET", INDEX, JSON, '{"time_spent_eq":1e400}'),
    ("GET", INDEX, JSON, '{"score_eq":1e3}'),
    ("GET", INDEX, JSON, '{"score_eq":12345678901234567890}'),
    ("GET", INDEX, JSON, '{"score_null":true}'),
    ("GET", INDEX, JSON, '{"score_present":1}'),
    ("GET", INDEX, JSON, '{"m":1,"score_eq":"91"}'),
    ("GET", INDEX, JSON, '{"s":1}'),
    ("GET", INDEX, JSON, '{"s":{"0":{"name":"score","dir":"desc"}}}'),
    ("GET", INDEX, JSON, '{"g":[{"score_eq":91}]}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq(1i)":2015}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq(1i)":2015.9}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq(1i)":true}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq(1s)":2015}'),
    ("GET", INDEX, JSON, '{"completion_date_gteq(1i)":[2015]}'),
    ("GET", INDEX, JSON, '{"full_name_cont(1s)":1.5}'),
    ("GET", INDEX, JSON, '{"full_name_cont(1s)":true}'),
    ("GET", INDEX, JSON, '{"full_name_cont(1)":false}'),
    ("GET", INDEX, JSON, '{"full_name_cont":"' + "a" * 20000 + '"}'),
    ("GET", INDEX, FORM, "&".join(f"k{n}=v" for n in range(3000)) + "&score_gt=90"),
)  # fmt: skip


def _case(
    n: int, tag: str, method: str, target: str, content_type: str | None, body: str | None
) -> dict[str, Any]:
    headers = [] if content_type is None else [["Content-Type", content_type]]
    return {
        "n": n, "tag": tag, "method": method, "target": target, "auth": None, "auth_default": True,
        "accept": None, "extra_headers": headers, "body": body,
    }  # fmt: skip


def build_cases() -> dict[str, list[dict[str, Any]]]:
    """The two corpora's requests, by file name."""
    multi = [
        _case(n, "multiparameter", "GET", f"{INDEX}?{q}", None, None)
        for n, q in enumerate(MULTIPARAMETER_QUERIES)
    ]
    bodies = [_case(n, "body", m, t, ct, b) for n, (m, t, ct, b) in enumerate(BODIES)]
    return {"multiparameter.jsonl.gz": multi, "bodies.jsonl.gz": bodies}


def record(server: str, out: Path) -> int:
    port = urlsplit(server).port or 80
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, cases in build_cases().items():
        for case in cases:
            case["rails"] = _send(port, case)
        with gzip.open(out / name, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
        total += len(cases)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("server", help="the stand-in's base URL (2015-08, fixtures/train_sessions.json)")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    print(f"recorded {record(args.server, args.out)} cases to {args.out}")


if __name__ == "__main__":
    main()
