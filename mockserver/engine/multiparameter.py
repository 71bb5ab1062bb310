"""Ransack's ``collapse_multiparameter_attributes!``: ``d(1i)=2015&d(2i)=1`` -> ``d=[2015, 1]``.

Ransack 4.1 (``search.rb``) reads every key holding a ``(``: ``k.split(/\\(|\\)/)`` gives the
attribute and the position text; the position's last character picks a cast (``a``, ``s``,
``i``: ``to_a``, ``to_s``, ``to_i``, ``i`` turning a blank value into nil), ``position.to_i - 1``
the index, and the value goes to ``attrs[attribute][index]``. What Ruby raises there is
Rails' 500: no position (``d(``, ``d()``), an index below the array's start (``(0i)``,
``(xi)``, ``(-1i)`` on an empty array), ``to_i``/``to_a`` on a value that has none.

Ruby fills the gap before a large index with nils (``d(100000i)`` builds 100,000 slots). The
slots are kept sparse here, and the runs of nils are shortened to ``NIL_RUN`` nils in all per
request (each run keeps one at least) when the arrays are handed on: what Ransack does with
them does not change (a date reads the first three slots, ``in`` compares each value, text
compares ``inspect``'s ``[nil, nil, ...``, which ``NIL_RUN`` nils make longer than any stored
value up to 5 KB). The request's work and memory follow its size, not its positions. An index
Ruby cannot allocate (``MEMORY_SLOTS`` and beyond) is its NoMemoryError or IndexError: 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mockserver.engine import ruby
from mockserver.errors import InternalServerError

__all__ = ["MEMORY_SLOTS", "NIL_RUN", "collapse"]

NIL_RUN = 1024
"""The nils kept per request in place of Ruby's gaps (``inspect`` of them: 5 KB of text)."""
MEMORY_SLOTS = 1 << 31
"""Slots from which Ruby's array no longer fits in memory (16 GiB; it answered 500 at 10**11)."""
_ARY_MAX_SIZE = ((1 << 63) - 1) // 8  # Ruby's ARY_MAX_SIZE: IndexError ("index too big") beyond
_SPLIT = re.compile(r"[()]")
_CASTS = ("a", "s", "i")  # Ransack::Constants::A_S_I


@dataclass
class _Slots:
    """One attribute's array as Ruby holds it: the assigned slots, and its length."""

    values: dict[int, Any] = field(default_factory=dict)
    length: int = 0

    def store(self, key: str, index: int, value: Any) -> None:
        """Array#[]=: a negative index counts from the end; past the end, nils fill the gap."""
        if index < 0:
            index += self.length
            if index < 0:
                raise InternalServerError(
                    f"{key!r}: a multiparameter position before the array's start makes Ruby "
                    f"raise IndexError (index {index - self.length} too small for array); "
                    "Rails answers 500"
                )
        if index >= _ARY_MAX_SIZE or index >= MEMORY_SLOTS:
            raise InternalServerError(
                f"{key!r}: a multiparameter position of {index + 1} asks Ruby for an array it "
                "cannot allocate (IndexError or NoMemoryError); Rails answers 500"
            )
        self.values[index] = value
        self.length = max(self.length, index + 1)

    def array(self, budget: list[int]) -> list[Any]:
        """The array, its runs of nils shortened to what is left of the request's ``budget``
        of nils (each run keeps one)."""
        out: list[Any] = []
        previous = -1
        for index in sorted(self.values):
            gap = index - previous - 1
            if gap:
                kept = max(1, min(gap, budget[0]))
                budget[0] = max(0, budget[0] - kept)
                out.extend([None] * kept)
            out.append(self.values[index])
            previous = index
        return out


def _cast(key: str, cast: str, value: Any) -> Any:
    """The position's cast: ``to_i`` (nil when blank), ``to_s``, ``to_a``, as Ruby has them."""
    if cast == "i":
        if ruby.is_blank(value):
            return None
        if isinstance(value, str):
            return ruby.to_i(value)
        if isinstance(value, float) and value - value == 0:  # a JSON number: Float#to_i
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        method = "to_i"
    elif cast == "s":
        return value if isinstance(value, str) else ruby.inspect(value)
    elif isinstance(value, list):
        return value
    elif isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    else:
        method = "to_a"
    raise InternalServerError(
        f"{key!r}: the multiparameter cast calls {method} on a {ruby.class_name(value)} "
        "(NoMethodError); Rails answers 500"
    )


def _replace_character(key: str, text: str, index: int, value: Any) -> str:
    """``text[index] = value`` on a String, as Ruby does it or raises it (Rails' 500)."""
    if not isinstance(value, str):
        raise InternalServerError(
            f"{key!r}: the attribute already holds a String, and String#[]= takes no "
            f"{ruby.class_name(value)} (TypeError); Rails answers 500"
        )
    at = index + len(text) if index < 0 else index
    if not 0 <= at <= len(text):
        raise InternalServerError(
            f"{key!r}: position {index + 1} is outside the String the attribute already "
            "holds (IndexError); Rails answers 500"
        )
    return text[:at] + value + text[at + 1 :]


def collapse(params: dict[str, Any]) -> dict[str, Any]:
    """Ransack's collapse over a copy of ``params``, in Ruby's key order: an attribute new to
    the hash goes to its end; nested hashes (``g``, ``c``) collapse too."""
    return _collapse(params, [NIL_RUN])


def _collapse(params: dict[str, Any], budget: list[int]) -> dict[str, Any]:
    attrs = dict(params)
    slots: dict[str, _Slots] = {}
    for key in params:
        if "(" not in key:
            if isinstance(attrs.get(key), dict):
                attrs[key] = _collapse(attrs[key], budget)
            continue
        parts = _SPLIT.split(key)
        while parts and parts[-1] == "":  # String#split drops trailing empty fields
            parts.pop()
        if len(parts) < 2:
            raise InternalServerError(
                f"{key!r}: a multiparameter key without a position makes Ransack call last "
                "on nil (NoMethodError); Rails answers 500"
            )
        name, position = parts[0], parts[1]
        cast = position[-1:] if position[-1:] in _CASTS else None
        value = attrs.pop(key)
        stored = _cast(key, cast, value) if cast else value
        existing, index = attrs.get(name), ruby.to_i(position) - 1
        if isinstance(existing, dict):  # Hash#[]=: the position is one more key
            attrs[name] = {**existing, str(index): stored}
            continue
        if isinstance(existing, str):  # String#[]=: one character replaced
            attrs[name] = _replace_character(key, existing, index, stored)
            continue
        if name not in slots:
            slots[name] = _Slots(dict(enumerate(existing or [])), len(existing or []))
            attrs[name] = slots[name]
        slots[name].store(key, index, stored)
    return {k: v.array(budget) if isinstance(v, _Slots) else v for k, v in attrs.items()}
