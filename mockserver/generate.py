"""Deterministic, realistic train-session fixtures (pure generation; the CLI lives elsewhere).

Why it is built this way:

* Reproducible: the same ``(seed, count, accounts)`` gives byte-identical output, so a generated
  file can be committed, diffed and cached (``GENERATOR_VERSION`` is part of the cache key). All
  randomness comes from a dedicated ``random.Random`` and per-locale ``Faker`` instances seeded
  with the seed; nothing reads the clock ("Expired" is relative to the fixed ``REFERENCE_DATE``)
  and nothing iterates a set or depends on hashing. The output also depends on the installed
  Faker release (its name lists), which ``GENERATOR_VERSION`` cannot capture.
* Fast: Faker is only asked for one name per person (``count // 4`` people); sessions are built
  from plain ``random.Random`` draws, so a million records take seconds, not minutes.
* Consistent: each record's fields agree with its status (see ``_session``), every date lies in
  ``DATE_MIN..DATE_MAX``, and each person takes distinct courses under one username and account,
  so filters return plausible, checkable results.
"""

from __future__ import annotations

import json
import os
import random
import stat
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from faker import Faker

from mockserver.model import FIELDS

__all__ = [
    "COURSES",
    "DATE_MAX",
    "DATE_MIN",
    "GENERATOR_VERSION",
    "REFERENCE_DATE",
    "Course",
    "dumps_fixture",
    "generate_records",
    "write_atomically",
    "write_fixture",
]

GENERATOR_VERSION = 2  # 2: the foreign keys course_id, assignee_id, assignee_login_id
"""Bump whenever the output for a given seed changes (it keys caches of generated files)."""

DATE_MIN = date(2014, 1, 1)
DATE_MAX = date(2026, 12, 31)
REFERENCE_DATE = date(2025, 6, 30)
"""The fixed "today": a completed certificate expiring before it is "Expired"."""

_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_KNOWN_FIELDS: frozenset[str] = frozenset(_FIELD_NAMES)


@dataclass(frozen=True)
class Course:
    """A catalogue entry; its numbers drive the consistency of the sessions taken in it."""

    code: str
    name: str
    validity_years: int  # certificate lifetime: cert_expiry = completion_date + this
    hours_tenths: int  # typical time to finish, in tenths of an hour
    pass_mark: int  # minimum final-quiz score to pass
    weight: int  # relative popularity


COURSES: tuple[Course, ...] = (
    Course("WHMIS", "WHMIS 2015 (GHS)", 1, 15, 80, 12),
    Course("SIMDUT", "SIMDUT 2015 (SGH) – Formation générale", 1, 15, 80, 3),
    Course("TDG", "Transportation of Dangerous Goods", 3, 30, 80, 7),
    Course("FP", "Fall Protection", 3, 40, 80, 7),
    Course("H2S", "H2S Alive", 3, 80, 70, 5),
    Course("CSO", "Confined Space Operations", 3, 40, 80, 4),
    Course("SFA", "Standard First Aid & CPR/AED Level C", 3, 160, 75, 4),
    Course("EFA", "Emergency First Aid & CPR/AED", 3, 80, 75, 4),
    Course("FORK", "Forklift Operator Safety", 3, 60, 80, 4),
    Course("LOTO", "Lockout/Tagout", 2, 20, 80, 5),
    Course("LADDER", "Ladder Safety", 3, 10, 80, 3),
    Course("GD2", "Ground Disturbance Level II", 3, 80, 75, 3),
    Course("FIRE", "Fire Extinguisher Training", 1, 10, 80, 3),
    Course("AWP", "Aerial Work Platform", 3, 60, 80, 3),
    Course("PPE", "Personal Protective Equipment", 3, 10, 80, 4),
    Course("ASB", "Asbestos Awareness", 2, 20, 80, 2),
    Course("SIL", "Silica Exposure Control", 2, 15, 80, 2),
    Course("RIG", "Rigging & Signalling", 3, 40, 80, 2),
    Course("FLHA", "Field Level Hazard Assessment", 3, 15, 80, 3),
    Course("WVH", "Workplace Violence & Harassment", 1, 15, 80, 4),
    Course("PST", "Petroleum Safety Training", 3, 80, 75, 2),
    Course("HEAR", "Hearing Conservation", 2, 10, 80, 2),
    Course("RESP_FIT", "Respirator Fit Test (N95/P100)", 2, 5, 80, 2),
)

