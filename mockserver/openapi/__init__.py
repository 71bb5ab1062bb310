"""The OpenAPI 3.1 documents of the emulated API (``api``) and of the control API (``control``),
and ``mockserver openapi``, which writes either.

The API's is served at ``GET /openapi.json``, the control API's at ``GET /__mockserver/openapi.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from mockserver.errors import UsageError
from mockserver.generate import write_atomically
from mockserver.openapi.api import build_openapi
from mockserver.openapi.common import API_TAG, CONTROL_TAG, Document
from mockserver.openapi.control import FAULT_MAX_DELAY_MS, build_control_openapi
from mockserver.revisions import DEFAULT_REVISION, revision_named
from mockserver.settings import DEFAULT_HOST, DEFAULT_PORT, parse_api_revision

__all__ = [
    "API_TAG",
    "CONTROL_TAG",
    "FAULT_MAX_DELAY_MS",
    "build_control_openapi",
    "build_openapi",
    "register",
    "render_openapi",
]


def render_openapi(document: Document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- CLI ----------------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "openapi",
        help="write the OpenAPI 3.1 document",
        description="Write the OpenAPI 3.1 document of the emulated API (what GET /openapi.json "
        "serves), or with --control the control API's (GET /__mockserver/openapi.json).",
    )
    p.add_argument("--control", action="store_true", help="the control API's document instead of the API's")
    p.add_argument("--out", type=Path, metavar="PATH", help="file to write (default: stdout)")
    p.add_argument(
        "--server",
        metavar="URL",
        help=f"server URL in the document (default http://{DEFAULT_HOST}:{DEFAULT_PORT})",
    )
    p.add_argument(
        "--api-revision",
        metavar="YYYY-MM",
        help=f"the API revision to describe (default {DEFAULT_REVISION.name}; as serve --api-revision)",
    )
    p.set_defaults(run=cmd_openapi)


def cmd_openapi(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.control:
        text = render_openapi(build_control_openapi(args.server))
    else:
        name = parse_api_revision(args.api_revision) if args.api_revision else DEFAULT_REVISION.name
        text = render_openapi(build_openapi(args.server, revision_named(name)))
    if args.out is None or str(args.out) == "-":
        out.write(text)
        return 0
    try:
        write_atomically(args.out, [text.encode("utf-8")])
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"mockserver: wrote the OpenAPI document to {args.out}", file=err)
    return 0
