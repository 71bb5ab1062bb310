"""The configuration file: ``[tool.mockserver]`` in a project's ``pyproject.toml``, or ``mockserver.toml``.

Keys are the commands' long flags without the dashes' prefix (``port = 3001``, ``stack =
"rails6.1-ransack2.4"``, ``fixtures = "data.json"``, ``no-auth = true``). Keys at the top apply
to every command that has that flag; a per-command table (``[tool.mockserver.serve]``, or
``[serve]`` in ``mockserver.toml``) applies to that command only and wins over the top.
Relative paths are relative to the file's directory. Precedence is flag > environment > file >
default (``settings.resolve``). Tokens never come from the file, so a committed file cannot
leak one: ``token``, ``api-token`` and ``admin-token`` are refused with the variable to use.

The file is found from the current directory upwards, stopping at the first directory that
holds ``mockserver.toml``, ``pyproject.toml`` or ``.git`` (the project's root); ``mockserver
--config PATH`` names one instead. This module reads files, never the environment.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mockserver.errors import UsageError
from mockserver.settings import (
    API_TOKEN_VARIABLE,
    COMMAND_ENVIRONMENT,
    api_token_from_environment,
    build_settings,
    parse_stack,
)
from mockserver.stacks import Stack

__all__ = [
    "SECRET_KEYS",
    "SERVE_SETTINGS",
    "ConfigFile",
    "check_shared_keys",
    "environment_help",
    "find_config",
    "load_config",
    "option_values",
    "serve_file",
    "serve_values",
]

OWN_FILE = "mockserver.toml"
PYPROJECT = "pyproject.toml"
MAX_BYTES = 1024 * 1024  # a configuration file is a few lines; anything bigger is a mistake
SECRET_KEYS = {
    "token": "MOCKSERVER_TOKENS (serve) or --token",
    "tokens": "MOCKSERVER_TOKENS (serve) or --token",
    "api-token": "MOCKSERVER_API_TOKEN or --api-token",
    "admin-token": "MOCKSERVER_ADMIN_TOKEN or --admin-token",
}


@dataclass(frozen=True)
class ConfigFile:
    """A parsed configuration file: the shared keys and one table per command."""

    path: Path
    prefix: str  # "tool.mockserver" in pyproject.toml, "" in mockserver.toml
    shared: Mapping[str, Any] = field(default_factory=dict)
    commands: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def label(self, command: str | None = None) -> str:
        """Where a value came from, for messages and ``mockserver config``."""
        table = ".".join(p for p in (self.prefix, command) if p)
        return f"{self.path}" + (f" [{table}]" if table else "")


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"--config {path}: cannot read it ({(exc.strerror or str(exc)).lower()})") from None
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES // 1024} KiB; not a configuration file")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None


def load_config(path: Path, commands: set[str]) -> ConfigFile | None:
    """The configuration in ``path`` (None: a pyproject.toml without ``[tool.mockserver]``);
    a table named like no command in ``commands`` is refused, naming the valid ones."""
    data = _read(path)
    prefix = ""
    if path.name == PYPROJECT:
        tool = data.get("tool")
        section = tool.get("mockserver") if isinstance(tool, dict) else None
        if section is None:
            return None
        if not isinstance(section, dict):
            raise UsageError(f"{path}: [tool.mockserver] must be a table")
        data, prefix = section, "tool.mockserver"
    shared = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for name in tables:
        if name not in commands:
            where = ".".join(p for p in (prefix, name) if p)
            raise UsageError(
                f"{path}: [{where}]: no such command; tables are named after: {', '.join(sorted(commands))}"
            )
    return ConfigFile(path, prefix, shared, tables)


def find_config(start: Path, commands: set[str]) -> ConfigFile | None:
    """The configuration file for a command run in ``start``, looking upwards to the project's
    root; ``mockserver.toml`` wins over ``pyproject.toml`` in the same directory."""
    for directory in (start, *start.parents):
        own, pyproject = directory / OWN_FILE, directory / PYPROJECT
        try:
            found = own if own.is_file() else pyproject if pyproject.is_file() else None
            root = found is None and (directory / ".git").exists()
        except PermissionError:  # a directory this user may not search (a container's uid in
            continue  # a mounted directory) holds no file it could read: look further up
        if found is not None:
            return load_config(found, commands)
        if root:
            return None
    return None


def _key(raw: str) -> str:
    return raw.replace("_", "-")


def _convert(action: argparse.Action, key: str, value: Any, where: str, base: Path) -> Any:
    """``value`` as argparse would have produced it from the flag; a UsageError naming the key."""
    flag = f"{where}: {key} = {value!r}"
    if action.nargs == 0:  # store_true / store_false: the key says whether the flag is given
        if not isinstance(value, bool):
            raise UsageError(f"{flag}: expected true or false")
        return action.const if value else (not action.const)
    many = isinstance(action, argparse._AppendAction)
    items = value if many and isinstance(value, list) else [value]
    out = []
    for item in items:
        kind = action.type
        if isinstance(item, (bool, dict, list)):
            raise UsageError(f"{flag}: expected {'a list of ' if many else ''}{_kind_name(kind)}")
        if kind is int and not isinstance(item, int):
            raise UsageError(f"{flag}: expected an integer")
        if kind is float and not isinstance(item, int | float):
            raise UsageError(f"{flag}: expected a number")
        if kind in (None, Path) and not isinstance(item, str):
            raise UsageError(f"{flag}: expected a string")
        converted = float(item) if kind is float else item
        if kind is Path:
            converted = Path(item) if Path(item).is_absolute() or item == "-" else base / item
        if action.choices is not None and converted not in action.choices:
            raise UsageError(f"{flag}: expected one of {', '.join(map(str, action.choices))}")
        out.append(converted)
    return out if many else out[0]


def _kind_name(kind: Any) -> str:
    return {int: "an integer", float: "a number"}.get(kind, "a string")


def option_values(
    config: ConfigFile, command: str, parser: argparse.ArgumentParser
) -> dict[str, tuple[Any, str]]:
    """The file's values for ``command``: dest -> (value, where it came from). Shared keys that
    ``command`` has no flag for are left out; a per-command key it has no flag for is refused."""
    flags = {
        _key(o[2:]): a
        for a in parser._actions
        for o in a.option_strings
        if o.startswith("--") and o != "--help"
    }
    values: dict[str, tuple[Any, str]] = {}
    for table, where in (
        (config.shared, config.label()),
        (config.commands.get(command, {}), config.label(command)),
    ):
        for raw, value in table.items():
            key = _key(raw)
            if key in SECRET_KEYS:
                raise UsageError(
                    f"{where}: {raw}: tokens never come from the configuration file (a committed "
                    f"file would leak them); use {SECRET_KEYS[key]}"
                )
            action = flags.get(key)
            if action is None:
                if table is config.shared:
                    continue  # another command's flag
                close = difflib.get_close_matches(key, list(flags), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise UsageError(f"{where}: {raw}: 'mockserver {command}' has no --{key}{hint}")
            values[action.dest] = (_convert(action, raw, value, where, config.path.parent), where)
    return values


def check_shared_keys(config: ConfigFile, commands: Mapping[str, argparse.ArgumentParser]) -> None:
    """A shared key no command has a flag for is a typo: refused, with the closest flag."""
    known = {_key(o[2:]) for c in commands.values() for a in c._actions for o in a.option_strings}
    for raw in config.shared:
        if _key(raw) not in known and _key(raw) not in SECRET_KEYS:
            close = difflib.get_close_matches(_key(raw), sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise UsageError(f"{config.label()}: {raw}: no command has --{_key(raw)}{hint}")


def environment_help(command: str) -> str:
    """The epilog of ``command``'s ``--help``: the variables it reads and the file's table."""
    variables = COMMAND_ENVIRONMENT.get(command, ())
    read = f"environment: {', '.join(variables)} (a flag wins over its variable). " if variables else ""
    return (
        f"{read}configuration file: keys named as the long flags, in [tool.mockserver] or "
        f"[tool.mockserver.{command}] of pyproject.toml, or mockserver.toml (flag > environment > "
        "file > default; tokens never come from the file; 'mockserver config' shows the values)."
    )


# --- serve's settings and `mockserver config` -------------------------------------------------

SERVE_SETTINGS = (
    "host", "port", "fixtures", "seed", "count", "tokens", "auth", "strict", "access_log", "workers",
    "admin_token", "allow_hosts", "allow_origins", "cors", "idle_timeout", "header_timeout",
    "public_dir", "paginate", "stack", "memo_mb", "log_format", "watch", "api_revision",
)  # fmt: skip
"""serve's flags that are Settings fields (dest == field name)."""


