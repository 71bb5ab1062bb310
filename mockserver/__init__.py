"""Mock server, schemas and contract tests for LearningLogin's train-sessions API.

The public surfaces, pinned by ``tests/test_public_api.py`` (change them deliberately):

- the ``mockserver`` command and its subcommands (``mockserver.cli.main``);
- the pytest plugin ``mockserver.pytest_plugin``: its fixtures, ``TrainSessionsAPI`` and
  ``start_train_sessions_api`` (not re-exported here: importing the package must not import
  pytest, and nothing may import the plugin but pytest);
- the JSON Schemas and the contract suite shipped with the wheel.

Every other module is internal and may change between releases.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
