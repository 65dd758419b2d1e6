"""How the terminal is written to: colour by the flags, then NO_COLOR and FORCE_COLOR, then whether it is a terminal;
the table as wide as the terminal; a reader leaving early (`| head`) ends the output quietly."""

from __future__ import annotations

import os
import shutil
import sys
from contextlib import contextmanager
from typing import IO, Iterator, Mapping

WIDTH = 120  # reports written to files and pipes: the same lines on every machine
MIN_WIDTH = 60  # narrower than this, the table is unreadable either way: folded at this width


def is_terminal(stream: IO[str]) -> bool:
    """The stream is an interactive terminal (False for files, pipes and the StringIO of tests)."""
    return bool(getattr(stream, "isatty", lambda: False)())


def use_color(flag: bool | None, stream: IO[str], env: Mapping[str, str] | None = None) -> bool:
    """--color/--no-color when given; else NO_COLOR (any value, https://no-color.org) turns colour off and
    FORCE_COLOR (any value but 0 or false) turns it on; else colour only on a terminal."""
    env = os.environ if env is None else env
    if flag is not None:
        return flag
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "").lower() not in ("", "0", "false"):
        return True
    return is_terminal(stream)


def width(stream: IO[str], env: Mapping[str, str] | None = None) -> int:
    """The terminal's width (COLUMNS when set, as for every curses program), else WIDTH for files and pipes."""
    env = os.environ if env is None else env
    columns = env.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), MIN_WIDTH)
    if not is_terminal(stream):
        return WIDTH
    return max(shutil.get_terminal_size((WIDTH, 24)).columns, MIN_WIDTH)


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """A reader that closes stdout early (`| head`) ends the output, not the command: the rest goes nowhere,
    quietly, and the exit code stays the verdict's. (Python's own end-of-run flush would complain of the broken
    pipe: stdout is pointed at /dev/null first, as the Python documentation advises.)"""
    try:
        yield
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # a stream without a file descriptor has nothing to flush later
            pass
