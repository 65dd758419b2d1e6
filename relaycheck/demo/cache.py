"""The demo relay's prompt cache: a repeated long prefix is reported as cached tokens, in OpenAI's increments."""

from __future__ import annotations

import collections
import threading

MIN_TOKENS = 1024  # OpenAI caches prompts of at least this many tokens
INCREMENT = 128  # and reports hits in steps of this many
_REMEMBERED = 32  # prompts kept per relay (the demo's "cache memory")


class PrefixCache:
    """Remembers recent long prompts (as token ids) and reports how much of a new one they cover."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: collections.deque[tuple[str, tuple[int, ...]]] = collections.deque(maxlen=_REMEMBERED)

    def lookup(self, model: str, ids: list[int]) -> int:
        """Cached tokens for this prompt (0 on a miss); the prompt is remembered for the next request."""
        if len(ids) < MIN_TOKENS:
            return 0
        key = tuple(ids)
        with self._lock:
            best = max((_common_prefix(key, seen) for m, seen in self._seen if m == model), default=0)
            self._seen.append((model, key))
        # Never the whole prompt: the last tokens are always computed fresh.
        best = min(best, len(ids) - 1)
        return best // INCREMENT * INCREMENT if best >= MIN_TOKENS else 0


def _common_prefix(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
