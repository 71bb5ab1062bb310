"""What real Ransack 4.1 + Rails 6.1 answered: ``shared/spec/ransack-golden-public.json``.

A copy lives in ``tests/data/`` so the suite runs from any checkout; when the shared spec is
beside the repository (as in CI), a test checks the copy is identical.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SHARED_GOLDEN = Path(__file__).resolve().parents[2] / "shared" / "spec" / "ransack-golden-public.json"
GOLDEN_PATH = Path(__file__).resolve().parent / "data" / "ransack-golden-public.json"


@dataclass(frozen=True)
class IndexCase:
    query: str
    ids: tuple[int, ...] | None
    status: int
    note: str

    @property
    def documented(self) -> bool:
        return not self.note.startswith("undocumented:")


@dataclass(frozen=True)
class ShowCase:
    path_id: str
    status: int
    id: int | None


@cache
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))


def _status(case: dict[str, Any]) -> int:
    if "error" not in case:
        return 200
    match = re.search(r"HTTP (\d{3})", case.get("note", ""))
    assert match, f"golden case with an error but no HTTP status in its note: {case}"
    return int(match.group(1))


def index_cases() -> list[IndexCase]:
    return [
        IndexCase(
            c["query"],
            tuple(c["ids"]) if "ids" in c and "error" not in c else None,
            _status(c),
            c.get("note", ""),
        )
        for c in golden()["index_cases"]
    ]


def show_cases() -> list[ShowCase]:
    return [ShowCase(c["path_id"], c["status"], c.get("id")) for c in golden()["show_cases"]]


def fixtures() -> list[dict[str, Any]]:
    return list(golden()["fixtures"])
