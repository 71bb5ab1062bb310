"""Each generation's quirks through the app, with the old answers stack-generations.md gives
from the cited source lines (section numbers below), and the default generation unchanged.

The expected answers are computed from the records with the rule the source states (a Python
filter over the data), never read back from the engine.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from mockserver.generate import generate_records
from mockserver.server.accesslog import LOGGER_NAME
from mockserver.server.rendering import PORTABILITY_HEADER
from mockserver.stacks import DEFAULT_STACK, STACKS, stack_named

RECORDS = generate_records(11, 80)
RECORDS[0]["time_spent"] = "12.5"
RECORDS[1]["full_name"] = "Zoe Anna"
TOKEN = {"Authorization": 'Token token="t"', "Accept": "application/json"}
DESC = sorted((r["id"] for r in RECORDS), reverse=True)

R61_24, R60, R52, R51, R42 = (stack_named(n) for n in [s.name for s in STACKS][1:])


@pytest.fixture
def served(app_clients):
    """``served(stack)``: a client of the app emulating that generation over RECORDS."""

    async def make(stack: Any = DEFAULT_STACK, **overrides: Any) -> TestClient:
        return await app_clients(RECORDS, **{"tokens": {"t": None}, "stack": stack, **overrides})

    return make


async def _get(client: TestClient, target: str, headers: dict[str, str] | None = None) -> Any:
    response = await client.get(URL(target, encoded=True), headers=TOKEN if headers is None else headers)
    await response.read()
    return response


async def _ids(client: TestClient, query: str) -> list[int]:
    response = await _get(client, "/api/train_sessions?" + query)
    assert response.status == 200, await response.text()
    return [r["id"] for r in orjson.loads(await response.read())]


# --- Ransack --------------------------------------------------------------------------------------


async def test_underscore_is_a_wildcard_before_ransack_1_8(served) -> None:
    """Check §2.6: `_` in _cont is `ILIKE '%_%'` on <= 1.7.0 (every non-empty name), literal after."""
    assert all("_" not in r["full_name"] for r in RECORDS)
    everyone = [i for i in DESC if next(r for r in RECORDS if r["id"] == i)["full_name"]]
    assert await _ids(await served(R42), "full_name_cont=_") == everyone
    assert await _ids(await served(R51), "full_name_cont=_") == []
    assert await _ids(await served(), "full_name_cont=_") == []


async def test_padded_value_is_searched_as_sent_before_ransack_2_4(served) -> None:
    """Check §2.1: `full_name_cont=%09First` misses on < 2.4.0 (no tab in any name), hits on >= 2.4."""
    first = RECORDS[1]["full_name"].split()[0]
    expected = [
        i for i in DESC if first.lower() in next(r for r in RECORDS if r["id"] == i)["full_name"].lower()
    ]
    assert await _ids(await served(R52), f"full_name_cont=%09{first}") == []
    assert await _ids(await served(R61_24), f"full_name_cont=%09{first}") == expected
    assert await _ids(await served(), f"full_name_cont=%09{first}") == expected


async def test_nul_alone_is_not_dropped_before_ransack_2_4(served) -> None:
    """Check §2.1: `score_eq=%00` is `"\\0".to_i`, score = 0, on < 2.4.0; stripped and dropped after."""
    zero = [r["id"] for r in sorted(RECORDS, key=lambda r: -r["id"]) if r["score"] == 0]
    assert zero and len(zero) < len(RECORDS)
    assert await _ids(await served(R52), "score_eq=%00") == zero
    assert await _ids(await served(), "score_eq=%00") == DESC


async def test_sort_and_combinator_with_spaces_before_ransack_2_4(served) -> None:
    """Check §2.1: `s=score+desc+` sorts ASC and `s=+score+desc` not at all on < 2.4.0; `m=or%20` is AND."""
    by_score_asc = [r["id"] for r in sorted(RECORDS, key=lambda r: (r["score"], -r["id"]))]
    by_score_desc = [r["id"] for r in sorted(RECORDS, key=lambda r: (-r["score"], -r["id"]))]
    old, new = await served(R51), await served()
    assert await _ids(old, "s=score+desc+") == by_score_asc
    assert await _ids(new, "s=score+desc+") == by_score_desc
    assert await _ids(old, "s=+score+desc") == DESC
    assert await _ids(new, "s=+score+desc") == by_score_desc
    both = "score_eq=0&percent_complete_eq=100&m=or%20"
    either = [
        r["id"]
        for r in sorted(RECORDS, key=lambda r: -r["id"])
        if r["score"] == 0 or r["percent_complete"] == 100
    ]
    conjunction = [
        r["id"]
        for r in sorted(RECORDS, key=lambda r: -r["id"])
        if r["score"] == 0 and r["percent_complete"] == 100
    ]
    assert either != conjunction
    assert await _ids(old, both) == conjunction
    assert await _ids(new, both) == either


async def test_i_cont_is_an_ignored_key_from_1_6_to_2_3_0(served) -> None:
    """Check §2.9: `full_name_i_cont=zzqqnomatch` is full_name_i + cont, ignored (all rows) on 1.6-2.3.0."""
    assert await _ids(await served(R51), "full_name_i_cont=zzqqnomatch") == DESC
    assert await _ids(await served(R42), "full_name_i_cont=zzqqnomatch") == DESC
    assert await _ids(await served(R52), "full_name_i_cont=zzqqnomatch") == []  # 2.3.2 has it
    assert await _ids(await served(), "full_name_i_cont=zzqqnomatch") == []


@pytest.mark.parametrize(
    "query", ["score_eq=2147483648", "score_lt=2147483648", "percent_complete_gteq=-2147483649"]
)
async def test_out_of_int4_is_a_500_before_ransack_4(served, query: str) -> None:
    """Check §2.3: any out-of-int4 integer keeps its Casted node before ransack@8946268a: a 500
    (measured on a full Rails 6.1 app with 2.4.2); Ransack 4 compares the plain number."""
    for stack in (R61_24, R60, R52, R51, R42):
        assert (await _get(await served(stack), "/api/train_sessions?" + query)).status == 500
    response = await _get(await served(), "/api/train_sessions?" + query)
    assert response.status == 200


# --- Rails ----------------------------------------------------------------------------------------


async def test_invalid_utf8_is_a_500_on_rails_4(served) -> None:
    """Check §3.1: before rails@59ab2d1ee59 the value reaches Ransack's blank? (500); show never reads it."""
    old = await served(R42)
    assert (await _get(old, "/api/train_sessions?full_name_cont=%FF")).status == 500
    assert (await _get(old, f"/api/train_sessions/{DESC[0]}?x=%FF")).status == 200
    assert (await _get(await served(R51), "/api/train_sessions?full_name_cont=%FF")).status == 400
    assert (await _get(await served(), "/api/train_sessions?full_name_cont=%FF")).status == 400


