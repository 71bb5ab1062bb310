"""The Ransack engine: Rack params in, a compiled search out, ordered rows out of that.

Pure (no I/O, no aiohttp). It reproduces Ransack 4.1 on PostgreSQL as measured on a real Rails
6.1 + Ransack 4.1 + PostgreSQL 15 app (``docs/mock/filters.md``): Search's strip and blank
rules, ``m=or``, groupings (``g``), explicit conditions (``c``), multiparameter dates, ``s=``
sorting and the controller's ``id DESC`` order. Single conditions live in ``predicates``.

    compile_search(params, today) -> Search   parse once per request
    Search.matches(row) -> bool           the reference semantics, row by row
    run(search, rows) -> list[Row]        filter + Ransack/controller order
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.engine import multiparameter, ruby
from mockserver.engine.exposure import Exposure
from mockserver.engine.postgres import collation_key
from mockserver.engine.predicates import (
    SPECS,
    Condition,
    Notice,
    Pattern,
    PredicateSpec,
    build_condition,
    resolve_attribute,
    split_key,
)
from mockserver.engine.rack import (
    Params,
    ParamValue,
    broken_values,
    parse_query,
)
from mockserver.engine.rows import ATTRIBUTES, COLUMN, ID, Row
from mockserver.errors import InternalServerError, RailsError
from mockserver.model import Kind
from mockserver.stacks import DEFAULT_STACK, Quirk, Stack

CONTROLLER_KEYS = frozenset({"controller", "action", "format"})


@dataclass
class Sort:
    attribute: str
    descending: bool


SearchKey = tuple[str, datetime.date, frozenset[Quirk]]
"""What a compiled search is a function of: the canonical params, today and the quirks."""


@dataclass(eq=False)
class Search:
    """A compiled request: conditions, their combinator, sorts and what was ignored.

    A value: two searches compiled from equal params, on the same day, for the same quirks
    are equal and hash alike (``key``), whatever the spelling of the query; a nested group
    (no key) is equal only to itself.
    """

    conditions: list[Condition] = field(default_factory=list)
    groups: list[Search] = field(default_factory=list)  # nested g[...] groupings
    combinator: str = "and"
    sorts: list[Sort] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    empty: bool = False  # the result is known to be empty
    touched: frozenset[Quirk] = frozenset()  # quirks of other generations this search reached
    key: SearchKey | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Search):
            return NotImplemented
        return self is other or (self.key is not None and self.key == other.key)

    def __hash__(self) -> int:
        return hash(self.key) if self.key is not None else id(self)

    def matches(self, row: Row) -> bool:
        if self.empty:
            return False
        parts: list[Condition | Search] = [*self.conditions, *self.groups]
        if not parts:
            return True
        if self.combinator == "or":
            return any(p.matches(row) for p in parts)
        return all(p.matches(row) for p in parts)


@dataclass
class _Context:
    """What every level of a search being built shares: the notices, Ruby's Date.today and the
    served generation."""

    notices: list[Notice]
    today: datetime.date
    exposure: Exposure = field(default_factory=Exposure)


def _sort_from(value: ParamValue, key: str) -> list[Sort]:
    """Search#sorts=: strings ``attr dir``, arrays of them, or index hashes of name/dir."""
    if isinstance(value, str):
        items: list[ParamValue] = [value]
    elif isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = list(value.values())
        if any(not isinstance(v, dict) for v in items):
            raise InternalServerError(
                f"{key!r}: a non-indexed hash makes Ransack call with_indifferent_access on a "
                "String (NoMethodError); Rails answers 500"
            )
    elif value is None:
        return []
    else:  # a JSON body's number or boolean
        raise InternalServerError(
            f"{key!r}: Ransack raises ArgumentError (Invalid argument ({ruby.class_name(value)}) "
            "supplied to sorts=); Rails answers 500"
        )
    sorts: list[Sort] = []
    for item in items:
        if isinstance(item, dict):
            name, direction = item.get("name"), item.get("dir")
            if direction is not None and not isinstance(direction, str):
                raise InternalServerError(
                    f"{key!r}: a sort dir that is not a string makes Ransack call downcase on a "
                    f"{ruby.class_name(direction)} (NoMethodError); Rails answers 500"
                )
        elif item is None:  # only a multiparameter gap (s(2)=...): Rails' deep_munge drops nils
            raise InternalServerError(
                f"{key!r}: a gap in a multiparameter sort leaves nil among Ransack's sorts "
                "(NoMethodError when ordering); Rails answers 500"
            )
        elif isinstance(item, int):
            raise InternalServerError(
                f"{key!r}: a sort cast with (1i) makes Ransack's Sort.extract call split on an "
                "Integer (NoMethodError); Rails answers 500"
            )
        elif isinstance(item, str) and not ruby.is_blank(item):
            # Sort.extract: split(/\s+/, 2), and Ruby's \s is ASCII only
            name, _, direction = " ".join(_RUBY_SPACE.split(item, maxsplit=1)).partition(" ")
        else:
            continue
        attribute = resolve_attribute(name) if isinstance(name, str) else None
        if attribute is None:
            continue
        if isinstance(item, dict) and "dir" not in item:
            raise InternalServerError(
                f"{key!r}: a sort hash without a dir makes Ransack call attr.send(nil) "
                "(TypeError: nil is not a symbol nor a string); Rails answers 500"
            )
        desc = isinstance(direction, str) and direction.lower() == "desc"
        sorts.append(Sort(attribute, desc))
    return sorts


