"""The demo relay's SSE writer: one completion as chunked server-sent events, paced, with stream faults."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from relaycheck.core.models import lookup
from relaycheck.demo import model as stand_in
from relaycheck.demo.behaviour import Behaviour

STALL_AFTER_PIECES = 60  # enough streamed tokens (50+) that stream.incremental can still judge


def usage_of(completion: stand_in.Completion) -> dict[str, Any]:
    """The OpenAI usage object for a completion."""
    return {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "total_tokens": completion.prompt_tokens + completion.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": completion.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": completion.reasoning_tokens},
    }


def fingerprint_of(served: str) -> str:
    """The system_fingerprint of the backend that serves a request: one per model, as OpenAI's differ by model.

    The default model keeps the demo's original fp_demo (the golden files pin it).
    """
    if served == stand_in.DEFAULT_MODEL:
        return "fp_demo"
    return "fp_demo_" + hashlib.sha256(served.encode()).hexdigest()[:8]


def reported_cost(behaviour: Behaviour, served: str, completion: stand_in.Completion) -> float | None:
    """The USD cost the relay reports for a completion's usage at a catalogued list price, or None when it reports none."""
    if behaviour.reports_cost is None:
        return None
    facts = lookup(behaviour.reported_cost_model or served)
    price = facts.price if facts is not None else None
    if price is None or price.input is None or price.output is None:
        return None  # a model the relay cannot price
    cached = completion.cached_tokens
    cached_price = price.input if price.cached_input is None else price.cached_input
    return ((completion.prompt_tokens - cached) * price.input + cached * cached_price + completion.completion_tokens * price.output) / 1_000_000


