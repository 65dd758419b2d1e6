"""The recorded exchange: one HTTP request and what came back, with timings and SSE events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator

from relaycheck.sse import SSEEvent

# Transport-level failure kinds, shared with the errors checks and the report.
ERROR_KINDS = ("connect", "read", "stream_idle", "deadline", "body_cap", "protocol", "cost_cap")


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

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON (or was truncated)."""
        if self.body_truncated or not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @cached_property
    def request_json(self) -> Any:
        """The request body parsed as JSON, or None."""
        try:
            return json.loads(self.request_body) if self.request_body else None
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        """A 2xx answer with no transport error."""
        return self.error is None and self.status is not None and 200 <= self.status < 300

    def event_payloads(self) -> Iterator[tuple[SSEEvent, Any]]:
        """Each data event (before [DONE]) with its parsed JSON, or None where the data is not JSON.

        A generator: a stream of 20,000 events is parsed one event at a time, never held parsed all at once.
        """
        for event in self.events:
            if event.is_done:
                return
            try:
                payload = json.loads(event.data) if event.data is not None else None
            except ValueError:
                payload = None
            yield event, payload


def streamed_text(exchange: Exchange) -> str:
    """Concatenate delta content of choice 0 across a chat stream."""
    parts: list[str] = []
    for _, payload in exchange.event_payloads():
        if not isinstance(payload, dict):
            continue
        for choice in payload.get("choices") or []:
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                content = (choice.get("delta") or {}).get("content")
                if isinstance(content, str):
                    parts.append(content)
    return "".join(parts)


def reply_text(exchange: Exchange) -> str | None:
    """The message content of choice 0 in a non-stream chat reply, or None."""
    body = exchange.json
    if not isinstance(body, dict):
        return None
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else None
