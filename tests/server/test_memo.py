"""The answer memo: keyed by everything an answer depends on, bounded in bytes, freed with its data."""

from __future__ import annotations

import io
import random

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from mockserver.cli import main
from mockserver.generate import generate_records
from mockserver.server.app import create_app
from mockserver.server.keys import STATE
from mockserver.server.memo import ENTRY_OVERHEAD, MAX_BODY, Memo
from mockserver.server.state import ServerState
from mockserver.server.store import Store
from mockserver.settings import Settings, build_settings

RECORDS = generate_records(7, 300)
AUTH = {"Authorization": 'Token token="dev-token"'}
IGNORED_BY_LIVE = "/api/train_sessions?score=80"  # lenient: 200 ignoring it; --strict: 400


async def _statuses(clients: list[TestClient], target: str) -> list[int]:
    return [(await client.get(target, headers=AUTH)).status for client in clients]


@pytest.mark.parametrize("shared_state", [False, True])
async def test_apps_sharing_a_store_do_not_share_answers(shared_state: bool) -> None:
    """Check a --strict app answers 400 where a lenient app on the same store answered 200 first."""
    store = Store(RECORDS)
    state = ServerState(store) if shared_state else None
    clients = [
        TestClient(TestServer(create_app(Settings(access_log=False, strict=strict), store, state=state)))
        for strict in (False, True)
    ]
    for client in clients:
        await client.start_server()
    try:
        assert await _statuses(clients, IGNORED_BY_LIVE) == [200, 400]
        assert await _statuses(clients, IGNORED_BY_LIVE) == [200, 400]  # and when remembered
    finally:
        for client in clients:
            await client.close()


async def test_apps_with_other_tokens_do_not_share_answers() -> None:
    """Check an app whose token maps to another account does not get the first app's answer."""
    records = generate_records(3, 60, accounts=("a", "b"))
    store = Store(records)
    state = ServerState(store)
    bodies = []
    for account in ("a", "b"):
        settings = Settings(access_log=False, tokens={"dev-token": account})
        async with TestClient(TestServer(create_app(settings, store, state=state))) as client:
            bodies.append(orjson.loads(await (await client.get("/api/train_sessions", headers=AUTH)).read()))
    assert {r["id"] for r in bodies[0]} == {r["id"] for r in records if r["account"] == "a"}
    assert {r["id"] for r in bodies[1]} == {r["id"] for r in records if r["account"] == "b"}


def test_memo_bytes_never_exceed_the_bound() -> None:
    """Check the counted total stays within the bound while answers of random sizes arrive,
    that it counts at least every body byte kept, and that the newest answer is kept."""
    rng = random.Random(8)
    memo = Memo(64 * 1024)

    def key(n: int) -> tuple[object, ...]:
        return (0, 0, None, "GET", f"/api/train_sessions?n={n}", (None, None))

    for n in range(500):
        body = b"x" * rng.randrange(0, 20_000)
        memo.put(key(n), body, {"Content-Type": "application/json"})
        assert memo.bytes <= memo.max_bytes
        kept = [memo.get(key(i)) for i in range(n + 1)]
        assert memo.bytes >= sum(len(a[0]) + ENTRY_OVERHEAD for a in kept if a is not None)
        assert kept[-1] is not None and kept[-1][0] == body
    memo.put((1,), b"y" * (MAX_BODY + 1), {})
    assert memo.get((1,)) is None  # larger than one answer may be


def test_memo_entries_are_bounded_too() -> None:
    """Check tiny answers are also bounded in number, the oldest dropped first."""
    memo = Memo(1 << 30, max_entries=10)
    for n in range(25):
        memo.put((n,), b"[]", {})
    assert len(memo) == 10 and memo.get((14,)) is None and memo.get((15,)) is not None


async def test_memo_bound_holds_through_the_app() -> None:
    """Check --memo-mb 1 keeps at most 1 MiB of answers however many large ones are served."""
    settings = Settings(access_log=False, auth=False, memo_mb=1)
    async with TestClient(TestServer(create_app(settings, Store(generate_records(5, 2000))))) as client:
        memo = client.server.app[STATE].memo
        sizes = []
        for n in range(30):  # distinct targets answering ~100 KB to ~700 KB each
            response = await client.get(f"/api/train_sessions?id_gt={n}&score_gteq={n % 7 * 10}")
            assert response.status == 200
            sizes.append(len(await response.read()))
            assert memo.bytes <= 1 << 20
        assert sum(sizes) > 3 << 20 and len(memo) >= 1


async def test_memo_off_keeps_nothing() -> None:
    """Check --memo-mb 0 remembers no answer and still answers."""
    settings = Settings(access_log=False, auth=False, memo_mb=0)
    async with TestClient(TestServer(create_app(settings, Store(RECORDS)))) as client:
        for _ in range(2):
            assert (await client.get("/api/train_sessions?score_gteq=50")).status == 200
        stats = client.server.app[STATE].memo.stats()
        assert (len(client.server.app[STATE].memo), stats["searches"], stats["bytes"]) == (0, 2, 0)


