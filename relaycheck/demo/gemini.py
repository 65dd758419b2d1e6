"""The demo relay's Gemini face (/v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse): requests
read into the Chat Completions shape the stand-in answers, answers written back as Gemini response objects, errors
in Google's shape with the statuses Google's API uses (a wrong key is a 400 INVALID_ARGUMENT, a missing one 403)."""

from __future__ import annotations

import json
from typing import Any

from relaycheck.demo import model as stand_in
from relaycheck.demo.model import content_text
from relaycheck.demo.streaming import send_named_events

REQUEST_ID = "x-request-id"
_PREFIX = "/v1beta/models/"
_GRPC = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 413: "INVALID_ARGUMENT",
         429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
WRONG_KEY = "API key not valid. Please pass a valid API key."
NO_KEY = ("Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of "
          "API consumer identity to call this API.")


def route(path: str) -> tuple[str, bool] | None:
    """(model, streamed) of a generate path, or None for any other path."""
    if not path.startswith(_PREFIX) or ":" not in path:
        return None
    model, _, method = path[len(_PREFIX):].rpartition(":")
    if method not in ("generateContent", "streamGenerateContent") or not model:
        return None
    return model, method == "streamGenerateContent"


def count_route(path: str) -> str | None:
    """The model of a countTokens path, or None."""
    if not path.startswith(_PREFIX) or not path.endswith(":countTokens"):
        return None
    return path[len(_PREFIX):-len(":countTokens")] or None


def error_body(status: int, message: str) -> dict:
    """Google's error shape: an integer code, the message, a gRPC status."""
    body: dict = {"error": {"code": status, "message": message, "status": _GRPC.get(status, "UNKNOWN")}}
    if message == WRONG_KEY:
        body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]
    return body


def rate_limited(message: str, retry_s: int) -> dict:
    """Google's 429: RESOURCE_EXHAUSTED with a RetryInfo detail (no Retry-After header)."""
    body = error_body(429, message)
    body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_s}s"}]
    return body


def models(names: list[str]) -> dict:
    """GET /v1beta/models in Google's shape."""
    return {"models": [{"name": f"models/{m}", "displayName": m, "supportedGenerationMethods": ["generateContent", "countTokens"]} for m in names]}


def to_chat(body: Any, model: str, stream: bool) -> Any:
    """A Gemini request as the Chat Completions body the stand-in reads (the model and stream from the URL,
    systemInstruction as a system message, functionDeclarations as functions, toolConfig as tool_choice)."""
    if not isinstance(body, dict):
        return body
    contents = body.get("contents")
    messages: Any = [{"role": "assistant" if c.get("role") == "model" else "user", "content": content_text(c.get("parts"))}
                     for c in contents if isinstance(c, dict)] if isinstance(contents, list) else contents
    system = body.get("systemInstruction")
    if isinstance(system, dict) and isinstance(messages, list):
        messages = [{"role": "system", "content": content_text(system.get("parts"))}, *messages]
    chat: dict = {"model": model, "messages": messages, "stream": stream}
    config = body.get("generationConfig") if isinstance(body.get("generationConfig"), dict) else {}
    for key, chat_key in (("maxOutputTokens", "max_tokens"), ("temperature", "temperature"), ("stopSequences", "stop")):
        if key in config:
            chat[chat_key] = config[key]
    declared = [d for t in body.get("tools") or [] if isinstance(t, dict) for d in t.get("functionDeclarations") or [] if isinstance(d, dict)]
    if declared:
        chat["tools"] = [{"type": "function", "function": {"name": d.get("name"), "description": d.get("description", ""),
                                                           "parameters": d.get("parameters", {})}} for d in declared]
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") if isinstance(body.get("toolConfig"), dict) else None
    mode = calling.get("mode") if isinstance(calling, dict) else None
    allowed = calling.get("allowedFunctionNames") if isinstance(calling, dict) else None
    if mode == "ANY" and isinstance(allowed, list) and len(allowed) == 1:
        chat["tool_choice"] = {"type": "function", "function": {"name": allowed[0]}}
    elif mode in ("NONE", "AUTO", "ANY"):
        chat["tool_choice"] = {"ANY": "required"}.get(mode, mode.lower())
    return chat


def _usage(completion: stand_in.Completion) -> dict:
    usage = {"promptTokenCount": completion.prompt_tokens, "candidatesTokenCount": completion.completion_tokens,
             "totalTokenCount": completion.prompt_tokens + completion.completion_tokens}
    if completion.cached_tokens:
        usage["cachedContentTokenCount"] = completion.cached_tokens
    return usage


def _call(call: dict) -> dict:
    return {"functionCall": {"name": call["function"]["name"], "args": json.loads(call["function"]["arguments"])}}


def reply(n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool, usage: bool = True) -> dict:
    """A non-stream generateContent response."""
    parts = ([{"text": completion.text}] if text else []) + [_call(c) for c in calls]
    body: dict = {"candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0,
                                  "finishReason": "MAX_TOKENS" if completion.finish_reason == "length" else "STOP"}],
                  "modelVersion": model, "responseId": f"demo{n:020d}"}
    if usage:
        body["usageMetadata"] = _usage(completion)
    return body


def chunks(n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool, usage: bool = True):
    """The stream's response objects, as (payload, paced): one per text piece, then the calls, the last with the
    finishReason and the final usageMetadata."""
    pieces = list(completion.pieces) if text else []
    for i, piece in enumerate(pieces):
        yield {"candidates": [{"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}], "modelVersion": model,
               "responseId": f"demo{n:020d}"}, stand_in.paced(i)
    last = reply(n, model, completion, calls, text=False, usage=usage)
    yield last, False


def send_stream(handler: Any, n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool) -> None:
    """Write the chunks as data-only SSE events (Gemini names no events and sends no [DONE]), paced like the others."""
    named = ((None, payload, paced) for payload, paced in chunks(n, model, completion, calls, text, usage=not handler.behaviour.omit_gemini_usage))
    send_named_events(handler, {REQUEST_ID: f"req_demo{n}"}, named, newline="\r\n")
