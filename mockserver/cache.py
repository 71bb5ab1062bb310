"""A disk cache of generated datasets, so serving a million generated records does not wait on Faker.

An entry is keyed by everything the generator's output depends on: seed, count, accounts,
``generate.GENERATOR_VERSION`` and the installed Faker release. It holds a one-line header
(the key again, so a renamed or stale file is never taken for another) and the record list as
a pickle. Pickle, not JSON: it loads as fast as orjson and keeps the sharing of equal strings
(course names, a person's name over their sessions), so a cached million takes no more memory
than a freshly generated one.

Only files this module wrote are read: the directory is created private (0700) and an entry is
unpickled only when it is owned by the current user and writable by nobody else. Nothing else is
validated on load (we generated it); an entry that fails to load for any reason is logged and
regenerated. Writes are atomic (temporary file, then rename), and writing prunes entries left by
other generator or Faker versions. Small datasets generate faster than the cache pays for
itself, so only ``min_count`` records and more are cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import stat
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from mockserver import generate

__all__ = ["CACHE_MIN_COUNT", "entry_path", "generated_records"]

log = logging.getLogger(__name__)

Record = dict[str, object]
CACHE_MIN_COUNT = 10_000
"""Below this, generating (under 0.2 s) beats keeping files around."""
_FORMAT = 1  # bump when the entry layout below changes
_PREFIX = "records-"


def _faker_version() -> str:
    try:
        return metadata.version("faker")
    except metadata.PackageNotFoundError:  # pragma: no cover - faker is a dependency
        return "unknown"


def _version_tag() -> str:
    return f"f{_FORMAT}-g{generate.GENERATOR_VERSION}-faker{_faker_version()}-"


def entry_path(directory: Path, seed: int, count: int, accounts: Sequence[str | None] = (None,)) -> Path:
    """The file that holds (or would hold) the records for these generator arguments."""
    suffix = ""
    if tuple(accounts) != (None,):
        digest = hashlib.sha256(repr(tuple(accounts)).encode()).hexdigest()[:16]
        suffix = f"-accounts{digest}"
    name = f"{_PREFIX}{_version_tag()}seed{seed}-count{count}{suffix}.pickle"
    return directory / name


def _header(path: Path) -> bytes:
    return f"mockserver generated records {path.name}\n".encode()


def _load(path: Path, count: int) -> list[Record] | None:
    """The cached records, or None when the entry is missing, foreign or broken."""
    if not hasattr(os, "getuid"):  # Windows: no POSIX owner to check, so never unpickle the entry
        return None
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read the dataset cache %s: %s", path, exc.strerror or exc)
        return None
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        log.warning("ignoring the dataset cache %s: not owned by this user or writable by others", path)
        return None
    header = _header(path)
    try:
        data = path.read_bytes()
        if not data.startswith(header):
            raise ValueError("unexpected header")
        records = pickle.loads(memoryview(data)[len(header) :])
        if not isinstance(records, list) or len(records) != count:
            raise ValueError("unexpected content")
    except Exception as exc:  # a torn or foreign file: any failure means "regenerate"
        log.warning("ignoring the broken dataset cache %s (%s); regenerating", path, exc)
        return None
    return records


def _store(path: Path, records: list[Record]) -> None:
    """Write the entry atomically; a cache that cannot be written is only a warning."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        log.warning("cannot write the dataset cache in %s: %s", path.parent, exc.strerror or exc)
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_header(path))
            pickle.dump(records, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write the dataset cache %s: %s", path, exc.strerror or exc)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return
    _prune(path.parent)


def _prune(directory: Path) -> None:
    """Remove entries written for other generator, Faker or format versions."""
    current = _PREFIX + _version_tag()
    with contextlib.suppress(OSError):
        for entry in directory.iterdir():
            if entry.name.startswith(_PREFIX) and not entry.name.startswith(current):
                with contextlib.suppress(OSError):
                    entry.unlink()


def generated_records(
    seed: int,
    count: int,
    directory: Path | None,
    *,
    accounts: Sequence[str | None] = (None,),
    min_count: int = CACHE_MIN_COUNT,
) -> list[Record]:
    """``generate.generate_records(seed, count, accounts=accounts)``, from the cache when possible.

    ``directory`` None disables the cache.
    """
    if directory is None or count < min_count:
        return generate.generate_records(seed, count, accounts=accounts)
    path = entry_path(directory, seed, count, accounts)
    records = _load(path, count)
    if records is not None:
        log.info("loaded %d generated records from the cache %s", count, path)
        return records
    records = generate.generate_records(seed, count, accounts=accounts)
    _store(path, records)
    return records
