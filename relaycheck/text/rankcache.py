"""The parsed tokenizer tables kept between runs: a file per encoding in the user's cache directory, checked on read.

Parsing o200k_base and cl100k_base from their verified source costs about 0.3 s at every start of a process that
counts tokens; reading this cache about a third of that. The file is named after the source's SHA-256 (a new table
is a new file), holds the token bytes in rank order, and starts with the SHA-256 of what follows: a truncated or
damaged file is ignored and written again. Nothing here is needed: any failure means parsing the source, as before.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Mapping

_DIGEST = 64  # hex characters of the payload's SHA-256 at the start of the file


def directory(env: Mapping[str, str] = os.environ) -> Path:
    """$XDG_CACHE_HOME/relaycheck, else ~/.cache/relaycheck."""
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "relaycheck"


def _path(where: Path, name: str, source_sha256: str) -> Path:
    return where / f"{name}-{source_sha256[:16]}.marshal{marshal.version}"


def load(name: str, source_sha256: str, where: Path | None = None) -> dict[bytes, int] | None:
    """The ranks of `name` as cached from the source with this SHA-256, or None (no cache, or one not intact)."""
    try:
        blob = _path(where or directory(), name, source_sha256).read_bytes()
    except OSError:
        return None
    head, payload = blob[:_DIGEST], blob[_DIGEST:]
    if head != hashlib.sha256(payload).hexdigest().encode("ascii"):
        return None
    try:
        order = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(order, list) or not all(type(token) is bytes for token in order):
        return None
    ranks = dict(zip(order, range(len(order))))
    return ranks if len(ranks) == len(order) else None


def store(name: str, source_sha256: str, ranks: dict[bytes, int], where: Path | None = None) -> bool:
    """Keep the ranks for the next process (atomically; a directory that cannot be written is no error)."""
    if sorted(ranks.values()) != list(range(len(ranks))):  # only a table ranked 0..n-1 round-trips as a list
        return False
    order: list[bytes] = [b""] * len(ranks)
    for token, rank in ranks.items():
        order[rank] = token
    payload = marshal.dumps(order)
    target = _path(where or directory(), name, source_sha256)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(hashlib.sha256(payload).hexdigest().encode("ascii") + payload)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        return False
    return True