async def test_json_error_status_is_a_string_on_rails_4(served) -> None:
    """Check §3.2: PublicExceptions v4.2.11 keeps the status it cut from the path: "404"."""
    old = await _get(await served(R42), "/api/train_sessions/0")
    assert orjson.loads(await old.read()) == {"status": "404", "error": "Not Found"}
    new = await _get(await served(R51), "/api/train_sessions/0")
    assert orjson.loads(await new.read()) == {"status": 404, "error": "Not Found"}


async def test_bearer_is_a_401_on_rails_4(served) -> None:
    """Check §3.3: TOKEN_REGEX = /^Token / in v4.2.11: Bearer and a double space are refused."""
    for header in ("Bearer t", 'Token  token="t"'):
        headers = {"Authorization": header, "Accept": "application/json"}
        assert (await _get(await served(R42), "/api/train_sessions", headers)).status == 401
        assert (await _get(await served(R51), "/api/train_sessions", headers)).status == 200


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("*/*", "text/html; charset=utf-8"), ("application/json", "application/json; charset=utf-8")],
)
async def test_401_takes_the_request_format_on_rails_4(served, accept: str, content_type: str) -> None:
    """Check §3.3: `render :text` uses formats.first on 4.2; text/plain from rails@8cb8ce98d90 (5.0)."""
    old = await _get(await served(R42), "/api/train_sessions", {"Accept": accept})
    assert (old.status, old.headers["Content-Type"]) == (401, content_type)
    assert await old.read() == b"HTTP Token: Access denied.\n"
    new = await _get(await served(R51), "/api/train_sessions", {"Accept": accept})
    assert (new.status, new.headers["Content-Type"]) == (401, "text/plain; charset=utf-8")


async def test_security_headers_before_rails_5_2(served) -> None:
    """Check §3.5: 4.2-5.1 send three default headers; 5.2 adds Referrer-Policy and two more."""
    added = {"Referrer-Policy", "X-Download-Options", "X-Permitted-Cross-Domain-Policies"}
    for stack, present in ((R42, False), (R51, False), (R52, True), (DEFAULT_STACK, True)):
        response = await _get(await served(stack), "/api/train_sessions")
        assert {h in response.headers for h in added} == {present}, stack.name
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


