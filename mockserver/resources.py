"""Where the package's data files live, in a wheel and in a checkout.

The wheel carries ``schemas/`` and ``fixtures/`` as ``mockserver/_data/`` (pyproject's hatch
``force-include``); an editable install or a plain checkout reads them from the repository root.
Stdlib only: this module sits at the bottom of the import graph with ``model`` and ``errors``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["default_fixtures_path", "schemas_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent
_WHEEL_DATA = _PACKAGE_DIR / "_data"
_REPO_ROOT = _PACKAGE_DIR.parent

_FIXTURES_FILE = Path("fixtures", "train_sessions.json")


def schemas_dir() -> Path:
    """The directory holding ``<name>.schema.json``: the wheel's copy first, else the checkout's."""
    packaged = _WHEEL_DATA / "schemas"
    return packaged if packaged.is_dir() else _REPO_ROOT / "schemas"


def default_fixtures_path() -> Path:
    """The fixture file served when none is given.

    When neither copy exists the checkout path is returned anyway, so that the loader's
    "file not found" message names the place a developer would put the file.
    """
    packaged = _WHEEL_DATA / _FIXTURES_FILE
    return packaged if packaged.is_file() else _REPO_ROOT / _FIXTURES_FILE
