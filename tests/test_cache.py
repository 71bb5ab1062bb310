"""The generated-dataset cache: hits, misses, broken entries and the key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mockserver import cache, generate
from mockserver.settings import cache_dir

SMALL = 50  # records per entry in these tests (min_count=0 turns caching on for them)


def _records(
    directory: Path, seed: int = 1, count: int = SMALL, accounts: tuple[str | None, ...] = (None,)
) -> list[dict[str, object]]:
    return cache.generated_records(seed, count, directory, accounts=accounts, min_count=0)


def _entries(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith("records-"))


def test_miss_writes_an_entry_and_hit_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that a miss generates and stores, and a hit returns equal records without Faker."""
    first = _records(tmp_path)
    assert first == generate.generate_records(1, SMALL)
    assert len(_entries(tmp_path)) == 1

    def no_generation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cache hit must not generate")

    monkeypatch.setattr(generate, "generate_records", no_generation)
    assert _records(tmp_path) == first


def test_entries_are_private_and_written_atomically(tmp_path: Path) -> None:
    """Check that the directory is created 0700 and no temporary file is left behind."""
    directory = tmp_path / "fresh" / "cache"
    _records(directory)
    assert directory.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in directory.iterdir() if not p.name.startswith("records-")] == []


@pytest.mark.parametrize(
    "damage",
    [b"", b"garbage", b"mockserver generated records x\n", "truncate", "foreign-header", "wrong-count"],
)
def test_broken_entry_is_regenerated(
    tmp_path: Path, damage: bytes | str, caplog: pytest.LogCaptureFixture
) -> None:
    """Check that an empty, corrupt, truncated or mismatched entry falls back to generating."""
    expected = _records(tmp_path)
    [entry] = _entries(tmp_path)
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "foreign-header":
        entry.write_bytes(data.replace(b"seed1", b"seed2", 1))
    elif damage == "wrong-count":
        other = cache.entry_path(tmp_path, 1, SMALL - 1)
        _records(tmp_path, count=SMALL - 1)
        entry.write_bytes(other.read_bytes().replace(other.name.encode(), entry.name.encode(), 1))
    else:
        assert isinstance(damage, bytes)
        entry.write_bytes(damage)
    with caplog.at_level(logging.WARNING, logger="mockserver.cache"):
        assert _records(tmp_path) == expected
    assert "regenerating" in caplog.text
    assert _records(tmp_path) == expected  # and the entry was rewritten whole
    assert entry.read_bytes() == data


def test_entry_writable_by_others_is_ignored(tmp_path: Path) -> None:
    """Check that an entry others could have written is never unpickled."""
    _records(tmp_path)
    [entry] = _entries(tmp_path)
    entry.write_bytes(b"mockserver generated records " + entry.name.encode() + b"\nnot a pickle")
    entry.chmod(0o666)
    assert _records(tmp_path) == generate.generate_records(1, SMALL)


def test_key_separates_seed_count_and_accounts(tmp_path: Path) -> None:
    """Check that a different seed, count or account list gets its own entry and records."""
    a = _records(tmp_path, seed=1)
    b = _records(tmp_path, seed=2)
    c = _records(tmp_path, seed=1, count=SMALL + 1)
    d = _records(tmp_path, seed=1, accounts=("x", "y"))
    assert len(_entries(tmp_path)) == 4
    assert a != b and len(c) == SMALL + 1
    assert b == generate.generate_records(2, SMALL)
    assert {r.get("account") for r in d} <= {"x", "y"}
    assert _records(tmp_path, seed=2) == b


def test_other_versions_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that a new GENERATOR_VERSION misses and removes the older version's entries."""
    _records(tmp_path)
    [old] = _entries(tmp_path)
    monkeypatch.setattr(generate, "GENERATOR_VERSION", generate.GENERATOR_VERSION + 1)
    _records(tmp_path)
    [new] = _entries(tmp_path)
    assert new != old and not old.exists()


def test_small_counts_and_no_directory_skip_the_cache(tmp_path: Path) -> None:
    """Check that counts under min_count and a None directory never touch the disk."""
    cache.generated_records(1, SMALL, tmp_path)  # default min_count is far above SMALL
    assert list(tmp_path.iterdir()) == []
    assert cache.generated_records(1, SMALL, None, min_count=0) == generate.generate_records(1, SMALL)


def test_unwritable_directory_still_serves(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Check that a cache directory that cannot be created is a warning, not a failure."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="mockserver.cache"):
        assert _records(blocker / "cache") == generate.generate_records(1, SMALL)
    assert "cannot write the dataset cache" in caplog.text


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"MOCKSERVER_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c"),
        ({"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/mockserver"),
        ({"HOME": "/h"}, "/h/.cache/mockserver"),
        ({"MOCKSERVER_CACHE_DIR": "", "HOME": "/h"}, "/h/.cache/mockserver"),
    ],
)
def test_cache_dir_follows_the_environment(environ: dict[str, str], expected: str) -> None:
    """Check that MOCKSERVER_CACHE_DIR wins over XDG_CACHE_HOME, which wins over ~/.cache."""
    assert cache_dir(environ) == Path(expected)


def test_serve_loads_generated_data_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that `serve --seed --count` (load_store) fills and then reads MOCKSERVER_CACHE_DIR."""
    from mockserver.cli import load_store
    from mockserver.settings import Settings

    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    settings = Settings(seed=3, count=cache.CACHE_MIN_COUNT)
    first = load_store(settings)
    assert len(_entries(tmp_path)) == 1
    assert load_store(settings).records == first.records
