"""README examples that must match what the commands really print (issue 11: a new user was
misled by examples naming files that did not exist or showing other output)."""

from __future__ import annotations

import io
import os

import pytest

from mockserver.cli import main

from .doc_examples import ROOT
from .doc_examples import block_after as _block_after


def test_validate_example_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that `mockserver validate examples/broken-list.json` prints what the README shows."""
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", os.path.join("examples", "broken-list.json")], out=out, err=err)
    assert code == 1
    assert (out.getvalue() + err.getvalue()).strip() == _block_after(
        "mockserver validate examples/broken-list.json"
    )


def test_api_revision_list_example_is_the_real_output() -> None:
    """Check that `mockserver serve --api-revision list` prints what docs/mock/api-revisions.md shows."""
    out = io.StringIO()
    assert main(["serve", "--api-revision", "list"], out=out, err=io.StringIO()) == 0
    assert out.getvalue().strip() == _block_after("mockserver serve --api-revision list")


def test_xml_show_example_is_the_real_answer() -> None:
    """Check that the docs' `curl …/1.xml` answer is what the mock serves for the packaged data."""
    import urllib.request

    from mockserver.pytest_plugin import start_train_sessions_api

    command = (
        "curl -s -H 'Authorization: Token token=\"dev-token\"' http://127.0.0.1:3000/api/train_sessions/1.xml"
    )
    api = start_train_sessions_api(tokens={"dev-token": None})
    try:
        request = urllib.request.Request(api.url_for("/api/train_sessions/1.xml"), headers=api.headers)
        body = urllib.request.urlopen(request, timeout=10).read().decode()
    finally:
        api.stop()
    assert body.strip() == _block_after(command)
