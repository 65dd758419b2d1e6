"""Reading a file the user names (targets, a behaviour reference), capped in size: every problem is one UsageError line."""

from __future__ import annotations

from pathlib import Path

from relaycheck.core.exits import UsageError


def read_capped(path: Path, limit: int, kind: str) -> str:
    """The UTF-8 text of `path`, refused with one line naming it when it is too large, unreadable or not UTF-8."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise UsageError(f"{where}: {size} bytes is too large for a {kind} (the limit is {limit // 1024} KiB)")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{where}: cannot read the {kind}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{where}: the {kind} is not UTF-8 text") from None
