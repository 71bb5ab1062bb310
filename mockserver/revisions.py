"""API revisions: which revision of the vendor's train-sessions documentation the mock serves, as data.

The vendor's doc gained XML answers, ``POST /api/train_sessions/unassign`` and the course player
over 2015 (three dated revisions; ``docs/mock/api-revisions.md``). A revision is the set of
``Feature``s it documents; the settings, the CLI (``serve --api-revision``), the pytest plugin,
the OpenAPI document and the docs all derive from ``REVISIONS``. Pure data, stdlib only, so the
engine may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEFAULT_REVISION",
    "REVISIONS",
    "Feature",
    "Revision",
    "revision_named",
    "revisions_markdown",
]


class Feature(StrEnum):
    """One part of the resource a revision of the doc adds to the seed's index and show."""

    XML = "xml"  # index and show answer Rails' to_xml when the request's format is XML
    UNASSIGN = "unassign"  # POST /api/train_sessions/unassign(.:format)
    PLAYER = "player"  # GET /api/train_sessions/:login_id/:course_code?token=TOKEN (HTML)


FEATURE_TEXT: dict[Feature, str] = {
    Feature.XML: "XML answers for index and show (`.xml`, `?format=xml`, an XML `Accept`)",
    Feature.UNASSIGN: "`POST /api/train_sessions/unassign` (JSON, form or `<content>` XML body)",
    Feature.PLAYER: "the course player page `GET /api/train_sessions/:login_id/:course_code?token=`",
}


@dataclass(frozen=True)
class Revision:
    """One revision of the vendor's doc: its name (``YYYY-MM``), the doc commits, what it serves."""

    name: str
    commits: str
    features: frozenset[Feature]
    note: str = ""

    def has(self, feature: Feature) -> bool:
        return feature in self.features


REVISIONS: tuple[Revision, ...] = (
    Revision(
        "2015-08",
        "879d9a5, f453d08, 1028edb, 714ff77, ccfdd6e (2015-08-04 to 08-24)",
        frozenset({Feature.XML, Feature.UNASSIGN, Feature.PLAYER}),
        "what the live API documents today; the default",
    ),
    Revision(
        "2015-02",
        "7bf0b8b (2015-02-06)",
        frozenset(),
        "the seed's surface: index and show, JSON whatever the format",
    ),
)
DEFAULT_REVISION = REVISIONS[0]
_BY_NAME = {r.name: r for r in REVISIONS}


def revision_named(name: str) -> Revision:
    """The revision called ``name``; ``KeyError`` naming the valid ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown API revision {name!r}; one of: {', '.join(_BY_NAME)}") from None


def revisions_markdown() -> str:
    """The docs' revision table: one row per feature, one column per revision."""
    lines = [
        "| served | " + " | ".join(f"`{r.name}`" for r in REVISIONS) + " |",
        "|---|" + "---|" * len(REVISIONS),
        "| index and show, JSON | " + " | ".join("yes" for _ in REVISIONS) + " |",
    ]
    for feature, text in FEATURE_TEXT.items():
        lines.append(f"| {text} | " + " | ".join("yes" if r.has(feature) else "·" for r in REVISIONS) + " |")
    return "\n".join(lines)
