"""Incremental server-sent-events reader (WHATWG rules) that keeps each event's raw text and arrival time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from relaycheck.wire.evidence import BINARY_KEPT, EVENT_OVERHEAD, byte_cost, controls, is_binary, text_cost

_LINE_END = re.compile(rb"\r\n|\r|\n")
TAIL_CHARS = 4096  # of an unfinished event kept as evidence
# One event may carry one line of up to max_line bytes plus its other fields; a block (the lines before a blank
# line) past these bounds is no event a client could use: a relay sending ":\n" or "x\n" forever once made the
# reader keep an object per line up to the drain cap (1.18 GB for one stream).
MAX_BLOCK_BYTES = 5 * 1024 * 1024
MAX_BLOCK_LINES = 250_000


@dataclass(frozen=True, slots=True)  # slots: a long stream keeps tens of thousands of these
class SSEEvent:
    """One dispatched event: its fields, raw text (when not canonical) and arrival time."""

    index: int
    t_ms: float
    event: str | None
    data: str | None  # None when the block had no data line at all
    id: str | None
    utf8_ok: bool
    raw_text: str | None = None  # stored only when it differs from the canonical "data: X\n\n"

    @property
    def raw(self) -> str:
        """The event's text exactly as received (line ends included)."""
        if self.raw_text is not None:
            return self.raw_text
        return f"data: {self.data}\n\n"

    @property
    def is_done(self) -> bool:
        """True for the `[DONE]` sentinel (the SDK matches it as a prefix)."""
        return self.data is not None and self.data.startswith("[DONE]")


def _cut(text: str | None) -> str | None:
    return text if text is None or len(text) <= BINARY_KEPT else text[:BINARY_KEPT]


