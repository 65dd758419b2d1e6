"""Giving freed memory back to the system between a watch's cycles (glibc's malloc_trim), at most every few seconds."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Callable

MIN_INTERVAL_S = 10.0  # hundreds of targets finish cycles every second; one trim in ten seconds is enough


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None elsewhere (macOS, musl, Windows: their allocators return memory themselves)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


class FreedMemory:
    """A long watch frees every cycle's exchanges, but glibc keeps freed pages mapped in its per-thread arenas, so
    resident memory crept up cycle over cycle although Python's live objects stayed flat (BENCHMARKS.md, section 9).
    malloc_trim(0) returns those pages; it is called after a cycle, never more often than MIN_INTERVAL_S."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._trim = _malloc_trim()
        self._last: float | None = None
        self.trims = 0

    @property
    def available(self) -> bool:
        """Whether this process's allocator is glibc's, which can be asked."""
        return self._trim is not None

    def maybe(self) -> bool:
        """Trim if the allocator can and the last trim is long enough ago; whether it did."""
        now = self.clock()
        if self._trim is None or (self._last is not None and now - self._last < MIN_INTERVAL_S):
            return False
        self._last = now
        self._trim(0)
        self.trims += 1
        return True
