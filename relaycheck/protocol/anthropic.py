"""The Anthropic Messages protocol (POST {base}/v1/messages): its request bodies, replies and named stream events.

The Anthropic SDK's base URL has no /v1 (https://api.anthropic.com, https://relay.example/anthropic): paths here
carry it. Replies are read into the same Reply as Chat Completions, with the finish reason in OpenAI's words
(`end_turn` and `stop_sequence` read as "stop", `max_tokens` as "length", `tool_use` as "tool_calls"; the reply's
own word stays in its body) so that one check family judges both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relaycheck.protocol.auth import Auth
from relaycheck.protocol.events import EventReader, named_tools
from relaycheck.protocol.reply import Chunk, ModelList, Reply, ToolCall, safe_count
from relaycheck.text.excerpt import excerpt
from relaycheck.wire.exchange import is_int

if TYPE_CHECKING:
    from relaycheck.wire.exchange import Exchange

VERSION = "2023-06-01"
# pause_turn (a long turn the API paused) stays as sent: it is no finished reply.
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "model_context_window_exceeded": "length",
          "tool_use": "tool_calls", "refusal": "content_filter"}
MAX_TOOL_CALLS = 64  # as for Chat Completions: a hostile reply's thousands of blocks are not read
# Top-level fields of a Messages reply (anything else is a tolerated deviation).
KNOWN_FIELDS = {"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "stop_details", "usage", "container",
                "context_management"}


def counts(usage: dict | None) -> dict:
    """Anthropic's usage as Reply counts: the prompt is fresh input plus cache writes plus cache reads."""
    if not isinstance(usage, dict):
        return {}
    fresh, written, read = (safe_count(usage.get(k)) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
    output = safe_count(usage.get("output_tokens"))
    prompt = None if fresh is None else fresh + (written or 0) + (read or 0)
    total = None if prompt is None or output is None else prompt + output
    return {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": total, "reasoning_tokens": 0, "cached_tokens": read,
            "cache_written_tokens": written}


def _blocks(content: Any) -> tuple[str, tuple[ToolCall, ...], bool]:
    """(text of the text blocks, tool_use blocks as calls, whether a thinking block came) of a content list."""
    text, calls, thinking = [], [], False
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            text.append(block["text"])
        elif kind == "tool_use" and len(calls) < MAX_TOOL_CALLS:
            arguments = block.get("input")
            calls.append(ToolCall(block.get("id"), block.get("name"), json.dumps(arguments) if isinstance(arguments, dict) else arguments))
        elif kind in ("thinking", "redacted_thinking"):
            thinking = True
    return "".join(text), tuple(calls), thinking


def read_event(index: int, t_ms: float, payload: Any) -> Chunk:
    """One named stream event: a text delta's text, the stop reason, the model (message_start), usage, an error."""
    body = payload if isinstance(payload, dict) else {}
    kind = body.get("type")
    piece, finish, model, usage = "", None, None, None
    if kind == "content_block_delta" and isinstance(body.get("delta"), dict) and body["delta"].get("type") == "text_delta":
        text = body["delta"].get("text")
        piece = text if isinstance(text, str) else ""
    elif kind == "content_block_start" and isinstance(body.get("content_block"), dict) and body["content_block"].get("type") == "text":
        text = body["content_block"].get("text")  # a start block may already carry text (the SDK keeps it)
        piece = text if isinstance(text, str) else ""
    elif kind == "message_start" and isinstance(body.get("message"), dict):
        model = body["message"].get("model")
        usage = body["message"].get("usage") if isinstance(body["message"].get("usage"), dict) else None
    elif kind == "message_delta":
        delta = body.get("delta") if isinstance(body.get("delta"), dict) else {}
        stop = delta.get("stop_reason")
        finish = FINISH.get(stop, stop) if isinstance(stop, str) and stop else None
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
    error = body.get("error") if kind == "error" else None
    return Chunk(index, t_ms, payload, piece, bool(piece), finish, model, usage, error or None)


def _streamed_calls(exchange: "Exchange") -> tuple[ToolCall, ...]:
    """tool_use blocks of a stream: id and name from content_block_start, the input from its input_json_delta parts."""
    calls: dict[int, list] = {}  # index -> [id, name, input parts, the start block's own input]
    for _, payload in exchange.event_payloads():
        if not isinstance(payload, dict):
            continue
        index = payload.get("index") if is_int(payload.get("index")) else 0
        block = payload.get("content_block")
        if payload.get("type") == "content_block_start" and isinstance(block, dict) and block.get("type") == "tool_use":
            if index not in calls and len(calls) < MAX_TOOL_CALLS:
                calls[index] = [block.get("id"), block.get("name"), [], block.get("input")]
        delta = payload.get("delta")
        if payload.get("type") == "content_block_delta" and isinstance(delta, dict) and delta.get("type") == "input_json_delta":
            if index in calls and isinstance(delta.get("partial_json"), str):
                calls[index][2].append(delta["partial_json"])  # joined once: += on a list item would copy it every time
    found = []
    for _, (cid, name, parts, start) in sorted(calls.items()):
        # The input comes in deltas after an empty start block; a relay may send it whole in the start block instead.
        arguments = "".join(parts) or (json.dumps(start) if isinstance(start, dict) else "{}")
        found.append(ToolCall(cid, name, arguments))
    return tuple(found)


@dataclass(frozen=True)
class Messages(EventReader):
    """Anthropic's Messages API: where requests go, what they carry, and how replies read."""

    read_event = staticmethod(read_event)  # each event's payload read (EventReader gives chunk and chunks)

    name: str = "anthropic"
    path: str = "v1/messages"
    models_path: str = "v1/models"
    auth: Auth = Auth.X_API_KEY
    alternative_auth: tuple[Auth, ...] = (Auth.BEARER,)  # tried after a refused x-api-key
    report_auth: tuple[Auth, ...] = (Auth.BEARER,)  # tried beside an accepted x-api-key: the report says which work
    usage_prompt: str = "input_tokens"
    usage_completion: str = "output_tokens"
    usage_total: str = ""  # Anthropic reports no total
    reply_object: str = "message"  # the reply's `type`
    min_output_tokens: int = 1  # the smallest completion budget the protocol accepts
    system_field: str = "system"
    param_paths = (("stop", ("stop_sequences",)), ("temperature", ("temperature",)))
    max_temperature: float = 1.0  # Messages refuses a temperature above 1

    def headers(self) -> dict[str, str]:
        """Headers every request of the protocol carries."""
        return {"anthropic-version": VERSION}

    def limit_params(self, model: str, visible: int, reasoning_budget: int) -> dict:
        """max_tokens (required by the protocol) and temperature 0 (the probes ask for exact text)."""
        return {"max_tokens": visible, "temperature": 0}

    def body(self, model: str, prompt: str, visible: int, reasoning_budget: int, stream: bool = False) -> dict:
        """A request body with a single user message."""
        body: dict = {"model": model, "messages": [{"role": "user", "content": prompt}], **self.limit_params(model, visible, reasoning_budget)}
        if stream:
            body["stream"] = True
        return body

    def with_tools(self, body: dict, tools: tuple[Any, ...], choice: str | None) -> dict:
        """The body offering `tools`; choice: a tool's name to force it, "none" to forbid calls, None to leave it free."""
        body = {**body, "tools": [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools]}
        if choice == "none":
            body["tool_choice"] = {"type": "none"}
        elif choice is not None:
            body["tool_choice"] = {"type": "tool", "name": choice}
        return body

    def with_system(self, body: dict, system: str) -> dict:
        """The body with a top-level system prompt (Messages has no system role)."""
        return {**body, "system": system}

    def tools_of(self, request: Any) -> tuple[tuple[str, str], ...]:
        """(name, description) of every tool a request offered."""
        return named_tools(request)

    def tool_choice_of(self, request: Any) -> str | None:
        """A forced tool's name, "none", "auto", "required" (Anthropic's "any"), or None when unset."""
        choice = request.get("tool_choice") if isinstance(request, dict) else None
        if not isinstance(choice, dict):
            return None
        kind = choice.get("type")
        if kind == "tool":
            return choice.get("name") if isinstance(choice.get("name"), str) else None
        return {"any": "required"}.get(kind, kind) if isinstance(kind, str) else None

    def system_of(self, request: Any) -> str:
        """The system prompt (a string, or text blocks joined)."""
        system = request.get("system") if isinstance(request, dict) else None
        if isinstance(system, list):
            return "\n".join(b.get("text", "") for b in system if isinstance(b, dict) and isinstance(b.get("text"), str))
        return system if isinstance(system, str) else ""

    def user_prompt_of(self, request: Any) -> str:
        """The first user message's text ("" when none)."""
        messages = request.get("messages") if isinstance(request, dict) else None
        for m in messages if isinstance(messages, list) else []:
            if isinstance(m, dict) and m.get("role") == "user":
                content = m.get("content")
                if isinstance(content, str):
                    return content
                if isinstance(content, list):
                    return "".join(b.get("text", "") for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
        return ""

    def prompt_of(self, request: Any) -> str:
        """The first message text a request carried ("" when none)."""
        return self.user_prompt_of(request)

    def model_list(self, body: Any) -> ModelList:
        """GET {base}/v1/models as the Anthropic SDK reads it: {"data": [{"type": "model", "id": ...}], "has_more": ...}
        (paged: 20 models a page unless asked for more)."""
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            return ModelList(None, problems=("GET /v1/models has no data array",))
        bad = [i for i, item in enumerate(data) if not isinstance(item, dict) or not isinstance(item.get("id"), str)]
        if bad:
            return ModelList(None, problems=(f"{len(bad)} of {len(data)} entries lack a string id (first at index {bad[0]})",))
        deviations = [f"{sum(1 for i in data if i.get('type') != 'model')} entries are not of type 'model'"] if any(i.get("type") != "model" for i in data) else []
        return ModelList(tuple(i["id"] for i in data), body.get("has_more") is True, (), tuple(deviations + ([] if data else ["the list is empty"])),
                         "an Anthropic-shaped list")

    def budget_of(self, request: Any) -> Any:
        """The completion budget a request body set (max_tokens), as sent."""
        return request.get("max_tokens") if isinstance(request, dict) else None



    def read(self, exchange: "Exchange") -> Reply:
        """Every fact of a reply: a stream's from its events (usage merged from message_start and message_delta)."""
        if exchange.events:
            pieces, models, finish, usage, shaped = [], [], None, {}, False
            for chunk in self.chunks(exchange):
                payload = chunk.payload if isinstance(chunk.payload, dict) else {}
                shaped = shaped or payload.get("type") == "message_start"
                if chunk.piece:
                    pieces.append(chunk.piece)
                if chunk.model is not None:
                    models.append(chunk.model)
                finish = chunk.finish_reason or finish
                if chunk.usage:
                    usage.update({k: v for k, v in chunk.usage.items() if v is not None})
            merged = usage or None
            return Reply(self.name, True, shaped, "".join(pieces), tuple(pieces), tuple(models), finish, merged,
                         _streamed_calls(exchange), None, (), None, **counts(merged))
        body = exchange.json
        if not isinstance(body, dict):
            return Reply(self.name, False, False, None, (), (), None, None, (), None, (), None)
        text, calls, thinking = _blocks(body.get("content"))
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
        stop = body.get("stop_reason")
        shaped = body.get("type") == "message" and isinstance(body.get("content"), list)
        error = body.get("error") if body.get("type") == "error" else None
        return Reply(self.name, False, shaped, text if shaped else None, (), (body.get("model"),), FINISH.get(stop, stop) if isinstance(stop, str) else None,
                     usage, calls, None, (), error, **counts(usage), reasoning_shown=thinking)

    def shape_problems(self, body: dict) -> tuple[list[str], list[str]]:
        """(missing or malformed required fields, tolerated deviations) of a non-stream reply."""
        missing = [f for f in ("id", "type", "role", "model", "content", "stop_reason", "usage") if f not in body]
        if "id" in body and not isinstance(body["id"], str):
            missing.append("id (not a string)")
        if "content" in body and not isinstance(body["content"], list):
            missing.append("content (not a list of blocks)")
        usage = body.get("usage")
        if isinstance(usage, dict) and not all(is_int(usage.get(k)) for k in ("input_tokens", "output_tokens")):
            missing.append("usage.input_tokens/output_tokens")
        deviations = []
        if isinstance(body.get("id"), str) and not body["id"].startswith("msg_"):
            # The SDK reads any string; another prefix (chatcmpl-…) is a reply translated from another protocol.
            deviations.append(f"id {body['id'][:40]!r} is not msg_…")
        if body.get("type") not in (None, "message"):
            deviations.append(f"type is {excerpt(str(body.get('type')), 40)!r}")
        extra = sorted(set(body) - KNOWN_FIELDS)
        if extra:
            deviations.append(f"extra fields {', '.join(extra)}")
        return missing, deviations

    end_marker: str = "message_stop"

    def count_request(self, base_url: str, body: dict) -> tuple[str, dict]:
        """Where the relay counts a request's input tokens, and what it is sent: the request without its limits."""
        kept = {k: v for k, v in body.items() if k in ("model", "messages", "system", "tools", "tool_choice", "thinking")}
        return base_url.rstrip("/") + "/v1/messages/count_tokens", kept

    def counted(self, body: Any) -> int | None:
        """The count endpoint's answer: {"input_tokens": N}."""
        value = body.get("input_tokens") if isinstance(body, dict) else None
        return value if is_int(value) else None

    def stream_ended(self, exchange: "Exchange") -> bool:
        """A message_stop event came (Messages streams have no [DONE])."""
        return any(isinstance(p, dict) and p.get("type") == "message_stop" for _, p in exchange.event_payloads())


MESSAGES = Messages()
