"""Schemathesis, positive mode, every check it has, against the mock's own OpenAPI document.

The schema is loaded from ``build_openapi()`` (what ``GET /openapi.json`` serves, as
tests/test_openapi.py proves) rather than through ``schemathesis.pytest.from_fixture``, whose lazy
loader breaks on pytest 9 (it writes ``Function._nodeid``); the requests still go over HTTP to a
mock of this module's own, started by our pytest plugin on a free loopback port.

Every GET operation is fuzzed: the API's four routes and the control API's reads (its writes
would replace the data or inject faults under the other operations' feet). ``ignored_auth`` is
among the checks: each authenticated answer is replayed without and with a wrong token and must
be refused.
"""

from __future__ import annotations

import schemathesis
from schemathesis import GenerationMode

from mockserver.openapi import build_openapi
from mockserver.pytest_plugin import TrainSessionsAPI

schema = schemathesis.openapi.from_dict(build_openapi()).include(method="GET")
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE],
    max_examples=25,  # 9 operations: about ten seconds in all
    deterministic=True,  # same cases every run: a failure here is a regression, not luck
    database="none",  # nothing written to disk: xdist-safe
)
schema.config.checks.update(included_check_names=["all"])


@schema.parametrize()
def test_mock_conforms_to_its_document(
    case: schemathesis.Case, train_sessions_api_module: TrainSessionsAPI
) -> None:
    """Check that no input the document allows makes the mock break its document."""
    api = train_sessions_api_module
    case.call_and_validate(base_url=api.url, headers=api.headers, timeout=10)