def serve_values(values: dict[str, Any]) -> dict[str, Any]:
    """serve's parsed flags (or file values) as Settings values: lists as tuples, the stack's
    name as its Stack, tokens as a dict."""
    out = dict(values)
    for name in ("allow_hosts", "allow_origins", "cors"):
        if out.get(name):
            out[name] = tuple(out[name])
    if out.get("tokens"):
        out["tokens"] = dict(out["tokens"])
    if out.get("stack") is not None:
        out["stack"] = parse_stack(out["stack"])
    return {k: (v if v != [] else None) for k, v in out.items()}


def serve_file(values: dict[str, tuple[Any, str]]) -> dict[str, tuple[Any, str]]:
    converted = serve_values({k: v for k, (v, _) in values.items()})
    return {k: (converted[k], where) for k, (_, where) in values.items()}


_SECRETS = ("tokens", "admin_token", "api_token")


def _shown(name: str, value: Any) -> str:
    """A setting's value for ``config``: secrets only as whether (and how many) are set."""
    if name in _SECRETS:
        count = len(value) if isinstance(value, Mapping) else int(bool(value))
        return f"({count} set, not shown)" if count else "(not set)"
    if isinstance(value, Stack):
        return value.name
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value)) or "(none)"
    return "(none)" if value is None else str(value)


