"""Standard output that survives a reader who stops reading (``mockserver probe URL | head -1``).

Python ignores SIGPIPE, so a closed pipe surfaces as ``BrokenPipeError`` in whatever ``print``
or flush comes next, or at interpreter exit: a traceback, and probe then exited 1. A
``PipeGuard`` turns the first closed-pipe error into a quiet redirect of the descriptor to
``/dev/null``, so the command finishes and exits with its own code, as ``cat`` or ``grep`` do.
"""

from __future__ import annotations

import os
from typing import Any, TextIO, cast

__all__ = ["PipeGuard", "guard"]


class PipeGuard:
    """A text stream wrapper whose writes and flushes never raise ``BrokenPipeError``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self._silence()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._silence()

    def _silence(self) -> None:
        """Point the descriptor at /dev/null: what is still buffered (and the interpreter's
        final flush) goes nowhere instead of raising again."""
        self.broken = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self.stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def guard(stream: TextIO) -> TextIO:
    """``stream`` guarded against a closed pipe (typed as the stream it stands in for)."""
    return cast(TextIO, PipeGuard(stream))
