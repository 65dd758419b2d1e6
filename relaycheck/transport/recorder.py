"""In-flight recording of one exchange: bounded content decoding, evidence caps, SSE feeding, freezing."""

from __future__ import annotations

import asyncio
import itertools
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import httpx

from relaycheck.wire.evidence import BINARY_CONTROLS, BINARY_KEPT, BINARY_SCAN, Allowance, EvidenceBudget, byte_cost, text_controls
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.redaction.redact import echoes
from relaycheck.wire.sse import SSEReader

if TYPE_CHECKING:  # transport imports this module; the annotation only needs the name
    from relaycheck.transport.client import Limits


DECODE_STEP = 256 * 1024
# Decoded bytes parsed as SSE between two yields to the event loop: a deadline must fire on time even when one
# raw chunk inflates to megabytes of lines.
FEED_STEP = 64 * 1024


class BoundedDecoder:
    """Content-Encoding decoding with an output budget, so a compression bomb cannot inflate in one call."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding.strip().lower()
        self.note: str | None = None
        if self.encoding in ("gzip", "x-gzip", "deflate"):
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 32 if self.encoding != "deflate" else zlib.MAX_WBITS)
        else:
            self._z = None
            if self.encoding not in ("", "identity"):
                self.note = f"content-encoding {self.encoding!r} kept undecoded"

    def decode(self, raw: bytes, budget: int) -> bytes:
        if budget <= 0:  # zlib reads max_length 0 as "no limit"
            return b""
        if self._z is None:
            return raw[:budget]
        if self._z.unconsumed_tail:  # input held back by the last call's output limit comes first
            raw = self._z.unconsumed_tail + raw
        try:
            out = self._z.decompress(raw, budget)
        except zlib.error:
            if self.encoding == "deflate" and not getattr(self, "_raw_tried", False):
                self._raw_tried = True  # some servers send raw deflate without the zlib header
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(raw, budget)
            raise
        return out

    def pending(self) -> bool:
        return bool(self._z is not None and self._z.unconsumed_tail)


@dataclass
class Recorder:
    """Mutable state of one exchange while it is in flight."""

    xid: str
    probe: str
    model: str | None
    label: str
    expect_sse: bool
    limits: "Limits"
    started_at: str
    t0: float
    method: str = ""
    url: str = ""
    request_headers: tuple[tuple[str, str], ...] = ()
    request_body: str | None = None
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    kept: bytearray = field(default_factory=bytearray)
    body_bytes: int = 0
    headers_ms: float | None = None
    first_byte_ms: float | None = None
    end_ms: float | None = None
    error: str | None = None
    error_kind: str | None = None
    sse: SSEReader | None = None
    decoder: BoundedDecoder | None = None
    notes: list[str] = field(default_factory=list)
    presented_key: str | None = None
    retry_of: str | None = None
    evidence: EvidenceBudget | None = None  # the client's budget for kept bodies and events (None: unlimited)
    close_after_events: int | None = None  # relaycheck closes the stream itself once this many events arrived
    completion_ceiling: int | None = None
    allowance: Allowance = field(init=False)

    def __post_init__(self) -> None:
        self.allowance = self.evidence.allowance() if self.evidence is not None else Allowance()

    def now_ms(self) -> float:
        return (time.perf_counter() - self.t0) * 1000.0

    def on_headers(self, response: httpx.Response) -> None:
        self.headers_ms = self.now_ms()
        self.status = response.status_code
        self.response_headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw)
        self.decoder = BoundedDecoder(response.headers.get("content-encoding", ""))
        if self.decoder.note:
            self.notes.append(self.decoder.note)
        ctype = response.headers.get("content-type", "").lower()
        if self.expect_sse or ctype.startswith("text/event-stream"):
            self.sse = SSEReader(max_events=self.limits.max_events, keep=self.allowance.take)

    def on_raw(self, raw: bytes, t_ms: float) -> bool:
        """Take raw bytes that arrived at t_ms; return False once the drain cap is reached."""
        for _ in self._steps(raw, t_ms):
            pass
        return self._may_go_on()

    async def receive(self, raw: bytes, t_ms: float) -> bool:
        """`on_raw` that yields to the event loop between bounded slices of work, so deadlines fire on time."""
        for _ in self._steps(raw, t_ms):
            await asyncio.sleep(0)
        return self._may_go_on()

    def _steps(self, raw: bytes, t_ms: float) -> Iterator[None]:
        """Decode and parse `raw` in slices of at most DECODE_STEP decoded (FEED_STEP parsed) bytes, yielding between."""
        if self.first_byte_ms is None and raw:
            self.first_byte_ms = t_ms
        assert self.decoder is not None
        yield from self._take(self.decoder.decode(raw, self._step()), t_ms)
        while self.decoder.pending() and self._budget() > 0 and not self._overflowed():
            yield
            yield from self._take(self.decoder.decode(b"", self._step()), t_ms)

    def _overflowed(self) -> bool:
        return self.sse is not None and self.sse.overflow

    def _may_go_on(self) -> bool:
        if self._budget() <= 0:
            self.fail("body_cap", f"stopped reading after {self.limits.drain_cap} decoded bytes")
            return False
        if self.sse is not None and self.sse.overflow:
            self.fail("body_cap", f"stopped reading: {self.sse.overflow_reason}")
            return False
        if self.close_after_events is not None and self.sse is not None and self.sse.events_total >= self.close_after_events:
            # Not a failure: the probe asked to read this much and no more (what it judges is already here).
            self.notes.append(f"closed by relaycheck after {self.sse.events_total} events, as the probe asked")
            return False
        return True

    def _budget(self) -> int:
        return self.limits.drain_cap - self.body_bytes

    def _step(self) -> int:
        # Inflate in slices: a compression bomb must not become one 16 MiB bytes object per request in flight.
        return min(self._budget(), DECODE_STEP)

    def _take(self, data: bytes, t_ms: float) -> Iterator[None]:
        if not data:
            return
        self.body_bytes += len(data)
        room = self.limits.body_cap - len(self.kept)
        if room > 0:
            self.kept += data[:room]
        if self.sse is not None:
            for start in range(0, len(data), FEED_STEP):
                if start:
                    yield
                if self.sse.overflow:
                    return
                self.sse.feed(data[start : start + FEED_STEP], t_ms)

    def fail(self, kind: str, message: str) -> None:
        if self.error is None:  # the first failure is the cause; later ones are consequences
            self.error_kind, self.error = kind, message

    def freeze(self, deadline_s: float) -> Exchange:
        sse = self.sse
        if sse is not None:
            sse.finish()  # the body is over: a CR held back as a possible CRLF half ends its line
        kept = bytes(self.kept)
        try:
            body, utf8_ok = kept.decode("utf-8"), True
        except UnicodeDecodeError:
            body, utf8_ok = kept.decode("utf-8", errors="replace"), False
        controls = text_controls(body, BINARY_SCAN)
        if controls > BINARY_CONTROLS:
            # Binary junk (a zero-filled bomb, say) is no API answer, and each control character becomes six in
            # JSON: keep the start as evidence, count the rest, so reports stay small whatever a relay sends.
            self.notes.append(f"the body is binary ({controls}+ control characters in its first 64 KiB): its first {BINARY_KEPT} characters are kept")
            body = body[:BINARY_KEPT]
            kept = kept[: len(body.encode("utf-8", errors="replace"))]
        body, kept = self._within_budget(body, kept)
        if sse is not None:
            self._sse_notes(sse)
        if self.allowance.refused:
            self.notes.append(self.allowance.note())
        return Exchange(
            id=self.xid,
            probe=self.probe,
            model=self.model,
            label=self.label,
            method=self.method,
            url=self.url,
            request_headers=self.request_headers,
            request_body=self.request_body,
            status=self.status,
            response_headers=self.response_headers,
            body=body,
            body_bytes=self.body_bytes,
            body_truncated=self.body_bytes > len(kept),
            body_utf8_ok=utf8_ok,
            timings=Timings(
                started_at=self.started_at,
                headers_ms=self.headers_ms,
                first_byte_ms=self.first_byte_ms,
                first_event_ms=sse.events[0].t_ms if sse and sse.events else None,
                end_ms=self.end_ms if self.end_ms is not None else self.now_ms(),
            ),
            events=tuple(sse.events) if sse else (),
            events_total=sse.events_total if sse else 0,
            sse_comments=sse.comments if sse else 0,
            sse_tail=sse.tail() if sse else "",
            error=self.error,
            error_kind=self.error_kind,
            deadline_s=deadline_s,
            notes=tuple(self.notes),
            retry_of=self.retry_of,
            key_echoed=self._echoes_key(body, sse),
            completion_ceiling=self.completion_ceiling,
        )

    def _within_budget(self, body: str, kept: bytes) -> tuple[str, bytes]:
        """The body as far as the client's evidence budget lets this exchange keep it (the rest is counted)."""
        cost = byte_cost(kept)
        if self.allowance.take(cost):
            return body, kept
        room = self.allowance.room()
        chars = len(body) * room // max(cost, 1)  # the same share of the text as of its cost
        body = body[:chars]
        kept = kept[: len(body.encode("utf-8", errors="replace"))]
        self.allowance.charge(byte_cost(kept))
        return body, kept

    def _sse_notes(self, sse: SSEReader) -> None:
        if sse.binary_events:
            self.notes.append(
                f"{sse.binary_events} SSE events are binary (1024+ control characters in their first 64 KiB): the first {BINARY_KEPT} characters of each are kept"
            )
        if sse.unkept_from is not None:
            self.notes.append(f"SSE events from #{sse.unkept_from} on were counted, not kept")

    def _echoes_key(self, body: str, sse: SSEReader | None) -> bool:
        """Whether the response carried the presented key in full (judged here: checks never see keys)."""
        if not self.presented_key:
            return False
        # The redactor's own test (every form, any case, escapes decoded): detection and redaction agree.
        texts = itertools.chain([body], (v for _, v in self.response_headers), _event_texts(sse))
        return echoes(self.presented_key, texts)


def _event_texts(sse: SSEReader | None) -> Iterator[str]:
    """Each event's text, one at a time: a list of 50,000 rebuilt raw strings once cost 12 MB at the peak."""
    for event in sse.events if sse is not None else ():
        # A canonical event's raw text is "data: " + data + a blank line; no form of a key (no spaces, colons or
        # control characters) can straddle those fixed parts, so the data alone is searched.
        yield event.raw_text if event.raw_text is not None else (event.data or "")