@dataclass
class SSEReader:
    """Feed decoded bytes with their arrival time; collects events, comments and an incomplete tail.

    Fields are parsed as bytes and decoded once per event: a block's text is valid UTF-8 exactly when each of its
    lines is (line ends are ASCII), and ":" never occurs inside a multi-byte sequence.
    """

    max_events: int = 50_000
    max_line: int = 4 * 1024 * 1024  # one line longer than this, without a line end, stops the read
    max_block: int = MAX_BLOCK_BYTES  # bytes of one block without a blank line; past it the read stops
    max_block_lines: int = MAX_BLOCK_LINES  # lines of one block; past it the read stops
    keep: Callable[[int], bool] | None = None  # asked, with an event's cost (evidence.byte_cost), whether to keep it
    events: list[SSEEvent] = field(default_factory=list)
    events_total: int = 0
    comments: int = 0
    binary_events: int = 0  # events cut to their first BINARY_KEPT characters
    unkept_from: int | None = None  # index of the first event `keep` refused; from it on events are only counted
    _buffer: bytearray = field(default_factory=bytearray)
    _scanned: int = 0
    _raw: bytearray = field(default_factory=bytearray)  # the block being read, line ends included
    _lines: int = 0
    _event: bytes | None = None
    _data: bytearray | None = None  # data lines joined by "\n": appending is linear, whatever the line count
    _id: bytes | None = None
    _has_field: bool = False
    _last_t: float = 0.0
    overflow: bool = False  # set when a line or a block outgrew its bound: the caller stops reading
    overflow_reason: str = ""

    def feed(self, chunk: bytes, t_ms: float) -> None:
        """Consume bytes that arrived at `t_ms`; complete events are timestamped with it."""
        if self.overflow:
            return  # the read is over: what follows an overflow is neither parsed nor kept
        self._last_t = t_ms
        buffer = self._buffer
        buffer += chunk
        start, pos = 0, self._scanned
        while (match := _LINE_END.search(buffer, pos)) is not None:
            if match.group() == b"\r" and match.end() == len(buffer):
                break  # a CR at the very end may be the first half of a CRLF still in flight
            self._line(bytes(buffer[start : match.start()]), match.group(), t_ms)
            start = pos = match.end()
            if self.overflow:
                break
        del buffer[:start]
        if not self.overflow and len(buffer) > self.max_line:
            # A line that never ends would otherwise grow until the drain cap, then be copied and decoded whole.
            self._stop(f"an SSE line grew past {self.max_line} bytes without a line end")
        if self.overflow:
            del buffer[TAIL_CHARS:]
        # Only new bytes need scanning next time (one byte back, for a pending CR): no quadratic rescans.
        self._scanned = max(0, len(buffer) - 1)

    def finish(self) -> None:
        """End of the body: a CR held back as a possible CRLF half is a line end after all.

        Only that CR is resolved: a final block without its blank line is still not dispatched (WHATWG).
        """
        buffer = self._buffer
        if not self.overflow and buffer.endswith(b"\r"):
            self._line(bytes(buffer[:-1]), b"\r", self._last_t)
            del buffer[:]
            self._scanned = 0

    def tail(self) -> str:
        """Text received after the last complete event (a stream cut mid-event), at most TAIL_CHARS of it."""
        pending = bytes(self._raw[: TAIL_CHARS * 4]) + bytes(self._buffer[: TAIL_CHARS * 4])
        text = pending.decode("utf-8", errors="replace")
        return text if len(text) <= TAIL_CHARS else text[:TAIL_CHARS] + f"… ({len(text) - TAIL_CHARS}+ more characters not kept)"

    def _stop(self, reason: str) -> None:
        self.overflow, self.overflow_reason = True, reason

    def _line(self, line: bytes, ending: bytes, t_ms: float) -> None:
        if not line:
            self._raw += ending
            self._dispatch(t_ms)
            return
        self._lines += 1
        if self._lines > self.max_block_lines or len(self._raw) + len(line) > self.max_block:
            # Keep what the block held so far as the tail; the rest of this stream is not read.
            self._stop(f"an SSE event grew past {self.max_block_lines} lines or {self.max_block} bytes without a blank line")
            return
        self._raw += line
        self._raw += ending
        if line[:1] == b":":
            self.comments += 1
            return
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        self._has_field = True
        if name == b"data":
            if self._data is None:
                self._data = bytearray(value)
            else:
                self._data += b"\n"
                self._data += value
        elif name == b"event":
            self._event = value
        elif name == b"id" and b"\0" not in value:
            self._id = value

    def _dispatch(self, t_ms: float) -> None:
        if self._has_field:
            self.events_total += 1
            if len(self.events) < self.max_events and self.unkept_from is None:
                self._keep(t_ms)
        self._raw = bytearray()
        self._lines = 0
        self._event, self._data, self._id = None, None, None
        self._has_field = False

    def _keep(self, t_ms: float) -> None:
        raw_bytes = self._raw
        try:
            raw, utf8_ok = raw_bytes.decode("utf-8"), True
        except UnicodeDecodeError:
            raw, utf8_ok = raw_bytes.decode("utf-8", errors="replace"), False
        data = self._data.decode("utf-8", errors="replace") if self._data is not None else None
        event = self._event.decode("utf-8", errors="replace") if self._event is not None else None
        ident = self._id.decode("utf-8", errors="replace") if self._id is not None else None
        canonical = data is not None and event is None and ident is None and raw == f"data: {data}\n\n"
        raw_text = None if canonical else raw
        if is_binary(raw_bytes):
            # The body's binary cut, per event: each control character becomes six in JSON, so an event of them
            # keeps its start as evidence. Data is cut only when it holds a control character itself: then it is
            # no JSON (JSON allows none of them raw), so no verdict changes.
            self.binary_events += 1
            event, ident = _cut(event), _cut(ident)
            if self._data is not None and controls(self._data):
                data = _cut(data)
            if len(raw) > BINARY_KEPT:  # even a canonical event: its raw text must not look complete
                raw_text = raw[:BINARY_KEPT] + f"… ({len(raw) - BINARY_KEPT} more characters not kept: binary)\n\n"
            cost = EVENT_OVERHEAD + sum(text_cost(t) for t in (data, event, ident, raw_text) if t)
        else:
            cost = EVENT_OVERHEAD + sum(byte_cost(b) for b in (self._data, self._event, self._id) if b) + (0 if canonical else byte_cost(raw_bytes))
        if self.keep is not None and not self.keep(cost):
            self.unkept_from = self.events_total - 1  # a prefix of the stream is kept, never a stream with holes
            return
        self.events.append(
            SSEEvent(index=self.events_total - 1, t_ms=t_ms, event=event, data=data, id=ident, utf8_ok=utf8_ok, raw_text=raw_text)
        )
