"""Raw non-ASCII request targets, which curl sends for ``?full_name_cont=Côté``.

Puma passes such a target to Rails, which reads the bytes as the (percent-decoded) query; the
llhttp parser aiohttp uses refuses them (``400 Invalid char in url query``: llhttp 9 keeps only
its strict URL characters). aiohttp's pure-Python parser accepts them and applies the same
checks otherwise (control characters in the target, ``Content-Length``/``Transfer-Encoding``
rules, line and header limits: it is aiohttp's reference parser), but costs about 20 µs more
per request. So a connection whose first bytes carry a request line with a byte >= 0x80 is
parsed by the Python parser, and every other connection keeps llhttp. A keep-alive connection
that began with an ASCII request keeps llhttp, which refuses a raw non-ASCII target later on
it (curl, wget and hand-typed requests open a connection per request).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.http_parser import HttpRequestParserPy
from aiohttp.web_protocol import MAX_MSG_QUEUE_SIZE, RequestHandler, RequestPayloadError

__all__ = ["RawTargetHandler", "RawTargetServer", "install_raw_targets", "raw_request_line"]


def raw_request_line(data: bytes) -> bool:
    """The first line in ``data`` (a connection's first bytes) has a byte >= 0x80."""
    return not data.partition(b"\n")[0].isascii()


class RawTargetHandler(RequestHandler):
    """aiohttp's connection protocol, switching to the Python parser for a raw target."""

    __slots__ = ("_fresh",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fresh = True

    def data_received(self, data: bytes) -> None:
        if self._fresh:  # nothing parsed yet: the parser may still be chosen
            self._fresh = False
            if raw_request_line(data) and self._manager is not None:
                self._parser = HttpRequestParserPy(
                    self,
                    self._loop,
                    self._read_bufsize,
                    max_line_size=self.max_line_size,
                    max_field_size=self.max_field_size,
                    max_headers=self.max_headers,
                    payload_exception=RequestPayloadError,
                    auto_decompress=self._manager._kwargs.get("auto_decompress", True),
                    max_msg_queue_size=MAX_MSG_QUEUE_SIZE,
                )
        super().data_received(data)


class RawTargetServer(web.Server):
    """aiohttp's protocol factory, making ``RawTargetHandler``s."""

    def __call__(self) -> RequestHandler:
        return RawTargetHandler(self, loop=self._loop, **self._kwargs)


def install_raw_targets(runner: web.AppRunner) -> None:
    """Let ``runner``'s connections take raw non-ASCII targets (after ``runner.setup()``, before
    its sites start); ``serve`` gets it with ``limits.install_header_deadline``."""
    server = runner.server
    assert server is not None and type(server) is web.Server, "call once, after runner.setup()"
    server.__class__ = RawTargetServer  # aiohttp has no option for the protocol class