_RUBY_SPACE = re.compile(r"[ \t\n\v\f\r]+")


def _blank_param(value: Any) -> bool:
    """Search.new drops a param when ``[*v].all? { |i| i.blank? && i != false }``."""
    if isinstance(value, list):
        return all(v is not False and ruby.is_blank(v) for v in value)
    return value is not False and ruby.is_blank(value)


def _write(search: Search, root: _Context, key: str, value: Any) -> None:
    """Grouping#write_attribute: one ``attr_predicate`` key, silently ignored if unknown."""
    resolved = split_key(key)
    if resolved is None:
        root.notices.append(Notice(key, "unknown parameter; ignored"))
        return
    names, combinator, predicate = resolved
    if predicate.pattern is Pattern.ICONT:  # Ransack 1.6.0-2.3.0 has no i_cont: full_name_i + cont
        if root.exposure.has(Quirk.I_CONT_IGNORED):
            root.notices.append(Notice(key, "unknown parameter; ignored (no _i_cont before Ransack 2.3.1)"))
            return
        root.exposure.touch(Quirk.I_CONT_IGNORED)
    condition = build_condition(key, names, combinator, predicate, value, root, root.today)
    if condition is not None:
        # Grouping#[]=: a plain key replaces the conditions with its key built before it (a
        # ``c[0]`` on the same attributes and predicate); a ``c`` after it is only appended
        search.conditions[:] = [c for c in search.conditions if c.ransack_key != key]
        search.conditions.append(condition)


def _set_combinator(search: Search, root: _Context, key: str, value: Any) -> None:
    if value in ("or", "and"):
        search.combinator = value
    else:
        root.notices.append(Notice(key, f"{ruby.inspect(value)} is not 'and' or 'or'; ignored"))


def _groupings(search: Search, root: _Context, key: str, value: Any) -> None:
    """Grouping#groupings=: an array or index hash of nested groupings (``g[0][m]=or&...``)."""
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        raise InternalServerError(
            f"{key!r}: Ransack raises ArgumentError (Invalid argument ({ruby.class_name(value)}) "
            "supplied to groupings=); Rails answers 500"
        )
    for item in items:
        if not isinstance(item, dict):
            raise InternalServerError(
                f"{key!r}: a grouping must be a hash; Ransack calls with_indifferent_access on "
                f"a {ruby.class_name(item)} (NoMethodError); Rails answers 500"
            )
        group = Search()
        _build_grouping(group, root, item, key)
        if group.conditions or group.groups:
            search.groups.append(group)


def _apply(search: Search, root: _Context, key: str, value: Any, where: str) -> None:
    """One key of Grouping#build: groupings, conditions, the combinator, or an attribute."""
    if key in ("g", "groupings"):
        _groupings(search, root, where, value)
    elif key in ("c", "conditions"):
        _conditions(search, root, where, value)
    elif key in ("m", "combinator"):
        _set_combinator(search, root, where, value)
    else:
        _write(search, root, key, value)


def _build_grouping(search: Search, root: _Context, params: dict[str, Any], prefix: str) -> None:
    """Grouping#build: nested params are neither stripped nor blank-filtered."""
    for key, value in params.items():
        _apply(search, root, key, value, f"{prefix}[{key}]")


def _conditions(search: Search, root: _Context, key: str, value: Any) -> None:
    """Grouping#conditions=: ``c[0][a][0][name]=score&c[0][p]=eq&c[0][v][0][value]=80``.

    Each item is Condition.new.build(item), kept only when valid? (Ransack drops it silently
    otherwise); a malformed item raises in Ruby, which Rails answers with 500.
    """
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
    for item in items:
        condition = _explicit_condition(root, key, item)
        if condition is not None:
            search.conditions.append(condition)


