"""The train-session record and the documented filters: the one source of truth.

Everything that needs the field list, a field's type, the render order or the filter table
(the fixture loader, the filter engine, the JSON Schemas, the OpenAPI document, the docs'
filter table, the contract suite's expectations via ``schemas/``) derives it from here.
Stdlib only: this module sits at the bottom of the import graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The value type of a field, as stored in the fixture file and rendered by the API."""

    ID = "id"  # integer > 0 (int4 primary key)
    INT = "int"  # integer with bounds
    STR = "str"  # string
    DATE = "date"  # "YYYY-MM-DD"
    DECIMAL = "decimal"  # a decimal rendered as a string, e.g. "12.5" (Rails renders decimals as strings)

    @property
    def xml_type(self) -> str | None:
        """The ``type`` attribute ``to_xml`` writes for a column of this kind (None: a string)."""
        return _XML_TYPES[self]


_XML_TYPES = {
    Kind.ID: "integer",
    Kind.INT: "integer",
    Kind.STR: None,
    Kind.DATE: "date",
    Kind.DECIMAL: "decimal",
}


@dataclass(frozen=True)
class Field:
    """One attribute of a train session."""

    name: str
    kind: Kind
    nullable: bool
    public: bool  # rendered by the API; hidden attributes are only filtered on
    description: str
    minimum: int | None = None
    maximum: int | None = None
    example: object = None
    column: bool = True  # a column of train_sessions; False: a method (to_xml writes those last)


INT4_MAX = 2_147_483_647
INT4_MIN = -2_147_483_648

FIELDS: tuple[Field, ...] = (
    Field("id", Kind.ID, False, True, "Primary key (int4).", 1, INT4_MAX, 3),
    # A method (the course's code), not a column: to_xml writes it after the columns.
    Field("course_code", Kind.STR, False, True, "Short code of the course.", example="WHMIS", column=False),
    # Scores and counts are int4 columns with no CHECK constraint: the real data behind the
    # Ransack reference holds scores of -1, 101 and 800, so only the int4 range is enforced.
    Field(
        "score", Kind.INT, False, True, "Final quiz score, normally 0..100 (int4).", INT4_MIN, INT4_MAX, 80
    ),
    Field(
        "percent_complete",
        Kind.INT,
        False,
        True,
        "Course progress, normally 0..100 (int4).",
        INT4_MIN,
        INT4_MAX,
        100,
    ),
    Field(
        "failed_attempts",
        Kind.INT,
        False,
        True,
        "Failed attempts at the final quiz, normally >= 0 (int4).",
        INT4_MIN,
        INT4_MAX,
        0,
    ),
    Field(
        "status",
        Kind.STR,
        False,
        True,
        "Workflow status, e.g. Assigned, In Progress, Completed.",
        example="Assigned",
    ),
    Field("cert_expiry", Kind.DATE, True, True, "Certificate expiry date.", example="2016-02-06"),
    Field("completion_date", Kind.DATE, True, True, "Date the course was completed.", example="2015-03-01"),
    Field("complete_by", Kind.DATE, True, True, "Due date.", example="2015-03-31"),
    Field("full_name", Kind.STR, False, True, "The assignee's full name.", example="Michelle Dragsta"),
    Field(
        "time_spent", Kind.DECIMAL, False, True, "Time spent, a decimal rendered as a string.", example="12.5"
    ),
    Field(
        "course_name",
        Kind.STR,
        True,
        False,
        "Course name (filtered on, not rendered).",
        example="Fall Protection",
    ),
    Field(
        "assignee_login_username",
        Kind.STR,
        True,
        False,
        "The assignee's login username (filtered on, not rendered).",
        example="mdragsta",
    ),
    Field(
        "last_attempt",
        Kind.DATE,
        True,
        False,
        "Date of the last attempt (filtered on, not rendered).",
        example="2015-01-01",
    ),
    # The foreign keys behind the associations. Ransack filters and sorts on them like on any
    # column; a fixture file may leave them out (the loader numbers them as a Rails seed would).
    Field(
        "course_id",
        Kind.ID,
        True,
        False,
        "The course's id: one per course_code and course_name (filtered on, not rendered).",
        1,
        INT4_MAX,
        1,
    ),
    Field(
        "assignee_id",
        Kind.ID,
        True,
        False,
        "The assignee's user id: one per username, null without an assignee (filtered on, not rendered).",
        1,
        INT4_MAX,
        101,
    ),
    Field(
        "assignee_login_id",
        Kind.ID,
        True,
        False,
        "The assignee's login id: one per username, null without a login (filtered on, not rendered).",
        1,
        INT4_MAX,
        1,
    ),
    Field(
        "account",
        Kind.STR,
        True,
        False,
        "Which account (token) sees the record; null means the default account.",
        example=None,
    ),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
PUBLIC_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.public)
HIDDEN_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if not f.public)
XML_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.public and f.column) + tuple(
    f for f in FIELDS if f.public and not f.column
)
"""The public fields in ``to_xml``'s order: the columns in table order, then the methods."""
RESOURCE = "train-session"
"""The record's element name in XML (``TrainSession.model_name.element``, dasherized)."""
DECIMAL_PATTERN = r"^-?[0-9]+\.[0-9]+$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class Predicate(StrEnum):
    """Every Ransack 4.1 predicate, in Ransack's spelling: the one predicate vocabulary.

    The documented filters use six; the engine (``engine.predicates``) gives each its semantics.
    Each compound predicate (``_any``/``_all``) follows its base.
    """

    EQ = "eq"
    EQ_ANY = "eq_any"
    EQ_ALL = "eq_all"
    NOT_EQ = "not_eq"
    NOT_EQ_ANY = "not_eq_any"
    NOT_EQ_ALL = "not_eq_all"
    LT = "lt"
    LT_ANY = "lt_any"
    LT_ALL = "lt_all"
    LTEQ = "lteq"
    LTEQ_ANY = "lteq_any"
    LTEQ_ALL = "lteq_all"
    GT = "gt"
    GT_ANY = "gt_any"
    GT_ALL = "gt_all"
    GTEQ = "gteq"
    GTEQ_ANY = "gteq_any"
    GTEQ_ALL = "gteq_all"
    IN = "in"
    IN_ANY = "in_any"
    IN_ALL = "in_all"
    NOT_IN = "not_in"
    NOT_IN_ANY = "not_in_any"
    NOT_IN_ALL = "not_in_all"
    MATCHES = "matches"
    MATCHES_ANY = "matches_any"
    MATCHES_ALL = "matches_all"
    DOES_NOT_MATCH = "does_not_match"
    DOES_NOT_MATCH_ANY = "does_not_match_any"
    DOES_NOT_MATCH_ALL = "does_not_match_all"
    CONT = "cont"
    CONT_ANY = "cont_any"
    CONT_ALL = "cont_all"
    NOT_CONT = "not_cont"
    NOT_CONT_ANY = "not_cont_any"
    NOT_CONT_ALL = "not_cont_all"
    I_CONT = "i_cont"
    I_CONT_ANY = "i_cont_any"
    I_CONT_ALL = "i_cont_all"
    NOT_I_CONT = "not_i_cont"
    NOT_I_CONT_ANY = "not_i_cont_any"
    NOT_I_CONT_ALL = "not_i_cont_all"
    START = "start"
    START_ANY = "start_any"
    START_ALL = "start_all"
    NOT_START = "not_start"
    NOT_START_ANY = "not_start_any"
    NOT_START_ALL = "not_start_all"
    END = "end"
    END_ANY = "end_any"
    END_ALL = "end_all"
    NOT_END = "not_end"
    NOT_END_ANY = "not_end_any"
    NOT_END_ALL = "not_end_all"
    NULL = "null"
    NOT_NULL = "not_null"
    PRESENT = "present"
    BLANK = "blank"
    TRUE = "true"
    NOT_TRUE = "not_true"
    FALSE = "false"
    NOT_FALSE = "not_false"