async def test_accept_header_is_part_of_the_key() -> None:
    """Check requests differing only in Accept are remembered apart, and share one search."""
    async with TestClient(TestServer(create_app(Settings(access_log=False), Store(RECORDS)))) as client:
        for accept in ("application/json", "*/*", "application/json"):
            await client.get("/api/train_sessions?score_gteq=5", headers={**AUTH, "Accept": accept})
        stats = client.server.app[STATE].memo.stats()
        assert (stats["searches"], stats["served_by_search"], stats["served_by_request"]) == (1, 1, 1)


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        # negotiation joins repeated Accept headers (Rack does): the second one is read too
        ([("Accept", "application/json")], [("Accept", "application/json"), ("Accept", "bogus")], 406),
        # with X-Requested-With a browser-like Accept is parsed, not ignored
        ([("Accept", "*/*, bogus")], [("Accept", "*/*, bogus"), ("X-Requested-With", "XMLHttpRequest")], 406),
    ],
)
async def test_the_key_holds_every_header_value_negotiation_reads(
    first: list[tuple[str, str]], then: list[tuple[str, str]], status: int
) -> None:
    """Check a remembered 200 is not served to a request that negotiation answers otherwise."""
    async with TestClient(TestServer(create_app(Settings(access_log=False), Store(RECORDS)))) as client:
        cold = (await client.get("/api/train_sessions", headers=[*AUTH.items(), *then])).status
        assert (await client.get("/api/train_sessions", headers=[*AUTH.items(), *first])).status == 200
        warm = (await client.get("/api/train_sessions", headers=[*AUTH.items(), *then])).status
        assert cold == warm == status


async def test_spellings_and_pages_of_one_search_run_it_once() -> None:
    """Check that other spellings of one query are answered from the search kept by value."""
    async with TestClient(TestServer(create_app(Settings(access_log=False), Store(RECORDS)))) as client:
        bodies = []
        for target in ("full_name_cont=a&score_gteq=5", "full_name_cont=a&score_gteq=5&", "score_gteq=5"):
            bodies.append(await (await client.get(f"/api/train_sessions?{target}", headers=AUTH)).read())
        stats = client.server.app[STATE].memo.stats()
        assert bodies[0] == bodies[1] != bodies[2]
        assert (stats["searches"], stats["served_by_search"], stats["served_by_request"]) == (2, 1, 0)


async def test_no_key_over_a_few_kib_is_kept() -> None:
    """Check a request with 800 KB of Accept is answered and leaves none of it in the cache:
    the search and the short request parts are kept, the answer and the negotiation are not."""
    accept = ", ".join(["application/json"] * 440)  # 8 KB: aiohttp's bound for one header line
    async with TestClient(TestServer(create_app(Settings(access_log=False), Store(RECORDS)))) as client:
        target = "/api/train_sessions?score_gteq=5"
        response = await client.get(target, headers=[*AUTH.items(), *[("Accept", accept)] * 100])
        assert response.status == 200
        memo = client.server.app[STATE].memo
        kept = [repr(key) for key in memo._entries]
        assert kept and not any("application/json" in key for key in kept), kept
        assert memo.bytes < 16 << 10  # a few short entries, none holding the 800 KB Accept


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/__mockserver/records", RECORDS[:5]),
        ("POST", "/__mockserver/records", [{**RECORDS[0], "id": 10**6}]),
        ("POST", "/__mockserver/reset", None),
    ],
)
async def test_data_changes_release_the_memo(method: str, path: str, body: object) -> None:
    """Check a control-API data change or reset forgets every remembered answer at once."""
    async with TestClient(TestServer(create_app(Settings(access_log=False), Store(RECORDS)))) as client:
        state = client.server.app[STATE]
        before = await (await client.get("/api/train_sessions?score_gteq=0", headers=AUTH)).read()
        assert state.memo.answers == 2 and state.memo.bytes > len(before)  # by request, by search
        data = orjson.dumps(body) if body is not None else None
        response = await client.request(method, path, data=data, headers={"Content-Type": "application/json"})
        assert response.status in (200, 201)
        assert (len(state.memo), state.memo.bytes) == (0, 0)
        after = await (await client.get("/api/train_sessions?score_gteq=0", headers=AUTH)).read()
        assert (after == before) == (method == "POST" and path.endswith("reset"))


def test_memo_mb_setting_and_flag() -> None:
    """Check --memo-mb and MOCKSERVER_MEMO_MB set the bound (flag wins) and 64 is the default."""
    assert build_settings({}, {}).memo_mb == 64
    assert build_settings({}, {"MOCKSERVER_MEMO_MB": "0"}).memo_mb == 0
    assert build_settings({"memo_mb": 8}, {"MOCKSERVER_MEMO_MB": "0"}).memo_mb == 8


@pytest.mark.parametrize(
    ("argv", "env", "fragment"),
    [
        (["serve", "--memo-mb", "-1"], {}, "--memo-mb -1: expected MiB >= 0"),
        (["serve", "--memo-mb", "lots"], {}, "--memo-mb: invalid int value: 'lots'"),
        (["serve"], {"MOCKSERVER_MEMO_MB": "x"}, "MOCKSERVER_MEMO_MB='x': expected an integer"),
    ],
)
def test_bad_memo_mb_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], fragment: str
) -> None:
    """Check a bad --memo-mb or MOCKSERVER_MEMO_MB exits 2 with one line naming it."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    err = io.StringIO()
    assert main(argv, io.StringIO(), err) == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockserver: error:") and fragment in lines[0]