def _explicit_condition(root: _Context, key: str, item: Any) -> Condition | None:
    """Condition#build (only the keys a, v, p and m, in the item's order), then valid?."""
    if not isinstance(item, dict):
        raise InternalServerError(
            f"{key!r}: a condition must be a hash; Ransack calls with_indifferent_access on "
            f"a {ruby.class_name(item)} (NoMethodError); Rails answers 500"
        )
    names: list[str | None] = []
    values: list[Any] = []
    spec: PredicateSpec | None = None
    combinator: str | None = None
    for name, part in item.items():
        if name == "a":
            names = _condition_attributes(part, key)
        elif name == "v":
            values = _condition_values(part, key)
        elif name == "p":
            spec = _condition_predicate(part, key, root.exposure)
        elif name == "m":
            combinator = part if part in ("or", "and") else None
    valid = [n for n in names if n is not None]
    if not valid or spec is None or (len(values) > 1 and not spec.wants_array):  # valid_arity?
        return None
    if names[0] is None and spec.switch is None:  # default_type reads the first's type (a
        raise InternalServerError(f"{key!r}: {_NAMELESS}")  # boolean predicate has its own)
    if len(names) > 1 and combinator is None:  # valid_combinator?
        return None
    raw: Any = values if spec.wants_array else values[0] if values else None
    condition = build_condition(key, tuple(valid), combinator or "and", spec, raw, root, root.today)
    if condition is not None and len(valid) < len(names):
        raise InternalServerError(f"{key!r}: {_NAMELESS}")  # Arel reads every attribute
    return condition


_NAMELESS = (
    "an attribute entry without a name, which Ransack keeps and later calls a method on "
    "(NoMethodError); Rails answers 500"
)


def _condition_attributes(value: Any, key: str) -> list[str | None]:
    """Condition#attributes=: resolvable names, None for a nameless entry (Ransack keeps it)."""
    if isinstance(value, list):
        names = value
    elif isinstance(value, dict):
        if any(not isinstance(v, dict) for v in value.values()):
            raise InternalServerError(
                f"{key!r}: an attribute entry is not a hash (attrs[:name] raises); Rails answers 500"
            )
        names = [v.get("name") for v in value.values()]
    else:
        raise InternalServerError(
            f"{key!r}: Ransack raises ArgumentError (Invalid argument ({ruby.class_name(value)}) "
            "supplied to attributes=); Rails answers 500"
        )
    resolved: list[str | None] = []
    for name in names:
        attribute = resolve_attribute(name) if isinstance(name, str) else None
        if attribute is not None or name is None:
            resolved.append(attribute)
    return resolved