@dataclass(frozen=True)
class Filter:
    """A documented search parameter: Ransack attribute path(s) OR-ed, one predicate."""

    name: str
    attributes: tuple[str, ...]
    predicate: Predicate
    doc: str  # the vendor doc's wording
    ransack: str  # what Ransack actually does, where a client developer must know

    @property
    def kind(self) -> Kind:
        kind = FIELDS_BY_NAME[self.attributes[0]].kind
        return Kind.INT if kind is Kind.ID else kind


FILTERS: tuple[Filter, ...] = (
    Filter(
        "course_code_or_course_name_cont",
        ("course_code", "course_name"),
        Predicate.CONT,
        "Filter by course code or course name.",
        "Case-insensitive substring of code OR name; %, _, \\ and . are literal.",
    ),
    Filter(
        "full_name_cont",
        ("full_name",),
        Predicate.CONT,
        "Filter by full name.",
        "Case-insensitive substring (PostgreSQL ILIKE, per-code-point lower(), no accent folding).",
    ),
    Filter(
        "score_eq",
        ("score",),
        Predicate.EQ,
        "Filter by score.",
        "Cast with Ruby to_i: 'abc' means 0, '80.9' means 80; [] or [k] forms answer 500.",
    ),
    Filter(
        "completion_date_gteq",
        ("completion_date",),
        Predicate.GTEQ,
        "Filter by completion date greater or equal to the date provided.",
        "Date.parse-lenient; an invalid date drops the condition; NULL never matches.",
    ),
    Filter(
        "completion_date_lteq",
        ("completion_date",),
        Predicate.LTEQ,
        "Filter by completion date less than or equal to the date provided.",
        "Date.parse-lenient; an invalid date drops the condition; NULL never matches.",
    ),
    Filter(
        "cert_expiry_gt",
        ("cert_expiry",),
        Predicate.GT,
        "Filter by certificate expiry greater or equal to the date provided.",
        "STRICT >, despite the doc's 'greater or equal'.",
    ),
    Filter(
        "cert_expiry_lt",
        ("cert_expiry",),
        Predicate.LT,
        "Filter by certificate expiry less than or equal to the date provided.",
        "STRICT <, despite the doc's 'less than or equal'.",
    ),
    Filter(
        "percent_complete_eq",
        ("percent_complete",),
        Predicate.EQ,
        "Filter by % complete.",
        "Cast with Ruby to_i, like score_eq.",
    ),
    Filter(
        "complete_by_eq",
        ("complete_by",),
        Predicate.EQ,
        "Filter by date of completion.",
        "Equality on the due date (complete_by), not completion_date.",
    ),
    Filter(
        "last_attempt_eq",
        ("last_attempt",),
        Predicate.EQ,
        "Filter by date of last attempt.",
        "last_attempt is filtered on but not rendered.",
    ),
    Filter(
        "assignee_login_username_eq",
        ("assignee_login_username",),
        Predicate.EQ,
        "Filter by the assigned trainee's username.",
        "Exact, case-sensitive; never matches sessions without an assignee login.",
    ),
    Filter(
        "failed_attempts_eq",
        ("failed_attempts",),
        Predicate.EQ,
        "Filter by # of failed attempts at the Final Quiz.",
        "Cast with Ruby to_i, like score_eq.",
    ),
)

FILTERS_BY_NAME: dict[str, Filter] = {f.name: f for f in FILTERS}
