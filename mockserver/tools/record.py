"""``mockserver record``: copy a live API's data, as one token sees it, into a fixture file.

Reads the unfiltered index, then every show, checking each body against ``schemas/`` on the
way (index against ``list``, each show against ``record`` and against its index entry). The
file is written only when everything checked out: a partial or unchecked recording would
make ``serve`` and ``diff`` lie. What the API does not render (``course_name``,
``assignee_login_username``, ``last_attempt``) cannot be recorded and is left out, as is
``account``: the file is the token's own view, served to any token by ``serve``. The hidden
foreign keys (``course_id``...) of an existing ``--out`` file are kept for the same ids.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mockserver.associations import keep_foreign_keys
from mockserver.errors import UsageError
from mockserver.generate import write_fixture
from mockserver.model import PUBLIC_FIELDS
from mockserver.schemas import iter_violations
from mockserver.settings import api_token_from_environment
from mockserver.tools import bodies
from mockserver.tools.har import HarLog, read_har, records_from_har
from mockserver.tools.upstream import (
    TOKEN_VARIABLE,
    Upstream,
    UpstreamAnswer,
    UpstreamError,
    add_client_options,
    excerpt,
    index_url,
    scrub,
)

__all__ = ["Recording", "record", "register"]

Record = dict[str, Any]
MAX_SHOWN = 20  # problems printed one per line; the rest are counted


@dataclass
class Recording:
    """What a run found: the records (ascending ids, like ``generate``) and every problem."""

    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _json(answer: UpstreamAnswer, recording: Recording, token: str | None) -> Any:
    """The body as data (JSON, or an XML answer in its JSON form), else a problem noted."""
    try:
        return bodies.document(answer.body)
    except ValueError as exc:
        start = excerpt(answer.body, 80, lambda text: scrub(text, token))
        recording.problems.append(
            f"GET {answer.target}: (document): the body is not JSON ({exc}; starts {start!r}) [json]"
        )
        return None


def _violations(instance: object, schema: str, target: str, id_of: Any) -> Iterator[str]:
    for violation in iter_violations(instance, schema):
        where = violation.json_pointer or "(document)"
        record_id = id_of(violation.json_pointer)
        who = f"id {record_id}, " if record_id is not None else ""
        yield f"GET {target}: {who}{where}: {violation.message} [{violation.rule}]"


def _index_id(data: Any) -> Any:
    """For an index pointer ``/5/score``, the id of item 5 (when it has one)."""

    def id_of(pointer: str) -> Any:
        head = pointer.split("/")[1] if pointer.count("/") >= 1 and pointer != "" else ""
        if not (isinstance(data, list) and head.isascii() and head.isdigit()):
            return None
        if int(head) < len(data) and isinstance(data[int(head)], dict):
            return data[int(head)].get("id")
        return None

    return id_of


class _Progress:
    """A line on stderr at most once a second, and the last one always."""

    def __init__(self, err: TextIO, total: int) -> None:
        self.err, self.total, self.done = err, total, 0
        self.started = self._last = time.monotonic()

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self._last >= 1.0 or self.done == self.total:
            self._last = now
            percent = 100 * self.done // max(1, self.total)
            print(
                f"mockserver: record: shows {self.done}/{self.total} ({percent}%, {now - self.started:.1f}s)",
                file=self.err,
                flush=True,
            )


async def record(upstream: Upstream, err: TextIO, concurrency: int = 4) -> Recording:
    """Read the index and every show from ``upstream``; raises ``UpstreamError`` and
    ``UsageError`` when the upstream cannot be read at all (nothing to judge)."""
    recording = Recording()
    index = await upstream.get()
    if index.status != 200:
        hint = (
            f"the token was refused: check --api-token or {TOKEN_VARIABLE}"
            if index.status == 401
            else "is the URL right?"
        )
        start = excerpt(index.body, 120, lambda text: scrub(text, upstream.token))
        raise UsageError(f"GET {index.target} answered {index.status} {start!r}; {hint}")
    data = _json(index, recording, upstream.token)
    if data is None:
        return recording
    recording.problems.extend(_violations(data, "list", index.target, _index_id(data)))
    if not isinstance(data, list):
        return recording
    listed = [r for r in data if isinstance(r, dict) and type(r.get("id")) is int]
    seen: set[int] = set()
    for item in listed:
        if item["id"] in seen:
            recording.problems.append(f"GET {index.target}: id {item['id']}: listed twice [unique ids]")
        seen.add(item["id"])
    print(f"mockserver: record: index lists {len(data)} records; reading each show", file=err, flush=True)

    progress = _Progress(err, len(listed))
    shows: dict[int, Any] = {}
    queue = iter(listed)

    async def worker() -> None:
        for item in queue:  # a shared iterator: each item goes to one worker
            shows[item["id"]] = await _show(upstream, item, recording)
            progress.step()

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    if not recording.problems:
        recording.records = [
            {name: shows[r["id"]][name] for name in PUBLIC_FIELDS}
            for r in sorted(listed, key=lambda r: r["id"])
        ]
    return recording


async def _show(upstream: Upstream, item: Record, recording: Recording) -> Any:
    answer = await upstream.get(f"/{item['id']}")
    if answer.status != 200:
        recording.problems.append(
            f"GET {answer.target}: id {item['id']}: answered {answer.status} although the "
            "index lists it (changed while recording? run record again) [show status]"
        )
        return None
    data = _json(answer, recording, upstream.token)
    if data is None:
        return None
    found = list(_violations(data, "record", answer.target, lambda _: item["id"]))
    recording.problems.extend(found)
    if not found and data != item:
        diffs = [k for k in PUBLIC_FIELDS if data.get(k) != item.get(k)]
        shown = ", ".join(f"/{k}: index {item.get(k)!r}, show {data.get(k)!r}" for k in diffs[:3])
        recording.problems.append(
            f"GET {answer.target}: id {item['id']}: the show differs "
            f"from the index entry ({shown}) [show equals index]"
        )
    return data


def _report_problems(problems: list[str], token: str | None, out_path: Path, err: TextIO) -> int:
    for problem in problems[:MAX_SHOWN]:
        print(f"mockserver: violation: {scrub(problem, token)}", file=err)
    more = len(problems) - MAX_SHOWN
    if more > 0:
        print(f"mockserver: ... and {more} more", file=err)
    print(
        f"mockserver: error: {len(problems)} problem(s) in the upstream's answers; "
        f"nothing written to {out_path}",
        file=err,
    )
    return 1


def _write(out_path: Path, records: list[Record]) -> None:
    if out_path.is_file():  # keep the foreign keys written into the previous recording
        with contextlib.suppress(OSError, ValueError):  # unreadable: it is simply replaced
            keep_foreign_keys(records, json.loads(out_path.read_bytes()))
    try:
        write_fixture(out_path, records)
    except OSError as exc:
        raise UsageError(f"cannot write {out_path}: {exc.strerror or exc}") from None


def _from_har(args: argparse.Namespace, err: TextIO) -> int:
    """``record --from-har FILE --out PATH``: a fixture file from a HAR capture."""
    if args.har:
        raise UsageError("--from-har reads a capture: --har writes one of a live recording; give one of them")
    origin = str(index_url(args.upstream).origin()) if args.upstream else None
    found = records_from_har(read_har(args.from_har), origin)
    if found.skipped:  # a devtools capture holds other sites' traffic too
        others = ", ".join(f"{host} ({n})" for host, n in found.skipped.most_common(3))
        more = f" and {len(found.skipped) - 3} more origins" if len(found.skipped) > 3 else ""
        print(
            f"mockserver: record: read only {found.origin}; skipped {found.skipped.total()} API "
            f"answers of other origins: {others}{more} (--upstream URL picks the origin)",
            file=err,
        )
    if found.problems:
        return _report_problems(found.problems, None, args.out, err)
    if not found.used:
        raise UsageError(
            f"--from-har {args.from_har}: no 200 answer of GET /api/train_sessions or "
            f"/api/train_sessions/ID{' from ' + origin if origin else ''} in it; "
            f"nothing written to {args.out}"
        )
    _write(args.out, found.records)
    print(
        f"mockserver: record: wrote {len(found.records)} records to {args.out} from {found.used} answers "
        f"of {found.origin or 'the capture'} in {args.from_har}; "
        f"replay with: mockserver serve --fixtures {args.out}",
        file=err,
    )
    return 0


def cmd_record(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    out_path: Path = args.out
    if not out_path.parent.is_dir():
        raise UsageError(f"--out {out_path}: directory {out_path.parent} does not exist")
    if args.from_har is not None:
        return _from_har(args, err)
    if not args.upstream:
        raise UsageError("give --upstream URL (read the live API) or --from-har FILE (read a capture)")
    token = args.api_token or api_token_from_environment()
    if not token:
        raise UsageError(f"no API token: pass --api-token TOKEN or set {TOKEN_VARIABLE}")
    if (
        args.concurrency < 1
        or args.timeout <= 0
        or args.retries < 0
        or (args.rate is not None and args.rate < 0)
    ):
        raise UsageError(
            "--concurrency must be >= 1, --timeout > 0, --rate >= 0 (0: unlimited), --retries >= 0"
        )
    url = index_url(args.upstream)
    started = time.monotonic()
    har = HarLog(token) if args.har is not None else None

    async def run() -> tuple[Recording, int, int]:
        async with Upstream(
            url,
            token,
            rate=args.rate,
            concurrency=args.concurrency,
            timeout=args.timeout,
            retries=args.retries,
            on_exchange=har.add if har is not None else None,
        ) as upstream:
            return await record(upstream, err, args.concurrency), upstream.sent, upstream.retried

    print(f"mockserver: record: reading {url}", file=err, flush=True)
    try:
        recording, sent, retried = asyncio.run(run())
    except UpstreamError as exc:
        raise UsageError(
            f"cannot read the upstream: {scrub(exc.reason, token)}; nothing written to {out_path}"
        ) from None
    except UsageError as exc:
        raise UsageError(f"{scrub(str(exc), token)}; nothing written to {out_path}") from None
    if har is not None:  # written even when the answers broke the schemas: it shows why
        try:
            har.write(args.har)
        except OSError as exc:
            raise UsageError(f"cannot write --har {args.har}: {exc.strerror or exc}") from None
        print(f"mockserver: record: wrote {len(har.entries)} exchanges to {args.har}", file=err)
    if recording.problems:
        return _report_problems(recording.problems, token, out_path, err)
    _write(out_path, recording.records)
    print(
        f"mockserver: record: wrote {len(recording.records)} records to {out_path} "
        f"({sent} requests, {retried} retried, {time.monotonic() - started:.1f}s); "
        f"replay with: mockserver serve --fixtures {out_path}",
        file=err,
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``record`` to the CLI."""
    p = subparsers.add_parser(
        "record",
        help="copy a live API's data into a fixture file",
        description="Read the unfiltered index and every show of URL with TOKEN (or the API "
        "answers in a HAR capture, --from-har), check each "
        "answer against schemas/, and write the records as a fixture file for "
        "'serve --fixtures'. Nothing is written when an answer breaks the schemas "
        "(exit 1) or the upstream cannot be read (exit 2). The token is never "
        "written or printed.",
    )
    p.add_argument(
        "--har",
        type=Path,
        metavar="FILE",
        help="also write every exchange as HAR 1.2 (tokens and secret-looking headers redacted)",
    )
    p.add_argument(
        "--from-har",
        type=Path,
        metavar="FILE",
        help="build the fixture file from a HAR capture (e.g. a browser's devtools); reads the "
        "answers of one origin: --upstream's, else the first API answer's",
    )
    p.add_argument("--out", required=True, type=Path, metavar="PATH", help="fixture file to write")
    add_client_options(p, "concurrency", "rate", "timeout", "retries", upstream=False)
    p.set_defaults(run=cmd_record)