# Mostly Canadian names; the rest bring accents, non-Latin script (Greek), dotless i (Turkish)
# and apostrophes (Irish O'...), which the full_name_cont filter must handle.
_LOCALES: tuple[tuple[str, int], ...] = (
    ("en_CA", 52),
    ("fr_CA", 25),
    ("en_IE", 5),
    ("de_DE", 4),
    ("es_MX", 4),
    ("pl_PL", 4),
    ("tr_TR", 3),
    ("el_GR", 3),
)

# Statuses and their shares; "Assigned" renewals (an existing certificate about to expire) are a
# tenth of the Assigned ones, mirroring the vendor sample where Assigned rows carry cert_expiry.
_STATUSES: tuple[tuple[str, int], ...] = (
    ("Completed", 40),
    ("Expired", 14),
    ("Assigned", 22),
    ("In Progress", 14),
    ("Failed", 10),
)
_NAMES_PER_LOCALE = 5_000  # Faker draws per locale; beyond that, names are recombined
# Canadian surnames with apostrophes, rare in Faker's lists but common in real rosters.
_APOSTROPHE_SURNAMES: tuple[str, ...] = (
    "O'Brien", "O'Connor", "O'Neill", "O'Reilly", "D'Amours", "D'Aoust", "L'Heureux", "L'Écuyer",
    "D'Souza", "D'Arcy",
)  # fmt: skip
_APOSTROPHE_SHARE = 0.04
_APOSTROPHE_LOCALES = ("en_CA", "fr_CA")
_NO_LOGIN_SHARE = 0.07  # people without a login: their sessions have no username
_DUE_DATE_SHARE = 0.55  # sessions with a complete_by
_RENEWAL_SHARE = 0.10  # Assigned sessions that renew a certificate (cert_expiry set)
_ID_GAP_SHARE = 0.02  # deleted sessions leave holes in the id sequence

# Letters NFKD does not decompose to ASCII, so usernames stay ASCII for every locale.
_FOLD = str.maketrans(
    {
        "ł": "l", "ø": "o", "ß": "ss", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th",
        "ð": "d", "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i",
        "θ": "th", "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o",
        "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch",
        "ψ": "ps", "ω": "o",
    }
)  # fmt: skip


def _ascii_fold(text: str) -> str:
    """Lowercase ASCII letters only: what an LMS admin would type as a login."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_FOLD)
    return "".join(ch for ch in stripped if "a" <= ch <= "z")


def _add_years(day: date, years: int) -> date:
    """Same calendar day ``years`` later; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class _Person:
    full_name: str
    username: str | None
    account: str | None


def _people(seed: int, count: int, accounts: Sequence[str | None], rng: random.Random) -> list[_Person]:
    """Draw ``count`` people once; sessions reuse them, so Faker is never called per session.

    Faker is slow (~25 µs a name), so each locale is asked for at most ``_NAMES_PER_LOCALE``
    names; later people recombine those (the locales' lists are smaller than that anyway).
    """
    fakers: list[Faker] = []
    for locale, _ in _LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        fakers.append(fake)
    firsts: list[list[str]] = [[] for _ in fakers]
    lasts: list[list[str]] = [[] for _ in fakers]
    locale_cum = list(accumulate(w for _, w in _LOCALES))
    apostrophes = [locale in _APOSTROPHE_LOCALES for locale, _ in _LOCALES]
    # A separate stream so that the accounts chosen do not perturb (or correlate with) the rest.
    account_rng = random.Random(f"accounts:{seed}")
    used: set[str] = set()
    people: list[_Person] = []
    for loc in rng.choices(range(len(fakers)), cum_weights=locale_cum, k=count):
        if len(firsts[loc]) < _NAMES_PER_LOCALE:
            first, last = fakers[loc].first_name(), fakers[loc].last_name()
            firsts[loc].append(first)
            lasts[loc].append(last)
        else:
            first, last = rng.choice(firsts[loc]), rng.choice(lasts[loc])
        if apostrophes[loc] and rng.random() < _APOSTROPHE_SHARE:
            last = rng.choice(_APOSTROPHE_SURNAMES)
        username: str | None = None
        if rng.random() >= _NO_LOGIN_SHARE:
            base = (_ascii_fold(first)[:1] + _ascii_fold(last)) or "user"
            username, n = base, 1
            while username in used:
                n += 1
                username = f"{base}{n}"
            used.add(username)
        people.append(_Person(f"{first} {last}", username, account_rng.choice(accounts)))
    return people


