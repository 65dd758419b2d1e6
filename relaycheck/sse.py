"""Incremental server-sent-events reader (WHATWG rules) that keeps each event's raw text and arrival time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_END = re.compile(rb"\r\n|\r|\n")
TAIL_CHARS = 4096  # of an unfinished event kept as evidence


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


@dataclass
class SSEReader:
    """Feed decoded bytes with their arrival time; collects events, comments and an incomplete tail."""

    max_events: int = 50_000
    max_line: int = 4 * 1024 * 1024  # one line longer than this, without a line end, stops the read
    events: list[SSEEvent] = field(default_factory=list)
    events_total: int = 0
    comments: int = 0
    _buffer: bytearray = field(default_factory=bytearray)
    _scanned: int = 0
    _block: list[bytes] = field(default_factory=list)  # raw lines of the block being read, with line ends
    _event: str | None = None
    _data: list[str] | None = None
    _id: str | None = None
    _has_field: bool = False
    _utf8_ok: bool = True
    overflow: bool = False  # set when a line outgrew max_line: the caller stops reading

    def feed(self, chunk: bytes, t_ms: float) -> None:
        """Consume bytes that arrived at `t_ms`; complete events are timestamped with it."""
        buffer = self._buffer
        buffer += chunk
        start, pos = 0, self._scanned
        while (match := _LINE_END.search(buffer, pos)) is not None:
            if match.group() == b"\r" and match.end() == len(buffer):
                break  # a CR at the very end may be the first half of a CRLF still in flight
            self._line(bytes(buffer[start : match.start()]), match.group(), t_ms)
            start = pos = match.end()
        del buffer[:start]
        if len(buffer) > self.max_line:
            # A line that never ends would otherwise grow until the drain cap, then be copied and decoded whole.
            self.overflow = True
            del buffer[TAIL_CHARS:]
        # Only new bytes need scanning next time (one byte back, for a pending CR): no quadratic rescans.
        self._scanned = max(0, len(buffer) - 1)

    def tail(self) -> str:
        """Text received after the last complete event (a stream cut mid-event), at most TAIL_CHARS of it."""
        pending = b"".join(self._block)[: TAIL_CHARS * 4] + bytes(self._buffer[: TAIL_CHARS * 4])
        text = pending.decode("utf-8", errors="replace")
        return text if len(text) <= TAIL_CHARS else text[:TAIL_CHARS] + f"… ({len(text) - TAIL_CHARS}+ more characters not kept)"

    def _line(self, line: bytes, ending: bytes, t_ms: float) -> None:
        self._block.append(line + ending)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("utf-8", errors="replace")
            self._utf8_ok = False
        if text == "":
            self._dispatch(t_ms)
            return
        if text.startswith(":"):
            self.comments += 1
            return
        name, sep, value = text.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        self._has_field = True
        if name == "event":
            self._event = value
        elif name == "data":
            self._data = [*(self._data or []), value]
        elif name == "id" and "\0" not in value:
            self._id = value

    def _dispatch(self, t_ms: float) -> None:
        raw = b"".join(self._block).decode("utf-8", errors="replace")
        if self._has_field:
            data = "\n".join(self._data) if self._data is not None else None
            self.events_total += 1
            if len(self.events) < self.max_events:
                canonical = data is not None and self._event is None and self._id is None and raw == f"data: {data}\n\n"
                self.events.append(
                    SSEEvent(
                        index=self.events_total - 1,
                        t_ms=t_ms,
                        event=self._event,
                        data=data,
                        id=self._id,
                        utf8_ok=self._utf8_ok,
                        raw_text=None if canonical else raw,
                    )
                )
        self._block = []
        self._event, self._data, self._id = None, None, None
        self._has_field, self._utf8_ok = False, True