def _condition_values(value: Any, key: str) -> list[Any]:
    """Condition#values=: an array of values or an index hash of ``{value: ...}``."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        if any(not isinstance(v, dict) for v in value.values()):
            raise InternalServerError(
                f"{key!r}: a value entry is not a hash (attrs[:value] raises); Rails answers 500"
            )
        return [v.get("value") for v in value.values()]
    raise InternalServerError(
        f"{key!r}: Ransack raises ArgumentError (Invalid argument ({ruby.class_name(value)}) "
        "supplied to values=); Rails answers 500"
    )


def _condition_predicate(value: Any, key: str, exposure: Exposure) -> PredicateSpec:
    """Condition#predicate_name=: an unknown (or nil) name leaves no predicate, and Ransack's
    next step (negative?) raises on nil (``i_cont`` too, before Ransack 2.3.1)."""
    spec = SPECS.get(value) if isinstance(value, str) else None
    if spec is not None and spec.pattern is Pattern.ICONT:
        if exposure.has(Quirk.I_CONT_IGNORED):
            spec = None
        else:
            exposure.touch(Quirk.I_CONT_IGNORED)
    if spec is None:
        raise InternalServerError(
            f"{key!r}: unknown predicate {ruby.inspect(value)}; Ransack then calls negative? on nil "
            "(NoMethodError); Rails answers 500"
        )
    return spec


def search_key(params: Params, today: datetime.date, stack: Stack = DEFAULT_STACK) -> SearchKey:
    """What ``compile_search(params, today, stack)`` is a function of, as a hashable value.

    ``repr`` is canonical here: values are str/list/dict/None (and a GET body's JSON
    numbers and booleans, whose reprs differ from the strings'), in Rack's (meaningful) key
    order; of the generation only its quirks matter.
    """
    return (repr(params), today, stack.quirks)


def compile_query(raw: bytes, today: datetime.date, stack: Stack = DEFAULT_STACK) -> Search:
    """``compile_search(parse_query(raw))``; raises the Rails errors like the two steps do."""
    return compile_search(parse_query(raw, stack.quirks), today, stack)


def compile_search(params: Params, today: datetime.date, stack: Stack = DEFAULT_STACK) -> Search:
    """Ransack's Search.new(params) for the API's model; raises the Rails 500s.

    ``today`` is Ruby's Date.today, from which a lenient date (``Jan 5``) takes its year;
    ``stack`` the served generation. The quirks of other generations the params reach are
    kept in ``Search.touched`` (or in the raised error's ``touched``).
    """
    search = Search(key=search_key(params, today, stack))
    context = _Context(search.notices, today, Exposure(stack))
    try:
        _build(search, context, params)
    except RailsError as error:
        raise context.exposure.mark(error) from None
    _flatten(search)
    if context.exposure.touched:
        search.touched = frozenset(context.exposure.touched)
    return search


def _flatten(search: Search) -> None:
    """Once built (Grouping#[]= reads the conditions by level), a grouping of one item is that
    item: ``any``/``all`` of one item is the item, so ``g[0][g][0]…`` costs one test per row,
    and a lone condition joins its parent's, where an index can answer it."""
    groups, search.groups = search.groups, []
    for group in groups:
        _flatten(group)
        if not group.empty and len(group.conditions) + len(group.groups) == 1:
            if group.conditions:
                search.conditions.append(group.conditions[0])
            else:
                search.groups.append(group.groups[0])
        else:
            search.groups.append(group)


def _strip_matters(key: str, value: str, stripped: str) -> bool:
    """Would searching ``value`` unstripped answer otherwise? Only for text conditions, boolean
    predicates (``" 1"`` is no boolean), sorts and the combinator, or when stripping made the
    value blank: integers (``" 80".to_i``), dates and decimals read past the padding."""
    if ruby.is_blank(stripped) != ruby.is_blank(value) or key in ("s", "sorts", "m", "combinator"):
        return True
    resolved = split_key(key)
    if resolved is None:
        return False
    names, _, spec = resolved
    return spec.switch is not None or any(ATTRIBUTES[name] is Kind.STR for name in names)


def _build(search: Search, context: _Context, params: Params) -> None:
    """Search.new's steps: strip (Ransack >= 2.4), drop blanks, collapse dates, build."""
    exposure = context.exposure
    strip = not exposure.has(Quirk.NO_STRIP)
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if key in CONTROLLER_KEYS:
            continue
        if exposure.has(Quirk.INVALID_UTF8_500) and broken_values(value):
            raise InternalServerError(
                f"{key!r}: a value that is not UTF-8 makes Ransack's blank? raise ArgumentError "
                "(invalid byte sequence); Rails < 5.0 does not check the encoding and answers 500"
            )
        if isinstance(value, str) and strip:
            stripped = ruby.strip(value)
            if stripped != value and _strip_matters(key, value, stripped):
                exposure.touch(Quirk.NO_STRIP)
            value = stripped
        if _blank_param(value):
            known = split_key(key) is not None or key in ("s", "sorts", "m", "combinator")
            search.notices.append(
                Notice(
                    key, "blank value; the condition is dropped" if known else "unknown parameter; ignored"
                )
            )
            continue
        cleaned[key] = value
    for key, value in multiparameter.collapse(cleaned).items():
        if key in ("s", "sorts"):  # only the top level sorts (Search#build)
            search.sorts.extend(_sort_from(value, key))
        else:
            _apply(search, context, key, value, key)


def sort_key(sorts: list[Sort]) -> Callable[[Row], tuple[Any, ...]]:
    """ORDER BY the requested sorts, then the controller's id DESC; NULLs largest (PG)."""

    def key(row: Row) -> tuple[Any, ...]:
        parts: list[Any] = []
        for sort in sorts:
            value = row[COLUMN[sort.attribute]]
            missing = value is None
            if isinstance(value, str):
                value = collation_key(value)
            parts.append(_Ordered(missing, value, sort.descending))
        parts.append(-row[ID])
        return tuple(parts)

    return key


@dataclass(frozen=True)
class _Ordered:
    """One ORDER BY term: NULL is the largest value (NULLS LAST asc, NULLS FIRST desc)."""

    missing: bool
    value: Any
    descending: bool

    def _plain(self) -> tuple[bool, Any]:
        return (self.missing, 0 if self.missing else self.value)

    def __lt__(self, other: _Ordered) -> bool:
        if self.descending:
            return bool(other._plain() < self._plain())
        return bool(self._plain() < other._plain())


def order(search: Search, hits: list[Row]) -> list[Row]:
    """Apply ``s=`` sorts to hits already in the controller's id DESC order (stable)."""
    if search.sorts:
        hits.sort(key=sort_key(search.sorts))
    return hits


def run(search: Search, rows: Iterable[Row]) -> list[Row]:
    """Filter rows (already in id DESC order) and apply sorts; the reference implementation."""
    if search.empty:
        return []
    return order(search, [row for row in rows if search.matches(row)])
