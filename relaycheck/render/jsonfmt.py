"""JSON renderer: the versioned, stable document later tools read."""

from __future__ import annotations

import json
import math
from typing import Any, Iterator

from relaycheck.report.model import LazyRecords, Report, to_dict

# Indented down to the list of checks and the list of exchanges; each check and each exchange is then one compact
# line, made and written one at a time: a run with a stream of 20,000 events never holds its whole document
# (or the indenting encoder's thousands of fragments) in memory, and one line per record suits grep and jq.
PRETTY_DEPTH = 4


# Records of a lazy list (SSE events) are joined into pieces of about this size before they are written.
_PIECE_CHARS = 64 * 1024


def _finite(value: Any) -> Any:
    """`value` with every NaN and ±Infinity replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    """json.dumps, always strict JSON: a non-finite float (a relay's 1e999, a ratio over zero) is written as null.

    Python would write the bare words Infinity and NaN, which no JSON parser has to accept. null, not a string:
    the field keeps one JSON type (a number or nothing), and the finding's summary still says what was seen.
    Only the rare value that fails the strict dump is walked again, so the common case costs nothing extra.
    """
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False)


def _compact(value: Any) -> Iterator[str]:
    """`json.dumps(value)` in pieces: lazy lists inside are made one record at a time, the rest in one go."""
    if isinstance(value, LazyRecords):
        pending, size = ["["], 1
        for i, item in enumerate(value):
            text = _dumps(item)
            pending.append(f", {text}" if i else text)
            size += len(text) + 2
            if size >= _PIECE_CHARS:
                yield "".join(pending)
                pending, size = [], 0
        pending.append("]")
        yield "".join(pending)
    elif isinstance(value, dict) and any(isinstance(v, (dict, LazyRecords)) for v in value.values()):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield f"{', ' if i else ''}{json.dumps(str(key), ensure_ascii=False)}: "
            yield from _compact(item)
        yield "}"
    else:
        yield _dumps(value)


def _chunks(value: Any, depth: int) -> Iterator[str]:
    if depth >= PRETTY_DEPTH or not isinstance(value, (dict, list, LazyRecords)) or not len(value):
        # One compact line, byte for byte what json.dumps would write, without holding a long stream's events twice.
        yield from _compact(value)
        return
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        yield "{\n"
        for i, (key, item) in enumerate(value.items()):
            yield f"{',' + chr(10) if i else ''}{inner}{json.dumps(str(key), ensure_ascii=False)}: "
            yield from _chunks(item, depth + 1)
        yield f"\n{pad}}}"
        return
    yield "[\n"
    for i, item in enumerate(value):
        yield f"{',' + chr(10) if i else ''}{inner}"
        yield from _chunks(item, depth + 1)
    yield f"\n{pad}]"


def chunks(report: Report) -> Iterator[str]:
    """The document in pieces (each record made when its turn comes), ending with a newline."""
    yield from _chunks(to_dict(report, lazy=True), 0)
    yield "\n"


def render(report: Report, **_: object) -> str:
    """The whole JSON document as one string."""
    return "".join(chunks(report))
