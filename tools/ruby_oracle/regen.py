"""Re-check (and rewrite) the Ruby truth tables in the tests against real Ruby.

Not run by CI. Needs Ruby 3.1 with ruby-rack 2.2.22, ruby-actionpack and ruby-activemodel
6.1.7.10 (see oracle.rb). Usage, from the repository root::

    .venv/bin/python tools/ruby_oracle/regen.py            # report rows Ruby disagrees with
    .venv/bin/python tools/ruby_oracle/regen.py --write    # and rewrite their expected values

Each table is a list literal of ``(input, expected)`` tuples assigned to a name listed in
TABLES (file -> {table name: oracle op}). Only the ``expected`` part of a disagreeing row is
rewritten: inputs, comments and expressions such as ``b"&" * 4096`` or calls of the test
module's helpers stay as written (rows are evaluated in the test module's namespace). To add a
case, add a row with any expected value (``None`` will do) and run with ``--write``.

Expected values use the literal forms the tests compare with, plus the names BAD (Rails
answers 400), LIMIT (Rack's QueryLimitError: a 500 live, a 400 in the mock on purpose) and
RAISES_500 (Rails raises an unmapped exception, a 500), which the tests define identically.
"""

from __future__ import annotations

import ast
import runpy
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from oracle import ask

ROOT = Path(__file__).resolve().parents[2]
LINE_LENGTH = 110  # ruff's, from pyproject.toml
TABLES = {
    "tests/test_rack.py": {"GET_CASES": "get", "LIMIT_CASES": "get"},
    "tests/test_ruby.py": {
        "STRIP_CASES": "strip",
        "BLANK_CASES": "blank",
        "TO_I_CASES": "to_i",
        "INSPECT_CASES": "inspect",
    },
    "tests/test_auth.py": {"TOKEN_CASES": "token"},
    "tests/test_routing.py": {
        "ROUTE_CASES": "route",
        "NORMALIZE_CASES": "normalize",
        "CAST_ID_CASES": "cast_id",
    },
}
NAMES = {
    "BAD": ("raises", "BadRequest"),
    "LIMIT": ("raises", "QueryLimitError"),
    "RAISES_500": ("raises", "ArgumentError"),
}
_SENTINEL_NAMES = {value: name for name, value in NAMES.items()}
_ERRORS = {
    "ActionController::BadRequest": NAMES["BAD"],
    "Rack::QueryParser::QueryLimitError": NAMES["LIMIT"],
    "ArgumentError": NAMES["RAISES_500"],
}


def expected_from(op: str, answer: tuple[str, Any]) -> Any:
    """Ruby's answer in the table's literal form."""
    kind, value = answer
    if kind == "error":
        if value not in _ERRORS:
            raise RuntimeError(f"{op}: Ruby raised {value}, which no table form describes")
        return _ERRORS[value]
    if op == "route":
        return None if value["action"] is None else (value["action"], value["id"], value["format"])
    if op == "to_i":
        return int(value, 16)
    if op == "normalize":
        return bytes.fromhex(value)
    if op == "to_date" and value is not None:
        return tuple(value)
    return value


def literal(value: Any) -> str:
    if isinstance(value, tuple) and value in _SENTINEL_NAMES:
        return _SENTINEL_NAMES[value]
    return repr(value)


def _offset(line_starts: list[int], lineno: int, col: int) -> int:
    return line_starts[lineno - 1] + col


def process(path: Path, tables: dict[str, str], write: bool) -> int:
    source = path.read_bytes()  # ast offsets are UTF-8 byte offsets
    text = source.decode("utf-8")
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    edits: list[tuple[int, int, bytes]] = []
    problems = 0
    # rows are evaluated in the test module's namespace, so they may use its helpers
    namespace = runpy.run_path(str(path))
    for name, value in NAMES.items():
        assert namespace.setdefault(name, value) == value, f"{path}: {name} must be {value!r}"
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name) or target.id not in tables:
            continue
        op = tables[target.id]
        assert isinstance(node.value, ast.List), f"{path}:{target.id} is not a list literal"
        rows: list[ast.Tuple] = []
        inputs, olds = [], []
        for row in node.value.elts:
            assert isinstance(row, ast.Tuple) and len(row.elts) == 2, f"{path}:{row.lineno}"
            rows.append(row)
            inputs.append(eval(ast.unparse(row.elts[0]), namespace))
            olds.append(eval(ast.unparse(row.elts[1]), namespace))
        answers = [expected_from(op, a) for a in ask(op, inputs)]
        for row, arg, old, new in zip(rows, inputs, olds, answers, strict=True):
            if old == new:
                continue
            problems += 1
            print(f"{path.name}:{row.lineno} {target.id} {arg!r:.80}: table {old!r:.80}, Ruby {new!r:.80}")
            exp = row.elts[1]
            start = _offset(line_starts, exp.lineno, exp.col_offset)
            end = _offset(line_starts, exp.end_lineno or exp.lineno, exp.end_col_offset or 0)
            new_bytes = literal(new).encode()
            line_start = line_starts[exp.lineno - 1]
            line_end = source.find(b"\n", end)
            if (
                len(source[line_start:start].decode())
                + len(new_bytes.decode())
                + len(source[end:line_end].decode())
                > LINE_LENGTH
                and source[start - 1 : start] == b" "
            ):
                start -= 1  # put the expected value on a line of its own
                new_bytes = b"\n" + b" " * (row.col_offset + 4) + new_bytes
            edits.append((start, end, new_bytes))
        print(f"{path.name} {target.id}: {len(rows)} rows checked against Ruby")
    if write and edits:
        for start, end, new_bytes in sorted(edits, reverse=True):
            source = source[:start] + new_bytes + source[end:]
        path.write_bytes(source)
    return problems


def main() -> int:
    write = "--write" in sys.argv[1:]
    sys.set_int_max_str_digits(0)  # to print huge to_i answers (tables spell them as expressions)
    problems = sum(
        process(ROOT / name, tables, write) for name, tables in TABLES.items() if (ROOT / name).exists()
    )
    print(f"{problems} row(s) disagree with Ruby" + (" (rewritten)" if write and problems else ""))
    return 1 if problems and not write else 0


if __name__ == "__main__":
    sys.exit(main())
