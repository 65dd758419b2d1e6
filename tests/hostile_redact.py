"""Hostile relays for redaction: each mode sends the caller's own key back in a way that once slipped through.

Every mode answers every request itself (`_whole_NAME`): the models list, chat (plain and streamed) and the
errors probe's requests, so one run of a few checks sees the key come back where the mode puts it.
"""

from __future__ import annotations

import json
import socket

from hostile_server import MODELS, REPLY, HostileRelay, _json, _sse_head

UNKNOWN_PREFIX = b"relaycheck-no-such-model-"
# The unknown-model message is padded so that the key starts this many characters before the summary's cut
# (errors.unknown_model quotes excerpt(message, 100): 99 characters, then "…").
CUT_INSIDE = 21


def _key_of(head: bytes) -> str:
    """The key the request presented (Bearer), or ""."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "authorization":
            return value.strip().removeprefix("Bearer ").strip()
    return ""


def _chunk(choices: list[tuple[int, str]], finish: str | None = None) -> bytes:
    payload = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
               "choices": [{"index": i, "delta": {"content": text}, "finish_reason": finish} for i, text in choices]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _reply(content: str) -> bytes:
    body = json.loads(json.dumps(REPLY))
    body["choices"][0]["message"]["content"] = content
    return json.dumps(body).encode()


def _u_escaped(key: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in key)


class RedactRelay(HostileRelay):
    """The modes of tests/test_hostile_redact.py."""

    def _answer(self, conn: socket.socket, method: str, body: bytes, streaming: bool, key: str, content: str, stream_chunks: list[bytes] | None = None) -> None:
        """Models list; 401 without the right key; the unknown model refused; chat answered with `content`."""
        if method == "GET":
            return conn.sendall(_json(MODELS))
        if not key or not key.startswith(self.key_prefix):
            return conn.sendall(_json(b'{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}', "401 Unauthorized"))
        if UNKNOWN_PREFIX in body:
            return conn.sendall(_json(b'{"error": {"message": "The model does not exist", "type": "invalid_request_error", "code": "model_not_found"}}', "404 Not Found"))
        if streaming:
            chunks = stream_chunks if stream_chunks is not None else [_chunk([(0, content)])]
            return conn.sendall(_sse_head() + b"".join(chunks) + _chunk([(0, "")], "stop") + b"data: [DONE]\n\n")
        return conn.sendall(_json(_reply(content)))

    key_prefix = "canary"

    def _whole_key_cut_404(self, conn, method, path, head, body, streaming) -> None:
        # The caller's key in the unknown-model error, straddling the point where the summary's excerpt cuts.
        key = _key_of(head)
        if method == "POST" and UNKNOWN_PREFIX in body and key.startswith(self.key_prefix):
            pad = "The model you asked for does not exist or you do not have access to it; key used: "
            pad = (pad * 2)[: 99 - CUT_INSIDE]
            message = pad + key + " (check the model list at /v1/models and try again with a listed model name)"
            error = {"error": {"message": message, "type": "invalid_request_error", "code": "model_not_found"}}
            return conn.sendall(_json(json.dumps(error).encode(), "404 Not Found"))
        self._answer(conn, method, body, streaming, key, "ok")

    def _whole_key_split_sse(self, conn, method, path, head, body, streaming) -> None:
        # The key streamed in pieces of four characters, one delta each: no single event holds a findable piece.
        key = _key_of(head)
        pieces = [key[i : i + 4] for i in range(0, len(key), 4)]
        chunks = [_chunk([(0, "your key is ")])] + [_chunk([(0, p)]) for p in pieces]
        self._answer(conn, method, body, streaming, key, "ok", chunks)

    def _whole_key_split_choices(self, conn, method, path, head, body, streaming) -> None:
        # The key split between two choices of the same events: choice 0 holds one half, choice 1 the other.
        key = _key_of(head)
        half = len(key) // 2
        first = [key[i : i + 5] for i in range(0, half, 5)]
        second = [key[i : i + 5] for i in range(half, len(key), 5)]
        chunks = [_chunk([(0, a), (1, b)]) for a, b in zip(first, second)]
        chunks += [_chunk([(0, a)]) for a in first[len(second):]] + [_chunk([(1, b)]) for b in second[len(first):]]
        self._answer(conn, method, body, streaming, key, "ok", chunks)

    def _whole_key_upper(self, conn, method, path, head, body, streaming) -> None:
        # The key shouted back: in the reply, in the stream and in the refusal of the unknown model.
        key = _key_of(head)
        if method == "POST" and UNKNOWN_PREFIX in body and key.startswith(self.key_prefix):
            error = {"error": {"message": f"model not found for key {key.upper()}", "type": "invalid_request_error", "code": "model_not_found"}}
            return conn.sendall(_json(json.dumps(error).encode(), "404 Not Found"))
        self._answer(conn, method, body, streaming, key, f"KEY {key.upper()} OK")

    def _whole_echo_json_u(self, conn, method, path, head, body, streaming) -> None:
        # Every character of the key as a JSON \u escape inside the reply's string (the JSON is valid).
        key = _key_of(head)
        if method == "POST" and not streaming and key.startswith(self.key_prefix) and UNKNOWN_PREFIX not in body:
            raw = _reply("your key is KEYHERE").replace(b"KEYHERE", _u_escaped(key).encode())
            return conn.sendall(_json(raw))
        self._answer(conn, method, body, streaming, key, "ok")

    def _whole_echo_html_entities(self, conn, method, path, head, body, streaming) -> None:
        key = _key_of(head)
        self._answer(conn, method, body, streaming, key, "your key is " + "".join(f"&#{ord(c)};" for c in key))

    def _whole_echo_percent(self, conn, method, path, head, body, streaming) -> None:
        key = _key_of(head)
        self._answer(conn, method, body, streaming, key, "your key is " + "".join(f"%{b:02X}" for b in key.encode()))


MODES = ("key_cut_404", "key_split_sse", "key_split_choices", "key_upper", "echo_json_u", "echo_html_entities", "echo_percent")
# The checks the sweep (tests/test_hostile_sweep.py) runs these modes with: where a relay's echo of the key lands.
CHECKS = ("chat.basic", "stream.sse", "stream.complete", "errors.bad_key", "errors.unknown_model", "errors.key_echo")
SWEEP_ARGS = {mode: tuple(arg for check in CHECKS for arg in ("--check", check)) for mode in MODES}