def _sessions_per_person(people: int, count: int, rng: random.Random) -> list[int]:
    """Split ``count`` sessions over ``people``: at least one each, at most one per course."""
    sizes = [1] * people
    extra = count - people
    population = range(people)
    while extra:
        picks = rng.choices(population, k=extra)
        extra = 0
        for p in picks:
            if sizes[p] < len(COURSES):
                sizes[p] += 1
            else:
                extra += 1
    return sizes


def _pick_courses(k: int, rng: random.Random, cum: list[int]) -> list[int]:
    """``k`` distinct course indexes, popular courses more likely (rejection sampling)."""
    if k >= len(COURSES):
        return list(range(len(COURSES)))
    chosen: list[int] = []
    indexes = range(len(COURSES))
    while len(chosen) < k:
        for c in rng.choices(indexes, cum_weights=cum, k=k - len(chosen)):
            if c not in chosen and len(chosen) < k:
                chosen.append(c)
    return chosen


_STATUS_NAMES: tuple[str, ...] = tuple(s for s, _ in _STATUSES)
_STATUS_CUM: list[int] = list(accumulate(w for _, w in _STATUSES))
_MIN_ORD = DATE_MIN.toordinal()
_REF_ORD = REFERENCE_DATE.toordinal()
# Dates as ordinals until the end; one precomputed string per day is much faster than isoformat().
_DATES: list[str] = [date.fromordinal(o).isoformat() for o in range(_MIN_ORD, DATE_MAX.toordinal() + 1)]

# A session before its id: (assigned ordinal, person, course) first, a unique sort key, then
# status, score, percent, failed attempts, time spent, cert expiry, completion, due, last attempt.
_Row = tuple[int, int, int, str, int, int, int, str, int | None, int | None, int | None, int | None]


