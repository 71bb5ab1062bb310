"""Mock server, schemas and contract tests for LearningLogin's train-sessions API."""

__version__ = "0.1.0"
