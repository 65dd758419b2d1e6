"""The recorded exchange: one HTTP request and what came back, with timings and SSE events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterator

from relaycheck.wire.sse import SSEEvent

if TYPE_CHECKING:
    from relaycheck.protocol.reply import Reply

# Transport-level failure kinds, shared with the errors checks and the report.
ERROR_KINDS = ("unreachable", "connect", "read", "stream_idle", "deadline", "body_cap", "protocol", "cost_cap", "not_sent", "run_deadline")

# No OpenAI-shaped answer nests more than a dozen levels; deeper JSON from a relay is read as unparseable, so no
# later walk over it (a repr in a summary, a dump into a report) can meet Python's recursion limit either.
MAX_JSON_DEPTH = 64


def too_deep(value: Any, limit: int) -> bool:
    """Whether a parsed value nests containers more than `limit` deep (iteratively: no recursion of our own)."""
    # Level by level, holding only containers: a scalar costs one isinstance, not a stack entry. (A hostile relay's
    # 5,000 tool calls are parsed again by each check that reads the body; the walk was a third of their cost.)
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        deeper = []
        for node in level:
            for child in node.values() if isinstance(node, dict) else node:
                if isinstance(child, (dict, list)):
                    deeper.append(child)
        level = deeper
        depth += 1
    return False


def loads_relay(text: str | bytes | None, default: Any = None) -> Any:
    """Parse JSON a relay sent; `default` when it is not JSON, is nested too deep, or holds an integer too long to read.

    Every json.loads of relay text goes through here: a hostile body must read as "not JSON", never raise.
    """
    if not text:
        return default
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: valid JSON nested ~1,000 deep
        return default
    # Only text with that many brackets at all can be too deep, and counting them is cheap.
    brackets = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
    if brackets > MAX_JSON_DEPTH and too_deep(value, MAX_JSON_DEPTH):
        return default
    return value


JSON_KEPT_MAX = 64 * 1024  # bodies up to this many characters keep their parsed JSON (every honest reply does)
_UNREAD = object()


@dataclass(frozen=True)
class Timings:
    """When things happened, in ms from the request start (monotonic clock), plus the UTC start."""

    started_at: str
    headers_ms: float | None = None
    first_byte_ms: float | None = None
    first_event_ms: float | None = None
    end_ms: float | None = None


@dataclass(frozen=True)
class Exchange:
    """One request/response pair as recorded by the transport (pre-redaction)."""

    id: str
    probe: str
    model: str | None
    label: str
    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str | None
    status: int | None
    response_headers: tuple[tuple[str, str], ...]
    body: str
    body_bytes: int
    body_truncated: bool
    body_utf8_ok: bool
    timings: Timings
    events: tuple[SSEEvent, ...] = ()
    events_total: int = 0
    sse_comments: int = 0
    sse_tail: str = ""
    error: str | None = None
    error_kind: str | None = None
    deadline_s: float | None = None
    notes: tuple[str, ...] = field(default=())
    retry_of: str | None = None  # the id of the 429 this request politely retried
    key_echoed: bool = False  # the response carried the presented key in full
    # The completion a probe bounded this request to: it closes the stream there, and the cost guard and the billing
    # check price that much instead of the body's own (deliberately too large) limit.
    completion_ceiling: int | None = None

    def header(self, name: str) -> str | None:
        """First response header named `name` (case-insensitive)."""
        lname = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def content_type(self) -> str:
        """The response media type, lower-cased, without parameters."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON (or was truncated).

        Kept once parsed, unless the body is large: parsed JSON takes ten times its text's memory or more, and a
        hostile relay answering every request with half a megabyte of tiny objects would otherwise hold hundreds of
        megabytes alive; a large body is parsed again when asked (the Reply read from it is kept, trimmed)."""
        if self.body_truncated or not self.body:
            return None
        cached = self.__dict__.get("_json", _UNREAD)
        if cached is not _UNREAD:
            return cached
        if self.__dict__.get("_shallow"):  # a large body already parsed once and found shallow enough
            return json.loads(self.body)
        value = loads_relay(self.body)
        if len(self.body) <= JSON_KEPT_MAX or value is None:
            self.__dict__["_json"] = value  # a frozen dataclass: the cache lives beside the fields, as cached_property's does
        else:
            # Parsed again when asked, but its depth is known now: the walk over a relay's 5,000 tool calls, at each
            # check that reads them, cost more than parsing them.
            self.__dict__["_shallow"] = True
        return value

    @cached_property
    def request_json(self) -> Any:
        """The request body parsed as JSON, or None."""
        return loads_relay(self.request_body)  # ours, but a report read back from disk may have been edited

    @property
    def ok(self) -> bool:
        """A 2xx answer with no transport error."""
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @cached_property
    def reply(self) -> "Reply":
        """What the reply says, read once by the protocol it was sent in (relaycheck.protocol)."""
        from relaycheck.protocol import read  # the protocols read exchanges: imported here, not at module load

        return read(self)

    def event_payloads(self) -> Iterator[tuple[SSEEvent, Any]]:
        """Each data event (before [DONE]) with its parsed JSON, or None where the data is not JSON.

        A generator: a stream of 20,000 events is parsed one event at a time, never held parsed all at once.
        """
        for event in self.events:
            if event.is_done:
                return
            yield event, loads_relay(event.data)


# Integers a JSON number carries exactly everywhere (JavaScript's MAX_SAFE_INTEGER + 1). A relay may send 10**400,
# which Python parses exactly but no float can hold: any mean, ratio or price of it would raise OverflowError.
MAX_SAFE_INT = 2**53


def is_int(value: Any) -> bool:
    """An integer that is not a bool, and small enough (|n| < 2**53) that arithmetic on it stays finite."""
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_SAFE_INT < value < MAX_SAFE_INT