def _session(person: int, course_index: int, rng: random.Random) -> _Row:
    """One consistent session: every field follows from the status and the course.

    Assigned: nothing done (0/0/"0.0", no completion, no attempt); a renewal carries the expiry
    of the certificate it renews. In Progress: 0 < percent < 100, attempted. Completed/Expired:
    100 %, score >= pass mark, completion_date = last_attempt, cert_expiry = completion +
    validity, on/after REFERENCE_DATE for Completed and before it for Expired. Failed: 100 %,
    score < pass mark, >= 1 failed attempt, no completion or certificate.
    """
    course = COURSES[course_index]
    status = rng.choices(_STATUS_NAMES, cum_weights=_STATUS_CUM)[0]
    score = percent = failed = tenths = 0
    cert: int | None = None
    completion: int | None = None
    attempt: int | None = None
    due: int | None = None
    if status in ("Completed", "Expired"):
        years = course.validity_years
        earliest_valid = _add_years(REFERENCE_DATE, -years).toordinal()  # expiry >= reference
        if status == "Completed":
            c_lo, c_hi = earliest_valid, min(_REF_ORD, _add_years(DATE_MAX, -years).toordinal())
        else:
            c_lo, c_hi = _MIN_ORD, earliest_valid - 1
        completion = attempt = rng.randint(c_lo, c_hi)
        cert = _add_years(date.fromordinal(completion), years).toordinal()
        assigned = max(_MIN_ORD, completion - rng.randint(0, 60))
        percent = 100
        score = rng.randint(course.pass_mark, 100)
        failed = rng.choices((0, 1, 2), (80, 15, 5))[0]
        tenths = rng.randint(course.hours_tenths * 6 // 10, course.hours_tenths * 15 // 10)
    else:
        # Open sessions lean recent: old ones were mostly finished or dropped.
        assigned = int(rng.triangular(_MIN_ORD, _REF_ORD, _REF_ORD))
        if status == "Assigned":
            if rng.random() < _RENEWAL_SHARE:
                cert = due = assigned + rng.randint(7, 60)
        else:
            attempt = assigned + rng.randint(0, min(90, _REF_ORD - assigned))
            if status == "In Progress":
                percent = rng.randint(1, 99)
                tenths = max(1, course.hours_tenths * percent * rng.randint(6, 15) // 1000)
            else:  # Failed
                percent = 100
                score = rng.randint(max(0, course.pass_mark - 50), course.pass_mark - 1)
                failed = rng.choices((1, 2, 3), (70, 22, 8))[0]
                tenths = rng.randint(course.hours_tenths * 6 // 10, course.hours_tenths * 15 // 10)
    if due is None and rng.random() < _DUE_DATE_SHARE:
        due = assigned + rng.choice((14, 30, 30, 60, 90))
    return (
        assigned,
        person,
        course_index,
        status,
        score,
        percent,
        failed,
        f"{tenths // 10}.{tenths % 10}",
        cert,
        completion,
        due,
        attempt,
    )


def _iso(ordinal: int | None) -> str | None:
    """Ordinal to "YYYY-MM-DD" by table lookup (hot path: four per record)."""
    return None if ordinal is None else _DATES[ordinal - _MIN_ORD]


def generate_records(
    seed: int, count: int, *, accounts: Sequence[str | None] = (None,)
) -> list[dict[str, object]]:
    """``count`` train-session records, a pure function of the arguments.

    Keys follow the model's FIELDS order; ``account`` is omitted for the default account (None),
    so single-account files stay free of it. Ids ascend from 1 in assignment order, with a few
    gaps as left by deleted sessions. Each person is on one account (drawn from ``accounts``).
    """
    if isinstance(accounts, str) or not accounts:
        raise ValueError("accounts must be a non-empty sequence of account names or None")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if count == 0:
        return []
    rng = random.Random(seed)
    people = _people(seed, max(1, count // 4), accounts, rng)
    course_cum = list(accumulate(c.weight for c in COURSES))
    rows: list[_Row] = []
    for p, k in enumerate(_sessions_per_person(len(people), count, rng)):
        rows.extend(_session(p, c, rng) for c in _pick_courses(k, rng, course_cum))
    rows.sort()  # chronological ids; (assigned, person, course) is unique, so ties never go further

    records: list[dict[str, object]] = []
    next_id = 1
    rand = rng.random
    for _, p, c, status, score, percent, failed, spent, cert, completion, due, attempt in rows:
        person, course = people[p], COURSES[c]
        record: dict[str, object] = {
            "id": next_id,
            "course_code": course.code,
            "score": score,
            "percent_complete": percent,
            "failed_attempts": failed,
            "status": status,
            "cert_expiry": _iso(cert),
            "completion_date": _iso(completion),
            "complete_by": _iso(due),
            "full_name": person.full_name,
            "time_spent": spent,
            "course_name": course.name,
            "assignee_login_username": person.username,
            "last_attempt": _iso(attempt),
            # the foreign keys: one course row per course, one user per person, a login per username
            "course_id": c + 1,
            "assignee_id": p + 1,
            "assignee_login_id": None if person.username is None else p + 1,
        }
        if person.account is not None:
            record["account"] = person.account
        records.append(record)
        next_id += 1 + (rng.randint(1, 3) if rand() < _ID_GAP_SHARE else 0)
    return records


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False)


def _lines(records: list[dict[str, object]]) -> Iterator[str]:
    """The canonical text, in pieces: ``[``, one record per line in FIELDS key order, ``]``."""
    if not records:
        yield "[]\n"
        return
    yield "["
    sep = "\n"
    for index, record in enumerate(records):
        unknown = [key for key in record if key not in _KNOWN_FIELDS]
        if unknown:
            raise ValueError(f"record {index}: unknown field(s) {sorted(map(str, unknown))}")
        ordered = {name: record[name] for name in _FIELD_NAMES if name in record}
        yield sep + _ENCODER.encode(ordered)
        sep = ",\n"
    yield "\n]\n"


def dumps_fixture(records: list[dict[str, object]]) -> bytes:
    """Canonical UTF-8 bytes: equal records give equal bytes whatever their dict key order."""
    return "".join(_lines(records)).encode("utf-8")


def write_fixture(path: str | os.PathLike[str], records: list[dict[str, object]]) -> None:
    """Write ``dumps_fixture(records)`` atomically: readers see the old file or the new one."""

    def chunks() -> Iterator[bytes]:
        batch: list[str] = []
        for piece in _lines(records):
            batch.append(piece)
            if len(batch) >= 10_000:
                yield "".join(batch).encode("utf-8")
                batch.clear()
        yield "".join(batch).encode("utf-8")

    write_atomically(path, chunks())


def write_atomically(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> None:
    """Write every output file this way: a temporary file in the same directory, flushed to
    disk, then renamed over ``path``. Readers see the old file or the new one, never half; a
    symlink at ``path`` is replaced, not followed (a planted link cannot redirect the write).
    A regular file's permissions are kept; a new file gets 0644."""
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    try:
        existing = os.lstat(target)
        mode = existing.st_mode & 0o7777 if stat.S_ISREG(existing.st_mode) else 0o644
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
