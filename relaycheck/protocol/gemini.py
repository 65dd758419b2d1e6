"""The Gemini protocol (POST {base}/v1beta/models/{model}:generateContent, :streamGenerateContent?alt=sse).

The google-genai SDK's base URL has no /v1beta (https://generativelanguage.googleapis.com, https://relay.example/google):
paths here carry it. The model is named in the URL, not the body, so probes build bodies with `model` and `stream`
as for every protocol and `route` moves them into the URL just before sending. Replies are `candidates` with
content `parts` and a `usageMetadata`; a stream is one such object per SSE event, ending with the connection (no
[DONE]), its last chunk carrying the finishReason. Finish reasons are read in Chat Completions' words (STOP as
stop, or tool_calls when a part calls a function; MAX_TOKENS as length; SAFETY and its kind as content_filter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from relaycheck.protocol.auth import Auth
from relaycheck.protocol.events import EventReader
from relaycheck.protocol.reply import Chunk, ModelList, Reply, ToolCall, safe_count
from relaycheck.text import tokens
from relaycheck.text.tokens import base_model_name
from relaycheck.wire.exchange import is_int

if TYPE_CHECKING:
    from relaycheck.wire.exchange import Exchange

MAX_TOOL_CALLS = 64
FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
          "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter", "IMAGE_SAFETY": "content_filter"}
_INTERNAL = ("model", "stream")  # what a probe's body carries for `route` to move into the URL


def counts(usage: dict | None) -> dict:
    """usageMetadata as Reply counts: the completion is the candidates' tokens plus the thoughts' (billed alike)."""
    if not isinstance(usage, dict):
        return {}
    prompt, candidates, thoughts = (safe_count(usage.get(k)) for k in ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount"))
    # Google omits a count of zero (proto3 JSON): a reply spent on thinking, or blocked, has no candidatesTokenCount.
    candidates = 0 if candidates is None and "candidatesTokenCount" not in usage and prompt is not None else candidates
    completion = None if candidates is None else candidates + (thoughts or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": safe_count(usage.get("totalTokenCount")),
            "reasoning_tokens": thoughts if thoughts and thoughts > 0 else 0, "cached_tokens": safe_count(usage.get("cachedContentTokenCount"))}


def _parts(body: Any) -> tuple[list, Any]:
    """The first candidate's parts and its finishReason."""
    candidates = body.get("candidates") if isinstance(body, dict) else None
    first = candidates[0] if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict) else {}
    content = first.get("content") if isinstance(first.get("content"), dict) else {}
    parts = content.get("parts")
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else [], first.get("finishReason")


