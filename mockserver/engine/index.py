"""Per-attribute indexes that narrow a search before the reference check. Pure: no I/O.

Rows are held newest id first; an index answers with row *positions*, so a sorted list of
positions is already in the API's order. Built once per partition at load time:

- a hash index per attribute (value -> positions) for ``_eq`` / ``_in``;
- a sorted (value, position) array per ordered attribute for ``_lt`` .. ``_gteq``; all range
  conditions on one attribute collapse into one bisected slice;
- per text attribute, one NUL-joined lower-cased string, so a sparse ``_cont`` is a C-speed
  ``str.find`` loop instead of a Python loop over a million rows;
- per text attribute, each distinct value's rank in en_US collation order, so a sort by text
  is dict lookups (one collation key per distinct value, made here rather than on the first
  sort: about 2 us a value).

An index answers exactly the conditions it was built from (hints are exact); the remaining
conditions are still checked row by row with the reference ``Condition.matches``. A property
test holds ``run_indexed`` to the plain ``query.run``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.engine.postgres import collation_key
from mockserver.engine.predicates import Condition, Hint
from mockserver.engine.rows import ATTRIBUTES, COLUMN, Row
from mockserver.engine.search import Search
from mockserver.model import Kind

_ORDERED = (Kind.INT, Kind.DATE, Kind.DECIMAL)
_RANGE_OPS = ("eq", "lt", "lteq", "gt", "gteq")
Positions = Sequence[int]


class _TextColumn:
    """All values of one text attribute, lower-cased, as a list and NUL-joined."""

    __slots__ = ("offsets", "text", "values")

    def __init__(self, values: list[str | None]) -> None:
        self.values = [v or "" for v in values]
        offsets = array("q")
        position = 0
        for value in self.values:
            offsets.append(position)
            position += len(value) + 1
        self.text = "\x00".join(self.values)
        self.offsets = offsets

    def containing(self, needle: str) -> list[int]:
        """Positions (ascending) of the rows whose text contains ``needle`` (no NUL in it)."""
        text, offsets = self.text, self.offsets
        count = len(offsets)
        dense = count // 20 + 1  # past this many hits, one pass in C beats find + bisect
        found: list[int] = []
        start = text.find(needle)
        while start != -1:
            row = bisect_right(offsets, start) - 1
            found.append(row)
            if row + 1 >= count:
                break
            if len(found) > dense:
                return [i for i, value in enumerate(self.values) if needle in value]
            start = text.find(needle, offsets[row + 1])
        return found


@dataclass
class _Plan:
    """The chosen index access: the conditions it answers and its estimated size."""

    size: int
    covers: list[Condition]
    fetch: Any  # () -> ascending positions
    estimate: Any = None  # () -> a better size than ``size``, worth its cost only to compare


class Indexes:
    """The indexes of one partition's rows (which are ordered newest id first)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.size = len(rows)
        self._rows = rows
        self._ranks: dict[str, dict[str, int]] = {}  # text attribute -> value -> collation rank
        self._hash: dict[str, dict[Any, Any]] = {}
        self._sorted: dict[str, tuple[list[Any], array[int]]] = {}
        self._text: dict[str, _TextColumn] = {}
        for name, kind in ATTRIBUTES.items():
            column = [row[COLUMN[name]] for row in rows]
            if kind in _ORDERED:  # equality is a bisected range of the sorted array
                pairs = sorted((v, p) for p, v in enumerate(column) if v is not None)
                self._sorted[name] = ([v for v, _ in pairs], array("i", (p for _, p in pairs)))
                continue
            buckets: dict[Any, Any] = {}  # value -> position, or array of positions
            for position, value in enumerate(column):
                if value is not None:
                    bucket = buckets.get(value)
                    if bucket is None:
                        buckets[value] = position  # most values of unique columns stay here
                    elif type(bucket) is int:
                        buckets[value] = array("i", (bucket, position))
                    else:
                        bucket.append(position)
            self._hash[name] = buckets
            if kind is Kind.STR:
                self._text[name] = _TextColumn([row[COLUMN[name + ".lower"]] for row in rows])
                ranked = sorted(buckets, key=collation_key)
                self._ranks[name] = {text: rank for rank, text in enumerate(ranked)}

    # -- plans ---------------------------------------------------------------------------

    def _positions(self, attribute: str, value: Any) -> Positions:
        if attribute in self._sorted:
            values, positions = self._sorted[attribute]
            try:
                low, high = bisect_left(values, value), bisect_right(values, value)
            except TypeError:
                return ()
            return sorted(positions[low:high]) if high > low else ()
        found = self._hash[attribute].get(value, ())
        return (found,) if type(found) is int else found

    def _equality(self, condition: Condition, hint: Hint) -> _Plan:
        attribute = hint.attributes[0]
        if hint.op == "eq":
            found = self._positions(attribute, hint.operand)
            return _Plan(len(found), [condition], lambda: found)
        groups = [self._positions(attribute, v) for v in hint.operand]
        size = sum(map(len, groups))
        return _Plan(size, [condition], lambda: sorted(p for g in groups for p in g))

    def _ranges(self, attribute: str, conditions: list[Condition]) -> _Plan | None:
        """All range conditions on one attribute as one slice of its sorted array."""
        values, positions = self._sorted[attribute]
        low, high = 0, len(values)
        try:
            for condition in conditions:
                assert condition.hint is not None
                op, operand = condition.hint.op, condition.hint.operand
                if op == "eq":
                    low = max(low, bisect_left(values, operand))
                    high = min(high, bisect_right(values, operand))
                elif op == "lt":
                    high = min(high, bisect_left(values, operand))
                elif op == "lteq":
                    high = min(high, bisect_right(values, operand))
                elif op == "gt":
                    low = max(low, bisect_right(values, operand))
                else:
                    low = max(low, bisect_left(values, operand))
        except TypeError:  # an operand of another type than the column: scan instead
            return None
        size = max(0, high - low)
        return _Plan(size, conditions, lambda: sorted(positions[low:high]) if size else [])

    def _contains(self, condition: Condition, hint: Hint) -> _Plan | None:
        if "\x00" in hint.operand:
            return None
        columns = [self._text[a] for a in hint.attributes]

        def fetch() -> Positions:
            if len(columns) == 1:
                return columns[0].containing(hint.operand)
            found: set[int] = set()
            for column in columns:
                found.update(column.containing(hint.operand))
            return sorted(found)

        needle = hint.operand
        # at most this many rows: one pass in C, paid only when another plan competes
        return _Plan(self.size, [condition], fetch, lambda: sum(c.text.count(needle) for c in columns))

    def _like(self, condition: Condition, hint: Hint) -> _Plan | None:
        """Rows holding the rarest of a LIKE pattern's literal pieces (of its four longest):
        a candidate set only, each candidate is still checked against the pattern."""
        pieces = [p for p in hint.operand[:4] if "\x00" not in p]
        if not pieces:
            return None
        columns = [self._text[a] for a in hint.attributes]
        counts = {p: sum(c.text.count(p) for c in columns) for p in pieces}
        rarest = min(pieces, key=counts.__getitem__)

        def fetch() -> Positions:
            if len(columns) == 1:
                return columns[0].containing(rarest)
            return sorted({p for column in columns for p in column.containing(rarest)})

        return _Plan(counts[rarest], [], fetch)  # at most that many rows

    def plan(self, search: Search) -> _Plan | None:
        """The cheapest index access for an AND search, or None for a full scan."""
        if search.combinator != "and":
            return None
        plans: list[_Plan] = []
        ranges: dict[str, list[Condition]] = {}
        for condition in search.conditions:
            hint = condition.hint
            if hint is None:
                continue
            if hint.op in _RANGE_OPS and hint.attributes[0] in self._sorted:
                ranges.setdefault(hint.attributes[0], []).append(condition)
            elif hint.op in ("eq", "in"):
                plans.append(self._equality(condition, hint))
            elif hint.op in ("contains", "like"):
                text_plan = self._contains if hint.op == "contains" else self._like
                if found := text_plan(condition, hint):
                    plans.append(found)
        for attribute, conditions in ranges.items():
            if found := self._ranges(attribute, conditions):
                plans.append(found)
        if len(plans) > 1:
            for plan in plans:
                if plan.estimate is not None:
                    plan.size = plan.estimate()
        return min(plans, key=lambda p: p.size, default=None)

    def order(self, search: Search, hits: list[Row]) -> list[Row]:
        """``search.order`` with native keys: hits arrive in the controller's id DESC order, and
        a stable sort per term, last term first, gives ORDER BY t1, t2, …, id DESC (NULL is the
        largest value: last ascending, first descending, as PostgreSQL does)."""
        for sort in reversed(search.sorts):
            column = COLUMN[sort.attribute]
            if ATTRIBUTES[sort.attribute] is Kind.STR:
                ranks = self._ranks[sort.attribute]
                hits.sort(key=lambda row: ranks.get(row[column], len(ranks)), reverse=sort.descending)
            else:
                hits.sort(key=lambda row: (row[column] is None, row[column] or 0), reverse=sort.descending)
        return hits


def run_indexed(search: Search, rows: Sequence[Row], indexes: Indexes) -> list[Row]:
    """``query.run`` starting from the cheapest index: the same answer with less work."""
    if search.empty:
        return []
    plan = indexes.plan(search)
    if plan is None:
        parts = len(search.conditions) + len(search.groups)
        matches = search.conditions[0].test if parts == 1 and search.conditions else search.matches
        return indexes.order(search, list(filter(matches, rows)))
    covered = {id(c) for c in plan.covers}
    rest = [c.test for c in search.conditions if id(c) not in covered]
    rest += [group.matches for group in search.groups]
    candidates: Iterable[Row] = map(rows.__getitem__, plan.fetch())
    for test in rest:  # lazily chained: each row meets the tests in order, as ``all`` would
        candidates = filter(test, candidates)
    return indexes.order(search, list(candidates))
