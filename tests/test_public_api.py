"""The public API, pinned (as httpx's tests/test_exported_members.py does): a change here is a
release note. Update these lists deliberately, together with the README."""

from __future__ import annotations

import inspect

import pytest

import mockserver
from mockserver import pytest_plugin
from mockserver.cli import build_parser
from mockserver.pytest_plugin import TrainSessionsAPI

PACKAGE_ALL = ["__version__"]
PLUGIN_ALL = ["InvalidRecordError", "MockServerBugError", "TrainSessionsAPI", "start_train_sessions_api"]
FIXTURES = {
    "train_sessions_api": "function",
    "train_sessions_api_module": "module",
    "train_sessions_api_session": "session",
    "train_sessions_api_factory": "session",
}
HANDLE = {
    # methods
    "add",
    "check",
    "clear",
    "complete",  # the course player's test aid (2015-08)
    "delay",
    "fail_next",
    "fail_quiz",
    "load",
    "player_url",
    "progress",
    "replace",
    "reset",
    "stop",
    "url_for",
    # properties and attributes
    "headers",
    "records",
    "requests",
    "token",
    "url",
}
SUBCOMMANDS = {
    "serve",
    "generate",
    "openapi",
    "validate",
    "probe",
    "contract",
    "record",
    "proxy",
    "diff",
    "config",
    "completion",
}


def test_package_all() -> None:
    """Check that the package exports exactly what its docstring promises, and every name exists."""
    assert sorted(mockserver.__all__) == sorted(PACKAGE_ALL)
    for name in mockserver.__all__:
        assert hasattr(mockserver, name)


def test_plugin_all() -> None:
    """Check the names the plugin exports for client code (errors, handle, starter)."""
    assert sorted(pytest_plugin.__all__) == sorted(PLUGIN_ALL)
    for name in pytest_plugin.__all__:
        assert hasattr(pytest_plugin, name)


def test_plugin_fixtures_and_scopes(request: pytest.FixtureRequest) -> None:
    """Check that the plugin is registered under its entry-point name and offers exactly these fixtures."""
    assert request.config.pluginmanager.get_plugin("mockserver") is pytest_plugin
    found = {}
    for name, value in vars(pytest_plugin).items():
        marker = getattr(value, "_fixture_function_marker", None) or getattr(
            value, "_pytestfixturefunction", None
        )
        if marker is not None:
            found[marker.name or name] = marker.scope
    assert found == FIXTURES


def test_handle_members() -> None:
    """Check the public members of the object the fixtures hand to a test."""
    members = {name for name, _ in inspect.getmembers(TrainSessionsAPI) if not name.startswith("_")}
    instance_attributes = {"token", "url"}  # set in __init__
    assert members | instance_attributes == HANDLE
    init = inspect.signature(TrainSessionsAPI.__init__).parameters
    assert "token" in init
    source = inspect.getsource(TrainSessionsAPI.__init__)
    assert all(f"self.{name} =" in source for name in instance_attributes)


def test_cli_subcommands() -> None:
    """Check the set of `mockserver` subcommands."""
    parser = build_parser()
    [subparsers] = [a for a in parser._actions if a.dest == "command"]
    assert set(subparsers.choices) == SUBCOMMANDS
