"""A hostile relay on raw sockets: each mode breaks HTTP, JSON or SSE in one way; GET /v1/models stays sane.

It runs in a thread of the test process, while relaycheck runs as a separate process whose peak memory and
wall time the tests measure. A second listener on another loopback address records whether any request
reaching it carried an Authorization header (the target of the cross-host redirect).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import zlib
from contextlib import contextmanager
from typing import Callable, Iterator

MODELS = json.dumps({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "openai"}]}).encode()
REPLY = {"id": "chatcmpl-h", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}


def _head(status: str = "200 OK", version: str = "HTTP/1.1", **headers: str) -> bytes:
    lines = [f"{version} {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _json(body: bytes, status: str = "200 OK") -> bytes:
    return _head(status, content_type="application/json", content_length=str(len(body)), connection="close") + body


def _gzip_bomb() -> bytes:
    """About 250 KB of gzip that inflates to 256 MiB of zeros, 16 times the drain cap (built before serving)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    parts = [compressor.compress(block) for _ in range(256)]
    return b"".join(parts) + compressor.flush()


_BOMB: list[bytes] = []


def _sse_head() -> bytes:
    return _head(content_type="text/event-stream", connection="close")


def _chunk_event(text: str) -> bytes:
    payload = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
               "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


class HostileRelay:
    """Serve one hostile `mode` on 127.0.0.1 (and a bystander on 127.0.0.2 for the cross-host redirect)."""

    # Modes that break only streams: their non-stream requests get a sane reply. Subclasses (tests/hostile_*.py)
    # add modes as methods: `_NAME(conn)` answers chat requests; `_whole_NAME(conn, method, path, head, body,
    # streaming)` answers every request on the main listener.
    STREAM_MODES: frozenset[str] = frozenset({"sse_endless", "sse_invalid_utf8", "sse_huge_line", "sse_tiny_events"})

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.bystander_saw_authorization = False
        self.bystander_hits = 0
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []

    # --- plumbing -------------------------------------------------------------------------------------------
    def _listen(self, host: str) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        sock.listen(64)
        sock.settimeout(0.2)
        self._socks.append(sock)
        return sock

    def _accept_loop(self, sock: socket.socket, handler: Callable[[socket.socket, bytes], None]) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn, handler), daemon=True).start()

    def _serve(self, conn: socket.socket, handler: Callable[[socket.socket, bytes], None]) -> None:
        try:
            conn.settimeout(30)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                got = conn.recv(65536)
                if not got:
                    return
                data += got
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                got = conn.recv(65536)
                if not got:
                    break
                body += got
            handler(conn, head + b"\r\n\r\n" + body)
        except OSError:
            pass  # the client gave up: exactly what it should do with a hostile relay
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve until the block ends; yields the base URL."""
        if self.mode == "gzip_bomb" and not _BOMB:
            _BOMB.append(_gzip_bomb())  # before the first request: building it must not look like a silent relay
        main = self._listen("127.0.0.1")
        other = self._listen("127.0.0.2")
        self.other_port = other.getsockname()[1]
        threads = [threading.Thread(target=self._accept_loop, args=(main, self._handle), daemon=True),
                   threading.Thread(target=self._accept_loop, args=(other, self._bystander), daemon=True)]
        for t in threads:
            t.start()
        try:
            yield f"http://127.0.0.1:{main.getsockname()[1]}/v1"
        finally:
            self._stop.set()
            for sock in self._socks:
                sock.close()

    def _bystander(self, conn: socket.socket, request: bytes) -> None:
        self.bystander_hits += 1
        head = request.split(b"\r\n\r\n", 1)[0].lower()
        if b"\r\nauthorization:" in head or b"\r\nx-api-key:" in head or b"\r\napi-key:" in head:
            self.bystander_saw_authorization = True
        conn.sendall(_json(MODELS))

    # --- the modes ------------------------------------------------------------------------------------------
    def _handle(self, conn: socket.socket, request: bytes) -> None:
        line = request.split(b"\r\n", 1)[0].decode("latin-1")
        method, path = line.split(" ")[:2]
        body = request.split(b"\r\n\r\n", 1)[1]
        streaming = b'"stream": true' in body or b'"stream":true' in body
        mode = self.mode
        whole = getattr(self, "_whole_" + mode, None)
        if whole is not None:  # a mode that answers every request itself (models list and errors included)
            return whole(conn, method, path, request.split(b"\r\n\r\n", 1)[0], body, streaming)
        if mode == "redirect_loop":
            return conn.sendall(_head("307 Temporary Redirect", location=path, content_length="0", connection="close"))
        if mode == "redirect_other_host":
            target = f"http://127.0.0.2:{self.other_port}{path}"
            return conn.sendall(_head("307 Temporary Redirect", location=target, content_length="0", connection="close"))
        if method == "GET":
            return conn.sendall(_json(MODELS))
        if mode in self.STREAM_MODES and not streaming:
            return conn.sendall(_json(json.dumps(REPLY).encode()))
        getattr(self, "_" + mode)(conn)

    def _invalid_json(self, conn: socket.socket) -> None:
        conn.sendall(_json(b'{"id": "chatcmpl-h", "choices": [ {"message": oops } ] ,,'))

    def _truncated_json(self, conn: socket.socket) -> None:
        full = json.dumps(REPLY).encode()
        # Content-Length promises the whole body; the connection closes halfway.
        conn.sendall(_head(content_type="application/json", content_length=str(len(full)), connection="close") + full[: len(full) // 2])

    def _endless_body(self, conn: socket.socket) -> None:
        conn.sendall(_head(content_type="application/json", transfer_encoding="chunked"))
        piece = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
        while not self._stop.is_set():
            conn.sendall(piece)

    def _trickle(self, conn: socket.socket) -> None:
        conn.sendall(_head(content_type="application/json", content_length="100000", connection="close"))
        while not self._stop.is_set():
            conn.sendall(b" ")
            time.sleep(2.0)

    def _gzip_bomb(self, conn: socket.socket) -> None:
        if not _BOMB:
            _BOMB.append(_gzip_bomb())
        bomb = _BOMB[0]
        conn.sendall(_head(content_type="application/json", content_encoding="gzip", content_length=str(len(bomb)), connection="close") + bomb)

    def _http10_close(self, conn: socket.socket) -> None:
        # An HTTP/1.0 answer with no Content-Length: the body ends when the connection closes. Legal; must be read whole.
        conn.sendall(_head(version="HTTP/1.0", content_type="application/json") + json.dumps(REPLY).encode())

    def _close_mid_headers(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: appl")

    def _sse_endless(self, conn: socket.socket) -> None:
        conn.sendall(_sse_head())
        while not self._stop.is_set():
            conn.sendall(_chunk_event("la "))
            time.sleep(0.05)

    def _sse_invalid_utf8(self, conn: socket.socket) -> None:
        conn.sendall(_sse_head())
        for _ in range(50):
            conn.sendall(b'data: {"choices": [{"index": 0, "delta": {"content": "\xff\xfe\xc3\x28"}}]}\n\n')
        conn.sendall(b"data: [DONE]\n\n")

    def _sse_huge_line(self, conn: socket.socket) -> None:
        conn.sendall(_sse_head())
        conn.sendall(_chunk_event("x" * (1 << 20)))
        conn.sendall(b"data: [DONE]\n\n")

    def _sse_tiny_events(self, conn: socket.socket) -> None:
        conn.sendall(_sse_head())
        batch = b"".join(_chunk_event("a") for _ in range(1000))
        for _ in range(20):  # 20,000 one-character events, no finish_reason, no [DONE]
            conn.sendall(batch)


MODES = ("invalid_json", "truncated_json", "endless_body", "trickle", "gzip_bomb", "http10_close", "close_mid_headers",
         "sse_endless", "sse_invalid_utf8", "sse_huge_line", "sse_tiny_events", "redirect_loop", "redirect_other_host")
