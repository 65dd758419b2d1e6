"""Hostile modes of the "tools" area: tool calls no model makes, for the integrity checks (issue 18).

Arguments nested 1,000 deep, calls that are not objects, names that are not strings, arguments that are numbers,
5,000 calls in one reply, stream fragments with negative, huge and non-integer indexes, and text that makes careless
patterns backtrack (60,000 characters of "a-", 50,000 newlines before a fence). The sweep
(tests/test_hostile_sweep.py) runs each mode with the integrity checks selected (SWEEP_ARGS) and holds it to the
common bar; tests/test_hostile_tools.py pins that every check still reaches a verdict.
"""

from __future__ import annotations

import json
import socket

from hostile_server import MODELS, HostileRelay, _json, _sse_head

NESTED = "[" * 1000 + "]" * 1000
CHECKS = ("integrity.tool_args", "integrity.conditional", "integrity.content", "integrity.request", "chat.injection")
SWEEP_ARGS = {mode: tuple(arg for check in CHECKS for arg in ("--check", check))
              for mode in ("tool_nested_args", "tool_garbage_calls", "tool_stream_indexes", "tool_backtracking", "messages_garbage")}
# Text that makes a careless pattern backtrack: a host-like run with no dot, a run of newlines before a fence.
BACKTRACK = "a-" * 30_000  # quadratic scans of these take seconds per reply; linear ones, microseconds
NEWLINES = "\n" * 50_000 + "```"


def _reply(calls: object, content: object = None) -> bytes:
    body = {"id": "chatcmpl-h", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "tool_calls": calls},
                         "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}
    return json.dumps(body).encode()


def _frames(deltas: list) -> bytes:
    out = b""
    for delta in deltas:
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        out += b"data: " + json.dumps(chunk).encode() + b"\n\n"
    return out + b"data: [DONE]\n\n"


class ToolsRelay(HostileRelay):
    """HostileRelay plus the tools area's modes: each answers every chat request (stream or not) its own way."""

    def _whole_tool_nested_args(self, conn: socket.socket, method, path, head, body, streaming) -> None:
        if method == "GET":
            return conn.sendall(_json(MODELS))
        call = {"id": "call_1", "type": "function", "function": {"name": "run_command", "arguments": NESTED}}
        if streaming:
            fragments = [{"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "run_command", "arguments": ""}}]}]
            fragments += [{"tool_calls": [{"index": 0, "function": {"arguments": NESTED[i:i + 100]}}]} for i in range(0, len(NESTED), 100)]
            return conn.sendall(_sse_head() + _frames(fragments))
        conn.sendall(_json(_reply([call, {"id": "call_2", "function": {"name": "run_command", "arguments": json.loads("[" * 50 + "]" * 50)}}])))

    def _whole_tool_garbage_calls(self, conn: socket.socket, method, path, head, body, streaming) -> None:
        if method == "GET":
            return conn.sendall(_json(MODELS))
        garbage = ["call", 7, None, {"function": "run_command"}, {"function": {"name": {"a": 1}, "arguments": 12}},
                   {"function": {"name": ["x"], "arguments": None}}]
        garbage += [{"id": f"c{i}", "function": {"name": "run_command", "arguments": "{\"command\": \"x\"}"}} for i in range(5000)]
        if streaming:
            return conn.sendall(_sse_head() + _frames([{"tool_calls": garbage[:200]}, {"tool_calls": "not a list"}, {"content": 5}]))
        conn.sendall(_json(_reply(garbage, content={"not": "text"})))

    def _whole_tool_backtracking(self, conn: socket.socket, method, path, head, body, streaming) -> None:
        if method == "GET":
            return conn.sendall(_json(MODELS))
        call = {"id": "call_1", "type": "function", "function": {"name": "run_command", "arguments": json.dumps({"command": BACKTRACK})}}
        if streaming:
            return conn.sendall(_sse_head() + _frames([{"content": NEWLINES + " " + BACKTRACK}]))
        conn.sendall(_json(_reply([call], content=NEWLINES + " " + BACKTRACK)))

    def _whole_messages_garbage(self, conn: socket.socket, method, path, head, body, streaming) -> None:
        """Anthropic Messages shapes with hostile values: unhashable stop reasons, blocks that are no blocks, tool inputs
        of every type, huge and negative indexes, error events mid-stream."""
        if method == "GET":
            return conn.sendall(_json(MODELS))
        blocks = [7, None, "text", {"type": "text", "text": ["x"]}, {"type": "tool_use", "name": ["Bash"], "input": "rm -rf /"},
                  {"type": "tool_use", "id": 5, "name": "run_command", "input": [1, 2]}, {"type": "thinking"}, {"type": "tool_use", "name": "x", "input": None}]
        if streaming:
            events = [("message_start", {"type": "message_start", "message": ["no"]}),
                      ("content_block_start", {"type": "content_block_start", "index": 10 ** 30, "content_block": {"type": "tool_use", "name": {}}}),
                      ("content_block_delta", {"type": "content_block_delta", "index": -1, "delta": {"type": "input_json_delta", "partial_json": 5}}),
                      ("content_block_delta", {"type": "content_block_delta", "index": "0", "delta": {"type": "text_delta", "text": None}}),
                      ("error", {"type": "error", "error": ["overloaded"]}),
                      ("message_delta", {"type": "message_delta", "delta": {"stop_reason": ["end_turn"]}, "usage": {"output_tokens": "9"}}),
                      ("message_stop", {"type": "message_stop", "extra": NESTED})]
            frames = b"".join(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode() for name, payload in events)
            return conn.sendall(_sse_head() + frames)
        reply = {"id": ["msg"], "type": "message", "role": "assistant", "model": {"m": 1}, "content": blocks, "stop_reason": {"x": 1},
                 "usage": {"input_tokens": -5, "output_tokens": 10 ** 40, "cache_read_input_tokens": "7"}}
        conn.sendall(_json(json.dumps(reply).encode()))

    def _whole_tool_stream_indexes(self, conn: socket.socket, method, path, head, body, streaming) -> None:
        if method == "GET":
            return conn.sendall(_json(MODELS))
        indexes = [-1, 10 ** 30, "x", 1.5, None, True, *range(2, 2000)]
        fragments = [{"tool_calls": [{"index": i, "id": "call", "function": {"name": "run_command", "arguments": "{"}}]} for i in indexes]
        if streaming:
            return conn.sendall(_sse_head() + _frames(fragments))
        conn.sendall(_json(_reply({"index": 0, "function": {"name": "run_command"}})))  # tool_calls not even a list


MODES = tuple(SWEEP_ARGS)