class SSEWriter:
    """Writes one chat completion as SSE over chunked transfer encoding, with the configured pacing."""

    def __init__(self, handler: Any, reply_model: str, completion: stand_in.Completion, include_usage: bool,
                 tool_calls: tuple[dict, ...] = (), text: bool = True, served: str | None = None) -> None:
        self.h = handler
        self.tool_calls = tool_calls
        self.text = text  # a forced call answers with arguments only; a call added by a router comes with the text
        self.behaviour = handler.behaviour
        self.completion = completion
        self.include_usage = include_usage and not self.behaviour.drop_stream_usage
        n = handler.relay.next_id()
        self.request_id = f"req_demo{n}"
        self.served = served or stand_in.DEFAULT_MODEL
        self.base = {"id": f"chatcmpl-demo{n}", "object": "chat.completion.chunk", "created": int(time.time()), "model": reply_model,
                     "system_fingerprint": fingerprint_of(self.served)}
        self.quirks = self.behaviour.sse_quirks
        self.eol = "\r\n" if self.quirks else "\n"
        self.buffer: list[bytes] = []

    def frame(self, payload: Any) -> bytes:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        prefix = "data:" if self.quirks else "data: "
        return f"{prefix}{data}{self.eol}{self.eol}".encode()

    def chunk(self, choices: list, **extra: Any) -> bytes:
        return self.frame({**self.base, "choices": choices, **extra})

    def write(self, data: bytes, delay_ms: float = 0.0) -> None:
        """Send one frame after `delay_ms`. Frames sent without a wait between them leave together, as one HTTP
        chunk when the writer next waits (as a buffering proxy sends them): their timing is what it was, and the
        client reads a 1,500-token reply in about 250 chunks, not 1,500 (each cost it as much as the events in it)."""
        if delay_ms:
            self.flush()
            time.sleep(delay_ms / 1000.0)
        self.buffer.append(data)

    def flush(self) -> None:
        """Send the frames held since the last wait, as one chunk (fake streaming holds them all to the end)."""
        if not self.behaviour.buffer_stream:
            _send_chunk(self.h, self.buffer)

    def _tool_call_deltas(self, index: int, call: dict, extra: dict) -> None:
        """A function call streamed as OpenAI does: id and name first, then the arguments in fragments."""
        arguments = call["function"]["arguments"]
        head = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
        self.write(self.chunk([{"index": 0, "delta": {"tool_calls": [head]}, "logprobs": None, "finish_reason": None}], **extra))
        for start in range(0, len(arguments), 4):
            fragment = {"index": index, "function": {"arguments": arguments[start : start + 4]}}
            self.write(self.chunk([{"index": 0, "delta": {"tool_calls": [fragment]}, "logprobs": None, "finish_reason": None}], **extra),
                       self.h.relay.token_ms)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset right after the finish_reason chunk: no usage, no [DONE]."""
        import socket
        import struct

        self.flush()
        self.h.wfile.flush()
        self.h.close_connection = True
        conn = self.h.connection
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() now sends RST
        conn.close()
        self.h.wfile = _Discard()  # the handler's own final flush must not fail on the closed socket

    def send(self) -> None:
        relay = self.h.relay
        self.h.send_response(200)
        self.h.send_header("content-type", "text/event-stream; charset=utf-8")
        self.h.send_header("cache-control", "no-cache")
        self.h.send_header("transfer-encoding", "chunked")
        self.h.send_header("x-request-id", self.request_id)
        self.h.end_headers()
        usage_null = {"usage": None} if self.include_usage else {}
        if self.quirks:
            self.write(f": keep-alive{self.eol}{self.eol}".encode())
            azure = {"id": "", "object": "", "created": 0, "model": "", "choices": [], "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}]}
            self.write(self.frame(azure))
        self.write(self.chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}], **usage_null), relay.ttft_ms)
        if self.behaviour.reasoning_on_top and self.completion.reasoning_tokens:
            # DeepSeek-style reasoning deltas come before the answer; they are not part of the content.
            from relaycheck.demo.handler import REASONING_TEXT

            for word in REASONING_TEXT.split(" "):
                reasoning = {"index": 0, "delta": {"reasoning_content": word + " "}, "logprobs": None, "finish_reason": None}
                self.write(self.chunk([reasoning], **usage_null))
        for index, call in enumerate(self.tool_calls):
            self._tool_call_deltas(index, call, usage_null)
        pieces = self.completion.pieces if self.text else ()
        is_long = len(pieces) >= stand_in.LONG_REPLY_PIECES
        b = self.behaviour
        for i, piece in enumerate(pieces):
            if b.stall_short_streams and not is_long and i == STALL_AFTER_PIECES:
                self.flush()
                time.sleep(relay.stall_s)  # the client's idle timeout gives up first
            if b.pause_long_streams and is_long and i == len(pieces) // 2:
                self.flush()
                time.sleep(relay.long_stall_s)
            delta = {"index": 0, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}
            self.write(self.chunk([delta], **usage_null), relay.token_ms if stand_in.paced(i) else 0.0)
            if b.duplicate_chunks:  # a gateway that forwards every upstream chunk twice
                self.write(self.chunk([delta], **usage_null))
            if b.ping_frames and i % 10 == 0:
                self.write(self.frame("ping"))
            if self.quirks and i % 10 == 5:
                self.write(f": keep-alive{self.eol}{self.eol}".encode())
        self.write(self.chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": self.completion.finish_reason}], **usage_null))
        if b.reset_long_streams and is_long:
            self._reset()
            return
        if self.include_usage:
            usage = usage_of(self.completion)
            cost = reported_cost(b, self.served, self.completion)
            if cost is not None:  # LiteLLM and OpenRouter both put it in the stream's usage
                usage["cost"] = cost
            self.write(self.chunk([], usage=usage))
        if not b.omit_done:
            self.write(self.frame("[DONE]"))
        _send_chunk(self.h, self.buffer)  # what is still held, fake streaming's whole reply included
        self.h.wfile.write(b"0\r\n\r\n")


class _Discard:
    """A write sink for a handler whose connection was reset on purpose."""

    closed = True  # socketserver's finish() then leaves it alone

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def send_named_events(handler: Any, headers: dict[str, str], named: Any, newline: str = "\n") -> None:
    """Write (event name, payload, paced) triples as SSE events over chunked transfer encoding, after the relay's
    time to first token: named events (Messages, Responses), or data-only ones for a name of None (Gemini's, whose
    lines end in CRLF)."""
    relay = handler.relay
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream; charset=utf-8")
    handler.send_header("cache-control", "no-cache")
    handler.send_header("transfer-encoding", "chunked")
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    time.sleep(relay.ttft_ms / 1000.0)
    held: list[bytes] = []  # events sent with no wait between them leave as one chunk, as SSEWriter's frames do
    for name, payload, paced in named:
        if paced and relay.token_ms:
            _send_chunk(handler, held)
            time.sleep(relay.token_ms / 1000.0)
        line = f"data: {json.dumps(payload)}{newline}{newline}"
        held.append((line if name is None else f"event: {name}{newline}{line}").encode())
    _send_chunk(handler, held)
    handler.wfile.write(b"0\r\n\r\n")


def _send_chunk(handler: Any, held: list[bytes]) -> None:
    """Write the held frames as one HTTP chunk (nothing when none are held), and forget them."""
    if held:
        data = b"".join(held)
        held.clear()
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
