"""``proxy --record FILE`` and ``proxy --har FILE``: QA's own client traffic as a fixture file and a HAR.

WireMock's and Prism's record mode: clients use the proxy as usual, and when it stops (Ctrl-C,
SIGTERM) what went through is written. ``--har`` holds every GET exchange as HAR 1.2 and
``--record`` the records the API's 200 answers showed, merged by id, as a fixture file for
``serve --fixtures``. Both are built exactly as ``record`` builds its own: the HAR by
``har.HarLog`` (secret-looking headers and query values redacted, the token scrubbed), the
fixture file from that HAR by ``har.records_from_har`` (each body checked against ``schemas/``,
only public fields kept, two answers disagreeing about one id reported), and written
atomically (readers see the old file or the new one); when an answer broke the schemas, the
fixture file is not written and the problems are listed, as ``record`` does.

Memory is bounded: after ``MAX_ENTRIES`` exchanges or ``MAX_BYTES`` of bodies, further
exchanges are still proxied but not kept, and the summary says how many were left out.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from mockserver.errors import UsageError
from mockserver.tools.har import HarLog, records_from_har
from mockserver.tools.record import _report_problems, _write  # the one way record writes
from mockserver.tools.upstream import Exchange, UpstreamAnswer

__all__ = ["MAX_BYTES", "MAX_ENTRIES", "ProxyRecorder", "add_record_options", "recorder_from_args"]

MAX_ENTRIES = 20_000
MAX_BYTES = 256 * 1024 * 1024


class ProxyRecorder:
    """Keeps the proxy's GET exchanges (bounded) and writes them when the proxy stops."""

    def __init__(self, token: str | None, har_path: Path | None, record_path: Path | None) -> None:
        self.har = HarLog(token)
        self.token = token
        self.har_path = har_path
        self.record_path = record_path
        self.kept_bytes = 0
        self.left_out = 0

    def observe(
        self,
        method: str,
        url: URL,
        sent: CIMultiDict[str],
        status: int,
        headers: Any,
        body: bytes,
        started: float,
        elapsed_ms: float,
    ) -> None:
        """One exchange, as the upstream answered it (``body`` already decoded)."""
        if method != "GET":
            return
        if len(self.har.entries) >= MAX_ENTRIES or self.kept_bytes + len(body) > MAX_BYTES:
            self.left_out += 1
            return
        self.kept_bytes += len(body)
        kept = CIMultiDict((k, v) for k, v in headers.items() if k.lower() != "content-encoding")
        answer = UpstreamAnswer(status, CIMultiDictProxy(kept), body, url.raw_path_qs)
        self.har.add(Exchange(url, dict(sent), answer, started, elapsed_ms, "HTTP/1.1"))

    def finish(self, err: TextIO) -> int:
        """Write ``--har`` and ``--record``; 1 when the answers broke the schemas (no fixture written)."""
        if self.left_out:
            print(
                f"mockserver: proxy: kept the first {len(self.har.entries)} exchanges; {self.left_out} "
                f"more were proxied but not recorded (bounds: {MAX_ENTRIES} exchanges, "
                f"{MAX_BYTES >> 20} MiB of bodies)",
                file=err,
            )
        if self.har_path is not None:
            try:
                self.har.write(self.har_path)  # atomic, as record's --har
            except OSError as exc:
                raise UsageError(f"cannot write --har {self.har_path}: {exc.strerror or exc}") from None
            print(f"mockserver: proxy: wrote {len(self.har.entries)} exchanges to {self.har_path}", file=err)
        if self.record_path is None:
            return 0
        found = records_from_har(self.har.entries, source="--record")  # one origin: the upstream
        records, problems, used = found.records, found.problems, found.used
        if problems:
            return _report_problems(problems, self.token, self.record_path, err)
        if not used:
            print(
                f"mockserver: proxy: no 200 answer of GET /api/train_sessions[/ID] went through; "
                f"nothing written to {self.record_path}",
                file=err,
            )
            return 0
        _write(self.record_path, records)
        print(
            f"mockserver: proxy: wrote {len(records)} records to {self.record_path} from {used} "
            f"answers; replay with: mockserver serve --fixtures {self.record_path}",
            file=err,
        )
        return 0


def add_record_options(parser: argparse.ArgumentParser) -> None:
    """``--record FILE`` and ``--har FILE`` for ``proxy``."""
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="when the proxy stops, write the records its GET answers showed as a fixture file "
        "(checked and scrubbed as 'record' does; for serve --fixtures)",
    )
    parser.add_argument(
        "--har",
        type=Path,
        metavar="FILE",
        help="when the proxy stops, write every GET exchange as HAR 1.2 (tokens and "
        "secret-looking headers redacted)",
    )


def recorder_from_args(args: argparse.Namespace, token: str | None) -> ProxyRecorder | None:
    """The recorder ``args`` ask for (None: neither --record nor --har), its directories checked
    before the proxy starts rather than when it stops."""
    paths = {"--record": args.record, "--har": args.har}
    for option, path in paths.items():
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise UsageError(f"{option} {path}: directory {Path(path).resolve().parent} does not exist")
    if args.record is None and args.har is None:
        return None
    return ProxyRecorder(token, args.har, args.record)
