"""The contract suite's own modules, for the tools that share them (probe runs the suite's
generation fingerprint, so that one table of probes exists).

The suite is ``contract_tests/`` in a checkout and the top-level ``mockserver_contract_suite``
from the wheel (``contract.suite_dir`` finds either). It is loaded by path under its installed
name, so a client project's own ``contract_tests`` package can neither shadow it nor be
shadowed; the direction of the rule stays: the suite imports nothing from ``mockserver``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from mockserver.tools.contract import INSTALLED_NAME, suite_dir


def suite_module(name: str) -> ModuleType:
    """The suite's module ``name`` (e.g. ``fingerprint``), importing the suite package once."""
    if INSTALLED_NAME not in sys.modules:
        directory = suite_dir()
        spec = importlib.util.spec_from_file_location(
            INSTALLED_NAME, directory / "__init__.py", submodule_search_locations=[str(directory)]
        )
        assert spec is not None and spec.loader is not None, directory
        package = importlib.util.module_from_spec(spec)
        sys.modules[INSTALLED_NAME] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{INSTALLED_NAME}.{name}")
