"""Hostile modes of the "parse" area: replies that once crashed relaycheck (exit 4) or misled it through transport state.

Nested JSON in each place relay JSON is parsed, Retry-After values that are no number and no date, a 429 that
never ends, session cookies (one that lets any key in, one that is not ASCII), absurd numbers in usage and in a
balance. Each mode is a method of ParseRelay, as tests/hostile_server.py's STREAM_MODES comment describes.
"""

from __future__ import annotations

import json
import socket
import threading

from hostile_server import MODELS, REPLY, HostileRelay, _head, _json, _sse_head

# Valid JSON nested 1,000 deep: 2 KB that the parser cannot descend without the recursion limit.
NESTED = b"[" * 1000 + b"]" * 1000
ERROR_401 = json.dumps({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()
# One followed by 400 zeros: an integer JSON allows and Python parses exactly, but no float can hold.
HUGE = "1" + "0" * 400
SESSION = "rcsession=let-me-in"


def _stream_reply() -> bytes:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
             "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}
    usage = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini", "choices": [],
             "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}
    return b"data: " + json.dumps(chunk).encode() + b"\n\ndata: " + json.dumps(usage).encode() + b"\n\ndata: [DONE]\n\n"


def _sane(conn: socket.socket, streaming: bool, **headers: str) -> None:
    """The ordinary answer to a chat request: a short reply, streamed when asked."""
    if streaming:
        conn.sendall(_head(content_type="text/event-stream", connection="close", **headers) + _stream_reply())
    else:
        body = json.dumps(REPLY).encode()
        conn.sendall(_head(content_type="application/json", content_length=str(len(body)), connection="close", **headers) + body)


def _authorization(head: bytes) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"authorization":
            return value.strip().decode("latin-1")
    return None


def _cookie(head: bytes) -> str:
    return " ".join(line.partition(b":")[2].strip().decode("latin-1") for line in head.split(b"\r\n")[1:]
                    if line.partition(b":")[0].strip().lower() == b"cookie")


class ParseRelay(HostileRelay):
    """HostileRelay plus the parse area's modes; `cookie_requests` counts requests that carried any Cookie."""

    STREAM_MODES = HostileRelay.STREAM_MODES | {"nested_sse_event"}

    def __init__(self, mode: str, key: str = "") -> None:
        super().__init__(mode)
        self.key = key
        self.cookie_requests = 0
        self.chat_posts = 0
        self._lock = threading.Lock()

    def _count_chat(self) -> int:
        with self._lock:
            self.chat_posts += 1
            return self.chat_posts

    # --- nested JSON ---------------------------------------------------------------------------------------
    def _whole_nested_models(self, conn, method, path, head, body, streaming) -> None:
        if method == "GET":
            return conn.sendall(_json(NESTED))
        _sane(conn, streaming)

    def _nested_chat(self, conn: socket.socket) -> None:
        conn.sendall(_json(NESTED))

    def _whole_nested_error(self, conn, method, path, head, body, streaming) -> None:
        if method == "GET":
            return conn.sendall(_json(MODELS))
        if _authorization(head) != f"Bearer {self.key}":
            return conn.sendall(_json(NESTED, "401 Unauthorized"))
        _sane(conn, streaming)

    def _nested_sse_event(self, conn: socket.socket) -> None:
        conn.sendall(_sse_head() + b"data: " + NESTED + b"\n\n" + _stream_reply())

    # --- Retry-After ---------------------------------------------------------------------------------------
    def _limited_once(self, conn: socket.socket, retry_after: str) -> None:
        """The first chat request is refused with this Retry-After; every later one is answered."""
        if self._count_chat() == 1:
            error = json.dumps({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}).encode()
            return conn.sendall(_head("429 Too Many Requests", content_type="application/json", content_length=str(len(error)),
                                      retry_after=retry_after, connection="close") + error)
        conn.sendall(_json(json.dumps(REPLY).encode()))

    def _retry_after_word(self, conn: socket.socket) -> None:
        self._limited_once(conn, "soon")

    def _retry_after_leap_second(self, conn: socket.socket) -> None:
        self._limited_once(conn, "Mon, 01 Jan 2026 23:59:60 GMT")

    def _limited_forever(self, conn, method, retry_after: str) -> None:
        if method == "GET":
            return conn.sendall(_json(MODELS))
        self._count_chat()
        error = json.dumps({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}).encode()
        conn.sendall(_head("429 Too Many Requests", content_type="application/json", content_length=str(len(error)), retry_after=retry_after,
                           connection="close") + error)

    def _whole_retry_after_forever(self, conn, method, path, head, body, streaming) -> None:
        self._limited_forever(conn, method, "29")  # the relay: a quick run once took ~400 s

    def _whole_retry_after_2s_forever(self, conn, method, path, head, body, streaming) -> None:
        self._limited_forever(conn, method, "2")  # short enough that some waits fit in a small budget

    # --- cookies -------------------------------------------------------------------------------------------
    def _whole_cookie_session(self, conn, method, path, head, body, streaming) -> None:
        cookie = _cookie(head)
        if cookie:
            with self._lock:
                self.cookie_requests += 1
        if method == "GET":
            return conn.sendall(_head(content_type="application/json", content_length=str(len(MODELS)), set_cookie=f"{SESSION}; Path=/",
                                      connection="close") + MODELS)
        # The flaw this mode stands for: a session cookie is trusted in place of the key.
        if _authorization(head) != f"Bearer {self.key}" and SESSION not in cookie:
            return conn.sendall(_json(ERROR_401, "401 Unauthorized"))
        _sane(conn, streaming)

    def _whole_cookie_utf8(self, conn, method, path, head, body, streaming) -> None:
        if _cookie(head):
            with self._lock:
                self.cookie_requests += 1
        utf8 = "Set-Cookie: sess=中转站; Path=/\r\n".encode()
        if method == "GET":
            return conn.sendall(_head(content_type="application/json", content_length=str(len(MODELS)), connection="close")[:-2] + utf8 + b"\r\n" + MODELS)
        if _authorization(head) != f"Bearer {self.key}":
            return conn.sendall(_json(ERROR_401, "401 Unauthorized"))
        if streaming:
            return conn.sendall(_head(content_type="text/event-stream", connection="close")[:-2] + utf8 + b"\r\n" + _stream_reply())
        reply = json.dumps(REPLY).encode()
        conn.sendall(_head(content_type="application/json", content_length=str(len(reply)), connection="close")[:-2] + utf8 + b"\r\n" + reply)

    # --- absurd numbers ------------------------------------------------------------------------------------
    def _usage_huge(self, conn: socket.socket) -> None:
        text = json.dumps(REPLY).replace('"prompt_tokens": 10', f'"prompt_tokens": {HUGE}').replace('"total_tokens": 11', f'"total_tokens": {10 ** 400 + 1}')
        conn.sendall(_json(text.encode()))

    def _whole_balance_infinite(self, conn, method, path, head, body, streaming) -> None:
        # one-api's two billing endpoints (relaycheck.config.balances's oneapi adapter); the usage total overflows a float.
        if path.endswith("/dashboard/billing/subscription"):
            return conn.sendall(_json(b'{"object": "billing_subscription", "hard_limit_usd": 100.0}'))
        if path.endswith("/dashboard/billing/usage"):
            return conn.sendall(_json(b'{"object": "list", "total_usage": 1e999}'))
        if method == "GET":
            return conn.sendall(_json(MODELS) if path.endswith("/models") else _json(b'{"error": {"message": "not found"}}', "404 Not Found"))
        _sane(conn, streaming)


MODES = ("nested_models", "nested_chat", "nested_error", "nested_sse_event", "retry_after_word", "retry_after_leap_second",
         "cookie_session", "cookie_utf8", "usage_huge", "balance_infinite", "retry_after_forever", "retry_after_2s_forever")
# A run against the two 429-forever modes is bounded by its Retry-After budget (60 s by default), not by the
# request deadlines: the sweep (tests/test_hostile_sweep.py) gives them a small one, and its time on top.
SWEEP_ARGS = {"retry_after_forever": ("--retry-wait", "2"), "retry_after_2s_forever": ("--retry-wait", "2")}
SWEEP_EXTRA_S = {"retry_after_forever": 2.0, "retry_after_2s_forever": 2.0}
