"""Ask real Ruby (``oracle.rb`` beside this file) and compare with the Python ports.

Not run by CI: it needs Debian's ruby 3.1 with ruby-rack 2.2.22, ruby-actionpack and
ruby-activemodel 6.1.7.10.  ``ask(op, args)`` sends every argument in one batch and returns
Ruby's answers in order: ``("ok", value)`` or ``("error", "ExceptionClass")``.  Bytes are sent
as hex, text as JSON strings, so NUL, invalid UTF-8 and newlines survive the trip.

``python`` mirrors each op on the Python side with the same answer shape, so a fuzzer is just
``[(a, r, p) for a, r, p in zip(args, ask(op, args), map(partial(python, op), args)) if r != p]``
(after ``normalise``, which maps Rack's QueryLimitError to BadRequest: the mock answers 400 where
the live stack would answer 500, on purpose).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ORACLE = Path(__file__).with_name("oracle.rb")
Answer = tuple[str, Any]


def ask(op: str, args: list[Any]) -> list[Answer]:
    """Ruby's answers for ``op`` on each argument (bytes for get/route/normalize, else str)."""
    lines = []
    for arg in args:
        wire = {"hex": arg.hex()} if isinstance(arg, bytes) else arg
        lines.append(json.dumps({"op": op, "arg": wire}) + "\n")
    proc = subprocess.run(
        ["ruby", str(ORACLE)],
        input="".join(lines),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    answers: list[Answer] = []
    for line in proc.stdout.split("\n")[:-1]:  # not splitlines: U+2028 etc. arrive raw
        reply = json.loads(line)
        answers.append(("ok", reply["ok"]) if "ok" in reply else ("error", reply["error"]))
    assert len(answers) == len(args), proc.stderr
    return answers


def normalise(op: str, answer: Answer) -> Answer:
    """Ruby's answer in the shape ``python`` returns."""
    kind, value = answer
    if kind == "error":
        # QueryLimitError (a RangeError Rails 6.1 leaves unmapped: a 500 live) is a 400 in the mock.
        if value in ("ActionController::BadRequest", "Rack::QueryParser::QueryLimitError"):
            return ("error", "BadRequest")
        if op == "token" and value == "ArgumentError":  # Hash[] on a malformed option: a 500
            return ("error", "InternalServerError")
        return answer
    if op == "route":
        if value["action"] is None:
            return ("ok", None)
        return ("ok", [value["action"], value["id"], value["format"]])
    if op == "normalize":
        return ("ok", bytes.fromhex(value))
    if op == "to_i":
        return ("ok", int(value, 16))  # sent as hex: decimal ints over 4300 digits don't parse
    if op == "to_date" and value is not None:
        return ("ok", list(value))
    return answer


def python(op: str, arg: Any) -> Answer:
    """The Python port's answer for ``op`` on ``arg``."""
    from mockserver.engine import auth, rack, routing, ruby
    from mockserver.errors import BadRequestError, InternalServerError

    try:
        if op == "get":
            return ("ok", rack.parse_query(arg))
        if op == "route":
            found = routing.route(arg)
            return ("ok", None if found.action is None else [found.action, found.id, found.format])
        if op == "normalize":
            return ("ok", routing.normalize_path(arg))
        if op == "cast_id":
            return ("ok", routing.cast_id(arg))
        if op == "token":
            return ("ok", auth.token_from_header(arg))
        if op == "strip":
            return ("ok", ruby.strip(arg))
        if op == "to_i":
            return ("ok", ruby.to_i(arg))
        if op == "blank":
            return ("ok", ruby.is_blank(arg))
        if op == "inspect":
            return ("ok", ruby.inspect(arg))
        if op == "to_date":
            import datetime

            from mockserver.engine.rubydate import ruby_to_date

            found_date = ruby_to_date(arg, datetime.date.today())
            return ("ok", None if found_date is None else list(found_date))
    except BadRequestError:
        return ("error", "BadRequest")
    except InternalServerError:
        return ("error", "InternalServerError")
    except Exception as exc:  # reported as a difference, never hidden
        return ("error", f"python {type(exc).__name__}: {exc}")
    raise ValueError(f"unknown op {op}")


def diff(op: str, args: list[Any]) -> list[tuple[Any, Answer, Answer]]:
    """(arg, ruby, python) for every argument where the two sides disagree."""
    return [
        (arg, normalise(op, r), p)
        for arg, r in zip(args, ask(op, args), strict=True)
        if normalise(op, r) != (p := python(op, arg))
    ]
