"""Distinct searches drawn from the served data, and the health counters that prove they ran.

A *distinct* scenario must make the mock search on every request: each target is a different
search by value (a name, a due date, a week taken from the records), not another spelling of
one query (the server's cache keys searches by value, so spellings are answered from it). To
have more distinct searches than a run sends requests, each value is also paired with a score
floor drawn from the data (``&score_gteq=N``). ``counters`` reads ``/__mockserver/health``
so a run can check its own premise: searches run per request.
"""

from __future__ import annotations

import json
import random
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote_plus

INDEX = "/api/train_sessions"
HEALTH = "/__mockserver/health"


def counters(base: str) -> dict[str, int]:
    """API requests served and the answer cache's counters of the server at ``base``."""
    with urllib.request.urlopen(base + HEALTH, timeout=30) as response:
        health: dict[str, Any] = json.loads(response.read())
    return {"requests": int(health["requests"]), **health["cache"]}


def searches_per_request(before: dict[str, int], after: dict[str, int]) -> float | None:
    """Searches run per API request between two ``counters`` readings."""
    requests = after["requests"] - before["requests"]
    return (after["searches"] - before["searches"]) / requests if requests else None


def base_queries(kind: str, records: Iterable[dict[str, Any]]) -> list[str]:
    """One query per distinct value of ``kind``'s attribute in ``records``, in a fixed order."""
    out: dict[str, None] = {}
    for record in records:
        if kind == "eq" and record.get("complete_by"):
            out[f"complete_by_eq={record['complete_by']}"] = None
        elif kind == "cont" and record.get("full_name"):
            for word in record["full_name"].lower().split():
                if len(word) >= 4:
                    out[f"full_name_cont={quote_plus(word)}"] = None
            out[f"full_name_cont={quote_plus(record['full_name'].lower())}"] = None
        elif kind == "range" and record.get("completion_date"):
            start = date.fromisoformat(record["completion_date"])
            week = start - timedelta(days=start.weekday())
            out[f"completion_date_gteq={week}&completion_date_lteq={week + timedelta(days=6)}"] = None
    return list(out)


def distinct_targets(
    kind: str, records: Sequence[dict[str, Any]], count: int, rng: random.Random, floors: bool = True
) -> list[str]:
    """Up to ``count`` targets, each a different search: the values of ``kind`` in the data,
    shuffled, then (``floors``) each value again with every score floor found in the data."""
    bases = base_queries(kind, records)
    rng.shuffle(bases)
    scores = sorted({r["score"] for r in records if isinstance(r.get("score"), int)})
    rng.shuffle(scores)
    targets = [f"{INDEX}?{query}" for query in bases]
    for score in scores if floors else ():
        if len(targets) >= count:
            break
        targets += [f"{INDEX}?{query}&score_gteq={score}" for query in bases]
    return targets[:count]
