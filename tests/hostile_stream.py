"""Hostile modes of the "stream" area: SSE that once cost unbounded memory, blocked the event loop or was misread.

Blocks that never end (comment or field lines with no blank line), one event of 200,000 data lines, events full of
control characters (large ones, and many small ones that only the evidence budget bounds), and a perfect stream
with CR-only line ends. Each mode is a method of StreamRelay, as tests/hostile_server.py's STREAM_MODES comment
describes; the non-stream requests of every mode get a sane reply.
"""

from __future__ import annotations

import json
import socket
import time

from hostile_server import HostileRelay, _chunk_event, _sse_head

MANY_DATA_LINES = 200_000
CONTROLS = bytes(c for c in range(1, 32) if c not in (9, 10, 13))  # every control character JSON escapes as \u00XX


def _chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> dict:
    return {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
            "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}], **({"usage": usage} if usage else {})}


def cr_only_stream() -> bytes:
    """A complete, well-formed chat stream whose every line ends in a lone CR (legal SSE), ending on the final CR."""
    chunks = [_chunk({"role": "assistant", "content": ""}), _chunk({"content": "ok"}), _chunk({}, finish="stop"),
              _chunk({}, usage={"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11})]
    return b"".join(b"data: " + json.dumps(c).encode() + b"\r\r" for c in chunks) + b": done\rdata: [DONE]\r\r"


class StreamRelay(HostileRelay):
    """HostileRelay plus the stream area's modes (each answers the streaming chat request)."""

    STREAM_MODES = HostileRelay.STREAM_MODES | {"sse_endless_comments", "sse_endless_fields", "sse_many_data_lines",
                                                "sse_control_big", "sse_control_small", "sse_cr_only"}

    def _forever(self, conn: socket.socket, piece: bytes) -> None:
        conn.sendall(_sse_head())
        while not self._stop.is_set():  # until the client hangs up (sendall raises) or the test ends
            conn.sendall(piece)

    def _sse_endless_comments(self, conn: socket.socket) -> None:
        self._forever(conn, b":\n" * 32768)  # comment lines, never a blank line: one block that never ends

    def _sse_endless_fields(self, conn: socket.socket) -> None:
        self._forever(conn, b"x\n" * 32768)  # a field named "x", forever, never a blank line

    def _sse_many_data_lines(self, conn: socket.socket) -> None:
        # One event of 200,000 data lines (once quadratic to join), then a slow, sane stream that never finishes:
        # the deadline must fire on time.
        conn.sendall(_sse_head() + b"data: a\n" * MANY_DATA_LINES + b"\n")
        while not self._stop.is_set():
            conn.sendall(_chunk_event("la "))
            time.sleep(0.05)

    def _sse_control_big(self, conn: socket.socket) -> None:
        # Events of 60 KB of control characters each, up to the drain cap: six-fold in JSON unless cut.
        event = b"data: " + CONTROLS * (60_000 // len(CONTROLS)) + b"\n\n"
        self._forever(conn, event * 4)

    def _sse_control_small(self, conn: socket.socket) -> None:
        # Events of 1,000 control characters each: under the per-event binary cut, so only the evidence budget
        # keeps 16 MiB of them from becoming 96 MB of JSON.
        event = b'data: {"choices": [{"index": 0, "delta": {"content": "' + CONTROLS * (1000 // len(CONTROLS)) + b'"}}]}\n\n'
        self._forever(conn, event * 64)

    def _sse_cr_only(self, conn: socket.socket) -> None:
        conn.sendall(_sse_head() + cr_only_stream())


MODES = ("sse_endless_comments", "sse_endless_fields", "sse_many_data_lines", "sse_control_big", "sse_control_small", "sse_cr_only")