async def test_vary_accept_from_rails_6_1(served) -> None:
    """Check §3.5: `Vary: Accept` comes with rails@5745a3c0928 (6.1.0); absent on <= 6.0."""
    assert "Vary" not in (await _get(await served(R60), "/api/train_sessions")).headers
    assert "Accept" in (await _get(await served(R61_24), "/api/train_sessions")).headers["Vary"]


async def test_unparseable_accept_is_answered_before_rails_6(served) -> None:
    """Check §3.2: `Accept: foo` is a 406 from rails@b5e8942c950/378b4fedb1d (6.0); 200 before."""
    headers = {"Authorization": 'Token token="t"', "Accept": "foo"}
    assert (await _get(await served(R52), "/api/train_sessions", headers)).status == 200
    assert (await _get(await served(R60), "/api/train_sessions", headers)).status == 406


async def test_decimal_is_not_rounded_before_rails_6(served) -> None:
    """Check §3.6: `time_spent_eq=12.45` is `= 12.45` before rails@a741208f80d: no 12.5 matches."""
    twelve_five = [r["id"] for r in sorted(RECORDS, key=lambda r: -r["id"]) if r["time_spent"] == "12.5"]
    assert twelve_five
    assert await _ids(await served(R52), "time_spent_eq=12.45") == []
    assert await _ids(await served(R60), "time_spent_eq=12.45") == twelve_five
    assert await _ids(await served(R52), "time_spent_eq=12.5") == twelve_five


# --- Rack, pg, Ruby -------------------------------------------------------------------------------


async def test_md5_etag_on_rack_1(served) -> None:
    """Check §3.5: Rack <= 1.6 sends W/"md5(body)"; from rack@7b66d2cd the SHA-256's first 32 digits."""
    old = await _get(await served(R42), "/api/train_sessions")
    assert old.headers["ETag"] == f'W/"{hashlib.md5(await old.read()).hexdigest()}"'
    new = await _get(await served(R51), "/api/train_sessions")
    assert new.headers["ETag"] == f'W/"{hashlib.sha256(await new.read()).hexdigest()[:32]}"'


async def test_no_query_limit_before_rack_2_2_14(served) -> None:
    """Check §3.1: 4096 params are Rack's QueryLimitError (500) from rack@3f5a4249; parsed before."""
    query = "&" * 4100 + "score_eq=0"  # 4101 separated pieces, the empty ones skipped
    assert (await _get(await served(R51), "/api/train_sessions?" + query)).status == 200
    assert (await _get(await served(R52), "/api/train_sessions?" + query)).status == 500


async def test_nul_truncates_with_pg_before_1_1(served) -> None:
    """Check §3.6: PQescapeString("%a\\0b%") is "%a": `full_name_cont=a%00b` is ILIKE '%a', a 200."""
    ending_in_a = [
        r["id"] for r in sorted(RECORDS, key=lambda r: -r["id"]) if r["full_name"].lower().endswith("a")
    ]
    assert ending_in_a
    assert await _ids(await served(R51), "full_name_cont=a%00b") == ending_in_a
    user = next(r["assignee_login_username"] for r in RECORDS if r["assignee_login_username"])
    mine = [r["id"] for r in sorted(RECORDS, key=lambda r: -r["id"]) if r["assignee_login_username"] == user]
    assert await _ids(await served(R42), f"assignee_login_username_eq={user}%00zz") == mine
    assert (await _get(await served(R52), "/api/train_sessions?full_name_cont=a%00b")).status == 500


async def test_long_dates_are_parsed_before_ruby_2_6_9(served) -> None:
    """Check §2.4: a 141-character date is parsed by Ruby < 2.6.9 (2015-01-01), dropped after."""
    query = "completion_date_gteq=" + "x" * 130 + "%202015-01-01"
    since = [
        r["id"]
        for r in sorted(RECORDS, key=lambda r: -r["id"])
        if r["completion_date"] is not None and r["completion_date"] >= "2015-01-01"
    ]
    assert since != DESC
    assert await _ids(await served(R51), query) == since
    assert await _ids(await served(R52), query) == DESC


# --- item 4: the portability header ---------------------------------------------------------------