def cmd_config(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``mockserver config [COMMAND]``: each setting, its value and where it came from."""
    commands: dict[str, argparse.ArgumentParser] = args.commands
    name = args.name
    if name not in commands or name == "config":
        choices = ", ".join(n for n in commands if n != "config")
        raise UsageError(f"config {name!r}: no such command; one of: {choices}")
    config = args.config_file
    print(f"configuration file: {config.label() if config else 'none found'}", file=out)
    values = option_values(config, name, commands[name]) if config else {}
    rows: list[tuple[str, str, str]] = []
    if name == "serve":
        file = {dest: pair for dest, pair in values.items() if dest in SERVE_SETTINGS}
        settings = build_settings({}, file=serve_file(file))
        for field in dataclasses.fields(settings):
            if field.name != "sources":
                value = getattr(settings, field.name)
                rows.append(
                    (field.name, _shown(field.name, value), settings.sources.get(field.name, "default"))
                )
    else:
        for action in commands[name]._actions:
            if not action.option_strings or action.dest == "help":
                continue
            value, where = values.get(action.dest, (action.default, ""))
            source = f"file {where}" if where else "default"
            if action.dest == "api_token" and value is None and api_token_from_environment():
                value, source = "set", f"env {API_TOKEN_VARIABLE}"
            rows.append((action.option_strings[0].lstrip("-"), _shown(action.dest, value), source))
    width = max(len(r[0]) for r in rows)
    value_width = min(40, max(len(r[1]) for r in rows))
    print(f"{name}:", file=out)
    for key, value, source in rows:
        print(f"  {key:<{width}}  {value:<{value_width}}  {source}", file=out)
    return 0


def register(subparsers: Any) -> None:
    """Add ``config`` to the CLI."""
    p = subparsers.add_parser(
        "config",
        help="show the settings a command would use, and where each came from",
        description="Print each setting of COMMAND (default serve) with its value and its source: "
        "flag, environment variable, configuration file or default. Tokens are never shown.",
    )
    p.add_argument("name", nargs="?", default="serve", metavar="COMMAND", help="the command (default serve)")
    p.set_defaults(run=cmd_config)
