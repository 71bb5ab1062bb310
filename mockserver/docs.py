"""Reference tables for the docs, rendered from the model so the docs cannot drift.

``python -m mockserver.docs`` rewrites the section of ``docs/mock/filters.md`` between
``<!-- filters:start -->`` and ``<!-- filters:end -->`` and the one of
``docs/mock/stack-generations.md`` between ``<!-- stacks:start -->`` and ``<!-- stacks:end -->``;
a test fails when the committed pages differ.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mockserver.associations import FOREIGN_KEYS
from mockserver.model import FIELDS, FILTERS, Kind
from mockserver.revisions import revisions_markdown
from mockserver.stacks import STACKS, TO_XML_SAME, stacks_markdown

_KIND_TEXT = {
    Kind.ID: "integer",
    Kind.INT: "integer",
    Kind.STR: "string",
    Kind.DATE: "date",
    Kind.DECIMAL: "decimal string",
}


def filters_markdown() -> str:
    """The filter table and the rules a client developer must know."""
    lines = [
        "# Filters",
        "",
        "All twelve documented filters, with what Ransack on the live API really does. Unknown",
        "names, blank values and uncastable values are silently ignored, exactly as live; the mock",
        "names each in an `X-Mockserver-Ignored` response header (`--strict` answers 400 instead).",
        "",
        "| parameter | field | type | the doc says | Ransack does |",
        "|---|---|---|---|---|",
    ]
    for f in FILTERS:
        fields = " or ".join(f"`{a}`" for a in f.attributes)
        lines.append(f"| `{f.name}` | {fields} | {_KIND_TEXT[f.kind]} | {f.doc} | {f.ransack} |")
    lines += [
        "",
        "Rules that hold for every filter:",
        "",
        "- Values are stripped of ASCII whitespace and NUL; a value that is then blank (including",
        '  NBSP-only) drops the condition: an empty value never means "match empty".',
        "- A repeated parameter: the last one wins. `k[]=`/`k[x]=` forms: integer filters answer",
        "  500 (as live), date filters drop the condition, text filters search for Ruby's",
        "  `inspect` of the value (so they match nothing).",
        "- Dates go through Ruby's lenient `Date.parse`: `2015-1-1`, `20150101`, `Jan 5 2015` and",
        "  `01/02/2015` (that is 1 February) all work; an invalid date drops the condition.",
        "- `NULL` never matches a comparison. Results are ordered by `id` descending.",
        "- Also live and supported: `m=or`, `s=field+desc` sorting and the other Ransack",
        "  predicates (`_gt`, `_in[]`, `_null`, `_start`, ...) on every field; the API doc does",
        "  not list them. Text comparisons (`_lt`, `_gteq`, ...) follow the en_US.UTF-8 collation,",
        "  as `s=` sorting does.",
        "- The foreign keys " + ", ".join(f"`{n}`" for n in FOREIGN_KEYS) + " filter and sort like any",
        "  column (`course_id_eq=1`, `s=assignee_id+asc`); a fixture file may give them (one per",
        "  course, one per username) or leave them to the loader, which numbers courses and logins",
        "  in order of first appearance, as a Rails seed would. They are never rendered.",
        "",
        "Fields rendered, in order: "
        + ", ".join(f"`{f.name}`" for f in FIELDS if f.public)
        + ". Filtered on but not rendered: "
        + ", ".join(f"`{f.name}`" for f in FIELDS if not f.public and f.name != "account")
        + ".",
    ]
    return "\n".join(lines)


def stacks_section() -> str:
    """The generations (``serve --stack list``) and their quirks, from ``mockserver.stacks``."""
    lines = [
        "| `--stack` | Rails | Ransack | Rack | pg | Ruby | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in STACKS:
        lines.append(f"| `{s.name}` | {s.rails} | {s.ransack} | {s.rack} | {s.pg} | {s.ruby} | {s.note} |")
    lines += [
        "",
        'What each generation answers differently from the default ("old": this generation has the',
        'old behaviour; "checked": `stand-in` = measured on a real Rails 6.1 + PostgreSQL 15 app',
        "running that Ransack, `source` = unit-tested against the cited source lines, as Rails 4.x",
        "and Ransack 1.x need Ruby <= 2.6):",
        "",
        stacks_markdown(),
        "",
        "XML answers (the `2015-08` API revision, `docs/mock/api-revisions.md`): "
        + "; ".join(
            ", ".join(f"`{s.name}`" for s in STACKS if s.to_xml == source) + f": {source}"
            for source in dict.fromkeys(s.to_xml for s in STACKS)
        )
        + ". "
        + TO_XML_SAME
        + ".",
    ]
    return "\n".join(lines)


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with the marked section ``name`` replaced by ``body``."""
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- {name}:start/end --> markers")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def main(docs: str = "docs") -> int:
    filters = Path(docs, "mock", "filters.md")
    filters.write_text(
        replace_section(filters.read_text(encoding="utf-8"), "filters", filters_markdown()), encoding="utf-8"
    )
    revisions = Path(docs, "mock", "api-revisions.md")
    revisions.write_text(
        replace_section(revisions.read_text(encoding="utf-8"), "revisions", revisions_markdown()),
        encoding="utf-8",
    )
    stacks = Path(docs, "mock", "stack-generations.md")
    stacks.write_text(
        replace_section(stacks.read_text(encoding="utf-8"), "stacks", stacks_section()), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(*sys.argv[1:]))