def _text(parts: list) -> str:
    # Thought summaries (thought: true) are not the answer.
    return "".join(p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought"))


def _calls(parts: list) -> tuple[ToolCall, ...]:
    calls = []
    for part in parts:
        call = part.get("functionCall")
        if isinstance(call, dict) and len(calls) < MAX_TOOL_CALLS:
            args = call.get("args")
            calls.append(ToolCall(call.get("id"), call.get("name"), json.dumps(args) if isinstance(args, dict) else args))
    return tuple(calls)


def _finish(reason: Any, parts: list) -> Any:
    if not isinstance(reason, str) or not reason or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    if reason == "STOP" and any(isinstance(p.get("functionCall"), dict) for p in parts):
        return "tool_calls"
    return FINISH.get(reason, reason.lower())


def read_event(index: int, t_ms: float, payload: Any) -> Chunk:
    """One stream chunk: its text, finishReason, modelVersion, usageMetadata, or an error object."""
    body = payload if isinstance(payload, dict) else {}
    parts, reason = _parts(body)
    piece = _text(parts)
    usage = body.get("usageMetadata") if isinstance(body.get("usageMetadata"), dict) else None
    return Chunk(index, t_ms, payload, piece, bool(piece), _finish(reason, parts), body.get("modelVersion"), usage, body.get("error") or None)


def _openapi_schema(schema: Any) -> Any:
    """A JSON Schema as Gemini's `parameters` takes it (an OpenAPI subset): additionalProperties and $schema, which
    Google refuses with a 400, removed at every level."""
    if isinstance(schema, dict):
        return {k: _openapi_schema(v) for k, v in schema.items() if k not in ("additionalProperties", "$schema")}
    if isinstance(schema, list):
        return [_openapi_schema(v) for v in schema]
    return schema


def model_in_url(url: str) -> str | None:
    """The model a Gemini request URL names (…/models/{model}:generateContent), or None."""
    path = url.split("?", 1)[0]
    if "/models/" not in path or ":" not in path.rsplit("/", 1)[-1]:
        return None
    return unquote(path.rsplit("/models/", 1)[1].rsplit(":", 1)[0])


@dataclass(frozen=True)
class Gemini(EventReader):
    """Google's Gemini API: where requests go (the model in the URL), what they carry, and how replies read."""

    read_event = staticmethod(read_event)

    name: str = "gemini"
    path: str = "v1beta/models"  # `route` appends /{model}:generateContent
    models_path: str = "v1beta/models"
    auth: Auth = Auth.GOOG_API_KEY
    alternative_auth: tuple[Auth, ...] = (Auth.QUERY, Auth.BEARER)  # tried after a refused x-goog-api-key
    report_auth: tuple[Auth, ...] = ()
    usage_prompt: str = "promptTokenCount"
    usage_completion: str = "candidatesTokenCount"
    usage_total: str = "totalTokenCount"
    # What totalTokenCount adds up: thinking and tool-use prompt tokens count in it beside the prompt and candidates.
    usage_parts: tuple[str, ...] = ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount")
    usage_optional: tuple[str, ...] = ("candidatesTokenCount",)  # omitted when zero (proto3 JSON)
    min_output_tokens: int = 1
    turns_field: str = "contents"
    system_field: str = "systemInstruction"
    param_paths = (("stop", ("generationConfig", "stopSequences")), ("temperature", ("generationConfig", "temperature")))
    end_marker: str = "a chunk with finishReason"

    def headers(self) -> dict[str, str]:
        """Headers every request of the protocol carries (none beyond the key)."""
        return {}

    def count_request(self, base_url: str, body: dict) -> tuple[str, dict]:
        """Where the relay counts a request's tokens (…/{model}:countTokens), and its contents (countTokens takes the
        turns alone; the generation settings are not counted)."""
        model = (body.get("model") if isinstance(body.get("model"), str) else "").removeprefix("models/")
        return f"{base_url.rstrip('/')}/v1beta/models/{quote(model, safe='-._')}:countTokens", {"contents": body.get("contents")}

    def counted(self, body: Any) -> int | None:
        """The count endpoint's answer: {"totalTokens": N}."""
        value = body.get("totalTokens") if isinstance(body, dict) else None
        return value if is_int(value) else None

    def speaks(self, path: str) -> bool:
        """A generate path (…/models/{model}:generateContent or :streamGenerateContent): the model is in the URL."""
        return path.endswith((":generateContent", ":streamGenerateContent"))

    def route(self, url: str, body: Any, model: str | None) -> tuple[str, Any]:
        """The URL with the body's model and method (…/{model}:generateContent, or :streamGenerateContent?alt=sse),
        and the body without them; a URL that already names its method (…:countTokens) is left as it is."""
        if ":" in url.split("?", 1)[0].rsplit("/", 1)[-1]:
            return url, body
        named = body.get("model") if isinstance(body, dict) else None
        stream = isinstance(body, dict) and body.get("stream") is True
        target = (named if isinstance(named, str) and named else model or "").removeprefix("models/")  # the list's spelling
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        wire = {k: v for k, v in body.items() if k not in _INTERNAL} if isinstance(body, dict) else body
        return f"{url.rstrip('/')}/{quote(target, safe='-._')}:{method}", wire

    def limit_params(self, model: str, visible: int, reasoning_budget: int) -> dict:
        """generationConfig: maxOutputTokens and temperature 0. Thoughts count against maxOutputTokens: a 2.5 Flash
        model's thinking is turned off; a model that always thinks (2.5 Pro, Gemini 3) gets the reasoning budget and
        the least thinking it allows; older models take no thinkingConfig at all (they refuse it)."""
        name = base_model_name(model)
        config: dict = {"maxOutputTokens": visible, "temperature": 0}
        if tokens.thinks_unless_told(name):
            config["thinkingConfig"] = {"thinkingBudget": 0}
        elif tokens.thinks_always(name):
            # The limit must exceed the thinking budget: the reasoning budget on top of the least thinking allowed.
            config["maxOutputTokens"] = max(visible, reasoning_budget) + tokens.THINKING_FLOOR
            if name.startswith("gemini-3"):
                config["thinkingConfig"] = {"thinkingLevel": "low"}
                del config["temperature"]  # Google advises Gemini 3's default temperature (lower ones can loop)
            else:
                config["thinkingConfig"] = {"thinkingBudget": tokens.THINKING_FLOOR}
        return {"generationConfig": config}

    def body(self, model: str, prompt: str, visible: int, reasoning_budget: int, stream: bool = False) -> dict:
        """A request with one user turn (model and stream for `route`)."""
        body: dict = {"model": model, "contents": [{"role": "user", "parts": [{"text": prompt}]}], **self.limit_params(model, visible, reasoning_budget)}
        if stream:
            body["stream"] = True
        return body

    def with_tools(self, body: dict, tools: tuple[Any, ...], choice: str | None) -> dict:
        """The body offering `tools` as functionDeclarations; choice: a tool's name to force it (mode ANY with that
        name allowed), "none" to forbid calls (mode NONE)."""
        body = {**body, "tools": [{"functionDeclarations": [{"name": t.name, "description": t.description,
                                                             "parameters": _openapi_schema(t.parameters)} for t in tools]}]}
        if choice == "none":
            body["toolConfig"] = {"functionCallingConfig": {"mode": "NONE"}}
        elif choice is not None:
            body["toolConfig"] = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}
        return body

    def with_system(self, body: dict, system: str) -> dict:
        """The body with a systemInstruction."""
        return {**body, "systemInstruction": {"parts": [{"text": system}]}}

    def tools_of(self, request: Any) -> tuple[tuple[str, str], ...]:
        """(name, description) of every function a request declared."""
        tools = request.get("tools") if isinstance(request, dict) else None
        found = []
        for tool in tools if isinstance(tools, list) else []:
            declared = tool.get("functionDeclarations") if isinstance(tool, dict) else None
            for d in declared if isinstance(declared, list) else []:
                if isinstance(d, dict) and isinstance(d.get("name"), str):
                    found.append((d["name"], str(d.get("description") or "")))
        return tuple(found)

    def tool_choice_of(self, request: Any) -> str | None:
        """A forced function's name (mode ANY with one allowed name), "none", "auto", "required", or None."""
        config = request.get("toolConfig") if isinstance(request, dict) else None
        calling = config.get("functionCallingConfig") if isinstance(config, dict) else None
        mode = calling.get("mode") if isinstance(calling, dict) else None
        if mode == "ANY":
            allowed = calling.get("allowedFunctionNames")
            return allowed[0] if isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str) else "required"
        return mode.lower() if isinstance(mode, str) else None

    def system_of(self, request: Any) -> str:
        """The systemInstruction's text ("" when none)."""
        system = request.get("systemInstruction") if isinstance(request, dict) else None
        parts = system.get("parts") if isinstance(system, dict) else None
        return "".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)) if isinstance(parts, list) else ""

    def user_prompt_of(self, request: Any) -> str:
        """The first user turn's text ("" when none)."""
        contents = request.get("contents") if isinstance(request, dict) else None
        for turn in contents if isinstance(contents, list) else []:
            if isinstance(turn, dict) and turn.get("role", "user") == "user" and isinstance(turn.get("parts"), list):
                return "".join(p["text"] for p in turn["parts"] if isinstance(p, dict) and isinstance(p.get("text"), str))
        return ""

    def prompt_of(self, request: Any) -> str:
        """The first turn's text ("" when none)."""
        return self.user_prompt_of(request)

    def model_list(self, body: Any) -> ModelList:
        """GET {base}/v1beta/models as the google-genai SDK reads it: {"models": [{"name": "models/..."}], "nextPageToken"}."""
        models = body.get("models", []) if isinstance(body, dict) else None  # proto3 JSON omits an empty list
        if not isinstance(models, list):
            return ModelList(None, problems=("GET /v1beta/models has no models array",))
        bad = [i for i, item in enumerate(models) if not isinstance(item, dict) or not isinstance(item.get("name"), str)]
        if bad:
            return ModelList(None, problems=(f"{len(bad)} of {len(models)} entries lack a string name (first at index {bad[0]})",))
        return ModelList(tuple(m["name"].removeprefix("models/") for m in models), bool(body.get("nextPageToken")), (),
                         () if models else ("the list is empty",), "a Gemini-shaped list")

    def budget_of(self, request: Any) -> Any:
        """The completion budget a request set (generationConfig.maxOutputTokens), as sent."""
        config = request.get("generationConfig") if isinstance(request, dict) else None
        return config.get("maxOutputTokens") if isinstance(config, dict) else None

    def asked_model(self, exchange: "Exchange") -> Any:
        """The model the request named: in its URL."""
        return model_in_url(exchange.url)

    def model_asked(self, url: str, request: Any) -> Any:
        """The model a request names before it is sent: in its URL (`route` moved it there)."""
        return model_in_url(url)

    def tools_offered(self, request: Any) -> tuple[Any, ...]:
        """Each function declaration of the request's tools (Gemini groups them in one tool)."""
        tools = request.get("tools") if isinstance(request, dict) else None
        return tuple(d for t in tools if isinstance(t, dict) for d in t.get("functionDeclarations") or [] if isinstance(t.get("functionDeclarations"), list)) \
            if isinstance(tools, list) else ()

    def stream_ended(self, exchange: "Exchange") -> bool:
        """A chunk stated its finishReason (a Gemini stream has no end marker of its own)."""
        return any(chunk.finish_reason for chunk in self.chunks(exchange))

    def read(self, exchange: "Exchange") -> Reply:
        """Every fact of a reply: a stream's from its chunks (the last usageMetadata), a body's from its first candidate."""
        if exchange.events:
            calls: list[ToolCall] = []

            def collect(payload: dict) -> None:
                if len(calls) < MAX_TOOL_CALLS:
                    calls.extend(_calls(_parts(payload)[0]))  # Gemini streams each call whole in one chunk, read in the same pass

            pieces, models, finish, usage, shaped = self.gather(exchange, lambda p: isinstance(p.get("candidates"), list), collect)
            return Reply(self.name, True, shaped, "".join(pieces), tuple(pieces), tuple(models), finish, usage,
                         tuple(calls[:MAX_TOOL_CALLS]), None, (), None, **counts(usage))
        body = exchange.json
        if not isinstance(body, dict):
            return Reply(self.name, False, False, None, (), (), None, None, (), None, (), None)
        parts, reason = _parts(body)
        shaped = isinstance(body.get("candidates"), list)
        usage = body.get("usageMetadata") if isinstance(body.get("usageMetadata"), dict) else None
        shown = any(p.get("thought") and isinstance(p.get("text"), str) and p["text"] for p in parts)
        return Reply(self.name, False, shaped, _text(parts) if shaped else None, (), (body.get("modelVersion"),), _finish(reason, parts),
                     usage, _calls(parts), None, (), body.get("error") or None, **counts(usage), reasoning_shown=shown)

    def shape_problems(self, body: dict) -> tuple[list[str], list[str]]:
        """(missing or malformed required fields, tolerated deviations) of a non-stream reply."""
        missing = []
        candidates = body.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            missing.append("candidates")
        elif not isinstance(candidates[0], dict):
            missing.append("candidates[0]")
        elif not isinstance(candidates[0].get("content"), dict) and candidates[0].get("finishReason") in (None, "STOP"):
            # A blocked or thinking-spent candidate comes without content (the SDK's Candidate.content is optional).
            missing.append("candidates[0].content")
        # usageMetadata is optional to the SDK: usage.present judges it, not the reply's shape.
        deviations = [] if isinstance(body.get("modelVersion"), str) else ["no modelVersion"]
        return missing, deviations


GEMINI = Gemini()
