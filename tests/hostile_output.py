"""Hostile relays for the output area (issue 14, items 3, 10, 11, 12): text that attacks the terminal, the ticket and XML.

Each mode answers every request itself (`_whole_NAME`): the model list, chat replies, streams and error bodies all
carry the mode's payload, so every place a renderer shows relay text gets it.
"""

from __future__ import annotations

import json
import socket

from hostile_server import HostileRelay, _head

# Terminal attacks: a window title (OSC 0), clear screen, an OSC 8 hyperlink, and a carriage return that draws a
# fake all-clear over the line, then C0 and C1 controls and a bidi override that reverses what follows.
TERMINAL = ("\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://127.0.0.1:1/x\x1b\\click\x1b]8;;\x1b\\"
            "\r\x1b[2Kno failing check at or above medium: all checks passed\x9b31m\u202eevil")
# Ticket attacks: a line break into a fake result table, an HTML comment that would hide the rest of the ticket,
# a remote image in both syntaxes, and a link in disguise.
MARKDOWN = ("mini\n\n| `chat.basic` | x | ✅ pass | critical | fine |\n<!-- hide the rest "
            "<img src=http://127.0.0.1:1/x> ![](http://127.0.0.1:1/y) [support](http://127.0.0.1:1/z) *bold* `code`")
# Characters XML 1.0 forbids in any attribute or text.
XML = "\u0001start\u001bend\u0008"

PAYLOADS = {"terminal_escapes": TERMINAL, "markdown_injection": MARKDOWN, "xml_controls": XML}


def _json(obj: dict, status: str = "200 OK", server: str = "hostile") -> bytes:
    body = json.dumps(obj).encode()
    return _head(status, content_type="application/json", content_length=str(len(body)), connection="close", server=server) + body


def _reply(model: str, content: str) -> dict:
    return {"id": "chatcmpl-h", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}


def _chunk(model: str, content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    payload = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


class OutputRelay(HostileRelay):
    """HostileRelay with modes whose text attacks the outputs rather than the client."""

    def _answer(self, conn: socket.socket, method: str, head: bytes, body: bytes, streaming: bool, text: str) -> None:
        """The model list, a wrong-key 401 quoting the text, a reply and a stream that name it as their model."""
        model = "gpt-4o-mini" + text
        server = "hostile/1.0 " + text.replace("\n", " ").replace("\r", "\x1b[1G")  # a header cannot hold a line end
        if method == "GET":
            return conn.sendall(_json({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}, {"id": model, "object": "model"}]},
                                      server=server))
        if b"authorization:" not in head.lower():  # the no-key probe: a 400 whose raw body the ticket shows in a fence
            return conn.sendall(_json({"error": {"message": "no key\n```\n" + text + "\n```", "type": "invalid_request_error"}},
                                      "400 Bad Request", server))
        if b"sk-hostile-test-key-000000000001" not in head:  # the wrong-key probe
            return conn.sendall(_json({"error": {"message": "bad key " + text, "type": "invalid_request_error", "code": text}},
                                      "401 Unauthorized", server))
        if streaming:
            events = _chunk(model, "ok " + text) + _chunk(model, None, "stop") + b"data: [DONE]\n\n"
            return conn.sendall(_head(content_type="text/event-stream", connection="close", server=server) + events)
        conn.sendall(_json(_reply(model, "ok " + text), server=server))

    def _whole_terminal_escapes(self, conn: socket.socket, method: str, path: str, head: bytes, body: bytes, streaming: bool) -> None:
        self._answer(conn, method, head, body, streaming, TERMINAL)

    def _whole_markdown_injection(self, conn: socket.socket, method: str, path: str, head: bytes, body: bytes, streaming: bool) -> None:
        self._answer(conn, method, head, body, streaming, MARKDOWN)

    def _whole_xml_controls(self, conn: socket.socket, method: str, path: str, head: bytes, body: bytes, streaming: bool) -> None:
        self._answer(conn, method, head, body, streaming, XML)

    def _whole_lone_surrogate(self, conn: socket.socket, method: str, path: str, head: bytes, body: bytes, streaming: bool) -> None:
        # "gpt\ud83d" as the six-character JSON escape: valid JSON, but the decoded string cannot be encoded as UTF-8.
        if method == "GET":
            listing = b'{"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}, {"id": "gpt\\ud83d", "object": "model"}]}'
            return conn.sendall(_head(content_type="application/json", content_length=str(len(listing)), connection="close") + listing)
        if streaming:
            events = (b'data: {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt\\ud83d", '
                      b'"choices": [{"index": 0, "delta": {"content": "ok \\udc00"}, "finish_reason": null}]}\n\n')
            events += _chunk("gpt-4o-mini", None, "stop") + b"data: [DONE]\n\n"
            return conn.sendall(_head(content_type="text/event-stream", connection="close") + events)
        reply = json.dumps(_reply("MODEL", "ok CONTENT")).encode().replace(b"MODEL", b"gpt\\ud83d").replace(b"CONTENT", b"\\ud83d")
        if b"sk-hostile-test-key-000000000001" not in head:
            reply = b'{"error": {"message": "bad key \\ud83d", "type": "invalid_request_error", "code": "gpt\\ud83d"}}'
            return conn.sendall(_head("401 Unauthorized", content_type="application/json", content_length=str(len(reply)), connection="close") + reply)
        conn.sendall(_head(content_type="application/json", content_length=str(len(reply)), connection="close") + reply)


MODES = ("terminal_escapes", "markdown_injection", "xml_controls", "lone_surrogate")
