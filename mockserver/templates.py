"""Realistic defaults for a partial record: what ``POST /__mockserver/records`` and the pytest
plugin's ``.add()`` fill in for the fields a caller leaves out.

One source for both, so a record a test adds through the plugin and the same record posted
to a running server come out alike. The values come from the generator (a fixed seed), so
they are realistic and never change between runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mockserver.associations import FOREIGN_KEYS, next_id

TEMPLATE_SEED = 2015
TEMPLATE_COUNT = 64

_templates: list[dict[str, Any]] = []


def template(n: int) -> dict[str, Any]:
    """The ``n``-th realistic record from the generator, without its id, account and foreign keys."""
    if not _templates:
        from mockserver.generate import generate_records  # Faker loads only when defaults are needed

        for record in generate_records(TEMPLATE_SEED, TEMPLATE_COUNT):
            # the foreign keys are left to the loader, which keeps them consistent with the served data
            _templates.append({k: v for k, v in record.items() if k not in ("id", "account", *FOREIGN_KEYS)})
    return dict(_templates[n % len(_templates)])


def complete(partial: Mapping[str, Any], n: int, next_id: int) -> dict[str, Any]:
    """``partial`` over the ``n``-th template; ``id`` defaults to ``next_id``."""
    record = {**template(n), **partial}
    record.setdefault("id", next_id)
    return record


def complete_all(partials: Sequence[object], served_ids: Iterable[int]) -> list[object]:
    """Fill every object in ``partials``; ids left out count up from the highest served or given
    id, as a sequence does, or take the lowest free ids once that would leave int4.

    Anything that is not an object is passed through untouched, for the validator to name.
    """
    given = [p["id"] for p in partials if isinstance(p, Mapping) and isinstance(p.get("id"), int)]
    used = {*served_ids, *given}
    top = max(used, default=0)
    out: list[object] = []
    for n, partial in enumerate(partials):
        if isinstance(partial, Mapping):
            ident = top
            if "id" not in partial:
                ident = next_id(top, used)
                used.add(ident)
                top = max(top, ident)
            out.append(complete(partial, n, ident))
        else:
            out.append(partial)
    return out
