"""Command-line front: one module per command in bench/commands (asv's layout).

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import pkgutil
import sys
from types import ModuleType
from typing import NoReturn

import bench
from bench import commands
from bench.errors import UserError


def _command_modules() -> list[ModuleType]:
    """Every module in bench.commands, imported, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"bench.commands.{name}") for name in names]


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line (`error: ...`, exit 2) like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {one_line(f'{self.prog}: {message}')} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bench", description=bench.__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def one_line(message: str) -> str:
    """The message on one line: line breaks (from a path or value the user typed) written as \\n."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def path_error(exc: OSError) -> str:
    """One line for a file-system error on a path: what failed where, and what to check."""
    if exc.filename is None:  # a write deep in a library, or the OS itself: say what, with its code
        code = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        return f"{exc.strerror or exc} ({code}); check free space and permissions, then run the command again"
    where = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else str(exc.filename)
    return (f"{exc.strerror or type(exc).__name__}: {where}; check that path (a file where a folder "
            "belongs or the reverse, permissions, free space) or give another")


def printable_streams() -> None:
    """stdout and stderr write what their encoding cannot hold as escapes (PYTHONIOENCODING=ascii, a
    legacy Windows console) instead of raising UnicodeEncodeError mid-run."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def check_text_arguments(argv: list[str]) -> None:
    """UserError naming the first argument that is not UTF-8 text (bytes of another encoding that Python
    carried over as lone surrogates): no run folder, matrix.toml or report could hold it, so it is refused
    before anything is written."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise UserError(f"argument {arg!r} is not UTF-8 text (a file name in another encoding?); rename "
                            "the file or folder, or link it under a UTF-8 name, and give that name") from None


def main(argv: list[str] | None = None) -> int:
    """Parse, dispatch, and turn UserError (and OSError) into one line on stderr with exit status 2."""
    printable_streams()
    argv = sys.argv[1:] if argv is None else argv
    try:
        check_text_arguments(argv)
    except UserError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the user gave or made: a file where a folder goes, permissions, space
        print(f"error: {one_line(path_error(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