def _named(note: str) -> set[str]:
    return {part.split(":")[0] for part in note.split("; ")} if note else set()


@pytest.mark.parametrize(
    ("target", "headers", "generations", "effect"),
    [
        ("/api/train_sessions", {"Authorization": "Bearer t"}, {"rails4.2-ransack1.7"}, "401 for"),
        (
            "/api/train_sessions?full_name_cont=%20Zoe",
            None,
            {"rails5.2-ransack2.3", "rails5.1-ransack1.8", "rails4.2-ransack1.7"},
            "padded",
        ),
        ("/api/train_sessions?full_name_cont=_", None, {"rails4.2-ransack1.7"}, "wildcard"),
        ("/api/train_sessions?score_eq=2147483648", None, {s.name for s in STACKS[1:]}, "500"),
        (
            "/api/train_sessions?full_name_i_cont=zoe",
            None,
            {"rails5.1-ransack1.8", "rails4.2-ransack1.7"},
            "i_cont",
        ),
        (
            "/api/train_sessions?time_spent_eq=12.45",
            None,
            {"rails5.2-ransack2.3", "rails5.1-ransack1.8", "rails4.2-ransack1.7"},
            "unrounded",
        ),
        (
            "/api/train_sessions?full_name_cont=a%00b",
            None,
            {"rails5.1-ransack1.8", "rails4.2-ransack1.7"},
            "NUL",
        ),
        (
            "/api/train_sessions?completion_date_gteq=" + "x" * 130 + "%202015-01-01",
            None,
            {"rails5.1-ransack1.8", "rails4.2-ransack1.7"},
            "128",
        ),
        ("/api/train_sessions?full_name_cont=%FF", None, {"rails4.2-ransack1.7"}, "UTF-8"),
        ("/api/train_sessions/0", None, {"rails4.2-ransack1.7"}, "string"),
        (
            "/api/train_sessions",
            {"Authorization": 'Token token="t"', "Accept": "foo"},
            {"rails5.2-ransack2.3", "rails5.1-ransack1.8", "rails4.2-ransack1.7"},
            "Accept",
        ),
        ("/api/train_sessions", {"Accept": "*/*"}, {"rails4.2-ransack1.7"}, "401 sent as"),
    ],
)
async def test_portability_header_names_the_generations_that_differ(
    served, target: str, headers: dict[str, str] | None, generations: set[str], effect: str
) -> None:
    """Check that the default generation names exactly the generations whose quirk the request touched."""
    response = await _get(await served(), target, headers)

    note = response.headers.get(PORTABILITY_HEADER, "")
    assert _named(note) == generations, note
    assert effect in note


@pytest.mark.parametrize(
    "target",
    [
        "/api/train_sessions",
        "/api/train_sessions?full_name_cont=Zoe&score_gteq=%2010",
        f"/api/train_sessions/{DESC[0]}",
    ],
)
async def test_portable_requests_and_header_only_differences_are_not_warned(served, target: str) -> None:
    """Check that a request every generation answers alike gets no header, though ETag, Vary and
    the security headers differ on some (those are never warned about)."""
    response = await _get(await served(), target)
    assert response.status == 200
    assert PORTABILITY_HEADER not in response.headers


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_access_log_says_which_generations_differ(served, log_format: str) -> None:
    """Check that the access log line of a touched request carries the portability note."""
    logger = logging.getLogger(LOGGER_NAME)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client = await served(access_log=True, log_format=log_format)
        await _get(client, "/api/train_sessions", {"Authorization": "Bearer t"})
        await _get(client, "/api/train_sessions")
        await client.close()  # flushes the log
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    first, second = sink.getvalue().splitlines()
    if log_format == "json":
        assert json.loads(first)["differs_on"] == "rails4.2-ransack1.7: 401 for this Authorization scheme"
        assert "differs_on" not in json.loads(second)
    else:
        assert first.endswith(" differs on: rails4.2-ransack1.7: 401 for this Authorization scheme")
        assert "differs on" not in second


async def test_browser_clients_can_read_the_portability_header(served) -> None:
    """Check that with --cors a page's script may read X-Mockserver-Portability (Expose-Headers)."""
    client = await served(cors=("http://app.test",))
    headers = {"Authorization": "Bearer t", "Origin": "http://app.test"}
    response = await _get(client, "/api/train_sessions", headers)
    assert PORTABILITY_HEADER in response.headers
    assert PORTABILITY_HEADER in response.headers["Access-Control-Expose-Headers"]
