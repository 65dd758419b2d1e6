"""The demo relay's Anthropic Messages face: requests read into the Chat Completions shape the stand-in answers,
and its answers written back as Messages replies and named stream events (errors in Anthropic's shape)."""

from __future__ import annotations

import json
from typing import Any

from relaycheck.demo import model as stand_in
from relaycheck.demo.model import content_text
from relaycheck.demo import thinking as demo_thinking
from relaycheck.demo.streaming import send_named_events

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
               413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 502: "api_error", 529: "overloaded_error"}
REQUEST_ID = "request-id"  # Anthropic's request id header
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def error_body(status: int, message: str) -> dict:
    """Anthropic's error shape."""
    return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}


def models(names: list[str]) -> dict:
    """GET /v1/models in Anthropic's shape (one page)."""
    data = [{"type": "model", "id": m, "display_name": m, "created_at": "2025-09-29T00:00:00Z"} for m in names]
    return {"data": data, "has_more": False, "first_id": names[0] if names else None, "last_id": names[-1] if names else None}


def to_chat(body: Any) -> Any:
    """A Messages request as the Chat Completions body the stand-in reads (the system prompt as a system message,
    tools as functions, tool_choice as OpenAI's); anything not a JSON object is passed on for the usual refusals."""
    if not isinstance(body, dict):
        return body
    messages = [{"role": m.get("role"), "content": content_text(m.get("content"))} for m in body.get("messages") or [] if isinstance(m, dict)]
    system = body.get("system")
    if isinstance(system, (str, list)):
        messages.insert(0, {"role": "system", "content": content_text(system) if isinstance(system, list) else system})
    chat: dict = {"model": body.get("model"), "messages": messages if isinstance(body.get("messages"), list) else body.get("messages")}
    for key in ("max_tokens", "temperature", "stop_sequences", "stream"):
        if key in body:
            chat["stop" if key == "stop_sequences" else key] = body[key]
    tools = body.get("tools")
    if isinstance(tools, list):
        chat["tools"] = [{"type": "function", "function": {"name": t.get("name"), "description": t.get("description", ""),
                                                           "parameters": t.get("input_schema", {})}} for t in tools if isinstance(t, dict)]
    choice = body.get("tool_choice")
    if demo_thinking.calls_tool(body) and chat.get("tools"):
        chat["tool_choice"] = {"type": "function", "function": {"name": chat["tools"][0]["function"]["name"]}}
    elif isinstance(choice, dict) and choice.get("type") == "tool":
        chat["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    elif isinstance(choice, dict) and choice.get("type") in ("none", "auto", "any"):
        chat["tool_choice"] = {"any": "required"}.get(choice["type"], choice["type"])
    return chat


def _usage(completion: stand_in.Completion, cache_fields: bool = True) -> dict:
    fresh = completion.prompt_tokens - completion.cached_tokens - completion.cache_written
    usage = {"input_tokens": fresh, "output_tokens": completion.completion_tokens}
    if cache_fields:  # a relay translating to another backend reports none
        usage.update({"cache_creation_input_tokens": completion.cache_written, "cache_read_input_tokens": completion.cached_tokens})
    return usage


def marks_cache(body: Any) -> bool:
    """Some block of the request's system prompt or messages carries cache_control."""
    blocks = [b for b in body.get("system") or [] if isinstance(b, dict)] if isinstance(body, dict) and isinstance(body.get("system"), list) else []
    for m in body.get("messages") or [] if isinstance(body, dict) else []:
        if isinstance(m, dict) and isinstance(m.get("content"), list):
            blocks += [b for b in m["content"] if isinstance(b, dict)]
    return any("cache_control" in b for b in blocks)


def _tool_block(call: dict, keep_id: bool = False) -> dict:
    arguments = json.loads(call["function"]["arguments"])
    ident = call["id"] if keep_id else "toolu_demo" + call["id"].removeprefix("call_demo")
    return {"type": "tool_use", "id": ident, "name": call["function"]["name"], "input": arguments}


def keep_call_ids(payload: dict) -> dict:
    """A reply whose tool_use blocks carry the Chat Completions call_ ids they were translated from."""
    for block in payload.get("content") or []:
        if block.get("type") == "tool_use":
            block["id"] = "call_demo" + block["id"].removeprefix("toolu_demo")
    return payload


def reply(n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool, cache_fields: bool = True) -> dict:
    """A non-stream Messages reply."""
    content = ([{"type": "text", "text": completion.text}] if text else []) + [_tool_block(c) for c in calls]
    return {"id": f"msg_demo{n:024d}", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": STOP.get(completion.finish_reason, "end_turn"), "stop_sequence": None, "usage": _usage(completion, cache_fields)}


def events(n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool, message_stop: bool = True,
           cache_fields: bool = True, keep_ids: bool = False):
    """The named events of a streamed Messages reply, as (event name, payload, paced) in order."""
    usage = _usage(completion, cache_fields)
    start = {"id": f"msg_demo{n:024d}", "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": None,
             "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
    yield "message_start", {"type": "message_start", "message": start}, False
    index = 0
    if text:
        yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}, False
        yield "ping", {"type": "ping"}, False
        for i, piece in enumerate(completion.pieces):
            yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}, stand_in.paced(i)
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}, False
        index = 1
    for call in calls:
        block = _tool_block(call, keep_ids)
        arguments = json.dumps(block["input"])
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}}, False
        for start_at in range(0, len(arguments), 8):
            yield "content_block_delta", {"type": "content_block_delta", "index": index,
                                          "delta": {"type": "input_json_delta", "partial_json": arguments[start_at:start_at + 8]}}, True
        yield "content_block_stop", {"type": "content_block_stop", "index": index}, False
        index += 1
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": STOP.get(completion.finish_reason, "end_turn"), "stop_sequence": None},
                            "usage": {"output_tokens": completion.completion_tokens}}, False
    if message_stop:
        yield "message_stop", {"type": "message_stop"}, False


def send_stream(handler: Any, n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool) -> None:
    """Write the events over chunked transfer encoding, paced like the Chat Completions stream."""
    send_named_events(handler, {REQUEST_ID: f"req_demo{n}"},
                      events(n, model, completion, calls, text, message_stop=not handler.behaviour.omit_message_stop,
                             cache_fields=not handler.behaviour.drop_cache_fields, keep_ids=handler.behaviour.openai_tool_ids))
