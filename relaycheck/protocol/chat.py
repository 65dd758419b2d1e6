"""The Chat Completions protocol (OpenAI's /v1/chat/completions): its request bodies, replies and stream chunks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relaycheck.protocol.auth import ALTERNATIVE_AUTH, Auth
from relaycheck.protocol.events import EventReader
from relaycheck.protocol.reply import Chunk, ModelList, Reply, ToolCall, safe_count
from relaycheck.text import tokens
from relaycheck.wire.exchange import is_int

if TYPE_CHECKING:
    from relaycheck.wire.exchange import Exchange


def _detail(usage: dict, group: str, name: str) -> Any:
    details = usage.get(group)
    return details.get(name) if isinstance(details, dict) else None


def openai_counts(usage: Any, prompt: str = "prompt_tokens", completion: str = "completion_tokens") -> dict:
    """An OpenAI usage object's counts as Reply fields, by its prompt and completion field names (Chat Completions'
    prompt_tokens/completion_tokens, Responses' input_tokens/output_tokens), their *_details holding the cached and
    reasoning tokens."""
    if not isinstance(usage, dict):
        return {}
    reasoning = safe_count(_detail(usage, f"{completion}_details", "reasoning_tokens"))
    return {"prompt_tokens": safe_count(usage.get(prompt)), "completion_tokens": safe_count(usage.get(completion)),
            "total_tokens": safe_count(usage.get("total_tokens")), "reasoning_tokens": reasoning if reasoning and reasoning > 0 else 0,
            "cached_tokens": safe_count(_detail(usage, f"{prompt}_details", "cached_tokens"))}


def _first_choice(body: Any) -> dict | None:
    choices = body.get("choices") if isinstance(body, dict) else None
    return choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None


# The most tool calls a reply is read for: agents make a handful at a time; a reply with thousands is a hostile
# relay's, and a few dozen already show what it did (the JSON stays in the evidence as sent).
MAX_TOOL_CALLS = 64
MAX_CHOICES = 16  # n is at most 8 in relaycheck's own requests; more choices than that are read no further


def _trimmed(message: Any) -> Any:
    """A message with at most MAX_TOOL_CALLS tool calls (the rest stay in the evidence as sent, not in the Reply)."""
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    return {**message, "tool_calls": calls[:MAX_TOOL_CALLS]} if isinstance(calls, list) and len(calls) > MAX_TOOL_CALLS else message


def _trimmed_choice(choice: Any) -> Any:
    message = choice.get("message") if isinstance(choice, dict) else None
    trimmed = _trimmed(message)
    return choice if trimmed is message else {**choice, "message": trimmed}


def _message_calls(message: Any) -> tuple[ToolCall, ...]:
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    found = []
    for call in calls[:MAX_TOOL_CALLS] if isinstance(calls, list) else []:
        if isinstance(call, dict):
            function = call.get("function") if isinstance(call.get("function"), dict) else {}
            found.append(ToolCall(call.get("id"), function.get("name"), function.get("arguments")))
    return tuple(found)


def read_event(index: int, t_ms: float, payload: Any) -> Chunk:
    """One stream event read: choice 0's delta text, any choice's text, the finish reason, model, usage, error."""
    piece, carries, finish = "", False, None
    choices = payload.get("choices") if isinstance(payload, dict) else None
    for choice in choices if isinstance(choices, list) else []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        carries = carries or bool(content)
        if choice.get("index", 0) == 0 and isinstance(content, str) and content:
            piece += content
        if choice.get("finish_reason"):
            finish = choice["finish_reason"]  # the last choice's, as a reader taking the last one would see
    body = payload if isinstance(payload, dict) else {}
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
    return Chunk(index, t_ms, payload, piece, carries, finish, body.get("model"), usage, body.get("error") or None)


def _streamed_calls(exchange: "Exchange") -> tuple[ToolCall, ...]:
    """Tool calls reassembled from stream deltas: the name from the first fragment, arguments joined by index."""
    calls: dict[int, list] = {}
    for _, payload in exchange.event_payloads():
        choices = payload.get("choices") if isinstance(payload, dict) else None
        for choice in choices if isinstance(choices, list) else []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            parts = delta.get("tool_calls") if isinstance(delta, dict) else None
            for part in parts if isinstance(parts, list) else []:
                if not isinstance(part, dict):
                    continue
                index = part.get("index", 0)
                index = index if is_int(index) else 0
                if index not in calls and len(calls) >= MAX_TOOL_CALLS:
                    continue
                call = calls.setdefault(index, [part.get("id"), None, []])
                function = part.get("function") if isinstance(part.get("function"), dict) else {}
                name = function.get("name")
                if isinstance(name, str) and name:
                    # OpenAI sends the name whole in the first fragment; further fragments are joined, as the openai
                    # SDK's accumulator does ("Ba", "sh" is Bash), except the name repeated whole, read as sent once.
                    call[1] = name if not isinstance(call[1], str) else call[1] if name == call[1] else call[1] + name
                fragment = function.get("arguments")
                if isinstance(fragment, str) and fragment:
                    call[2].append(fragment)  # joined once: += on a list item would copy the string every time
    return tuple(ToolCall(calls[i][0], calls[i][1], "".join(calls[i][2])) for i in sorted(calls))


def openai_model_list(body: Any) -> ModelList:
    """GET /models as the openai SDK reads it: {"object": "list", "data": [{"id": ...}]} (Chat Completions and
    Responses share the endpoint)."""
    if not isinstance(body, dict):
        return ModelList(None, problems=(f"GET /models returned a JSON {type(body).__name__}, not a list object with data",))
    data = body.get("data")
    if not isinstance(data, list):
        return ModelList(None, problems=("GET /models has no data array",))
    bad = [i for i, item in enumerate(data) if not isinstance(item, dict) or not isinstance(item.get("id"), str)]
    if bad:
        return ModelList(None, problems=(f"{len(bad)} of {len(data)} entries lack a string id (first at index {bad[0]})",))
    deviations = ([] if body.get("object") == "list" else [f"object is {body.get('object')!r}, not 'list'"]) + ([] if data else ["the list is empty"])
    return ModelList(tuple(item["id"] for item in data), False, (), tuple(deviations), "an OpenAI-shaped list")


@dataclass(frozen=True)
class ChatCompletions(EventReader):
    """OpenAI's Chat Completions: where requests go, what they carry, and how replies read."""

    read_event = staticmethod(read_event)  # each event's payload read (EventReader gives chunk and chunks)

    name: str = "chat"
    path: str = "chat/completions"
    models_path: str = "models"
    auth: Auth = Auth.BEARER  # where the key goes unless the relay wants it elsewhere (probes.chat discovers that)
    alternative_auth: tuple[Auth, ...] = ALTERNATIVE_AUTH
    report_auth: tuple[Auth, ...] = ()  # Bearer is what every OpenAI SDK sends: nothing else to report
    # The usage object's fields, by what they count (checks name them in their findings).
    usage_prompt: str = "prompt_tokens"
    usage_completion: str = "completion_tokens"
    usage_total: str = "total_tokens"
    min_output_tokens: int = 1  # the smallest completion budget the protocol accepts

    def headers(self) -> dict[str, str]:
        """Headers every request of the protocol carries (none beyond the key)."""
        return {}

    def limit_params(self, model: str, visible: int, reasoning_budget: int) -> dict:
        """max_tokens for chat models; max_completion_tokens (with room for reasoning) for reasoning models."""
        if tokens.is_reasoning_model(model):
            return {"max_completion_tokens": reasoning_budget}
        return {"max_tokens": visible, "temperature": 0}

    def body(self, model: str, prompt: str, visible: int, reasoning_budget: int, stream: bool = False) -> dict:
        """A request body with a single user message (a stream asks for its usage chunk)."""
        body: dict = {"model": model, "messages": [{"role": "user", "content": prompt}]}
        body.update(self.limit_params(model, visible, reasoning_budget))
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def with_tools(self, body: dict, tools: tuple[Any, ...], choice: str | None) -> dict:
        """The body offering `tools` (name, description, parameters) as functions; choice: a tool's name to force
        that call, "none" to forbid calls, None to leave the model free."""
        body = {**body, "tools": [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                                   "parameters": t.parameters}} for t in tools]}
        if choice == "none":
            body["tool_choice"] = "none"
        elif choice is not None:
            body["tool_choice"] = {"type": "function", "function": {"name": choice}}
        return body

    def with_system(self, body: dict, system: str) -> dict:
        """The body with a system message before its messages."""
        return {**body, "messages": [{"role": "system", "content": system}, *body["messages"]]}

    def tools_of(self, request: Any) -> tuple[tuple[str, str], ...]:
        """(name, description) of every function a request offered."""
        tools = request.get("tools") if isinstance(request, dict) else None
        found = []
        for tool in tools if isinstance(tools, list) else []:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                found.append((function["name"], str(function.get("description") or "")))
        return tuple(found)

    def tool_choice_of(self, request: Any) -> str | None:
        """A request's tool choice: a forced function's name, "none", "auto", "required", or None when unset."""
        choice = request.get("tool_choice") if isinstance(request, dict) else None
        if isinstance(choice, dict):
            function = choice.get("function")
            return function.get("name") if isinstance(function, dict) and isinstance(function.get("name"), str) else None
        return choice if isinstance(choice, str) else None

    def system_of(self, request: Any) -> str:
        """The text of a request's system (or developer) messages joined ("" when none)."""
        messages = request.get("messages") if isinstance(request, dict) else None
        return "\n".join(m["content"] for m in messages if isinstance(m, dict) and m.get("role") in ("system", "developer")
                         and isinstance(m.get("content"), str)) if isinstance(messages, list) else ""

    def user_prompt_of(self, request: Any) -> str:
        """The first user message's text ("" when none): a request with a system message asks in its user message."""
        messages = request.get("messages") if isinstance(request, dict) else None
        return next((m["content"] for m in messages or [] if isinstance(m, dict) and m.get("role") == "user"
                     and isinstance(m.get("content"), str)), "")

    end_marker: str = "data: [DONE]"  # what ends a stream, as a finding names it

    def stream_ended(self, exchange: "Exchange") -> bool:
        """data: [DONE] came."""
        return any(e.is_done for e in exchange.events)

    def model_list(self, body: Any) -> ModelList:
        """GET {base}/models read as the openai SDK reads it."""
        return openai_model_list(body)

    def budget_of(self, request: Any) -> Any:
        """The completion budget a request body set (max_completion_tokens or max_tokens), as sent."""
        return (request.get("max_completion_tokens") or request.get("max_tokens")) if isinstance(request, dict) else None

    def prompt_of(self, request: Any) -> str:
        """The first message text a request body carried ("" when none)."""
        messages = request.get("messages") if isinstance(request, dict) else None
        return next((m["content"] for m in messages or [] if isinstance(m, dict) and isinstance(m.get("content"), str)), "")



    def read(self, exchange: "Exchange") -> Reply:
        """Every fact of a reply: a stream's from its chunks, a body's from its first choice."""
        if exchange.events:
            pieces, models, finish, usage, shaped = [], [], None, None, False
            for chunk in self.chunks(exchange):
                shaped = shaped or isinstance(chunk.payload, dict) and isinstance(chunk.payload.get("choices"), list)
                if chunk.piece:
                    pieces.append(chunk.piece)
                if isinstance(chunk.payload, dict):
                    models.append(chunk.model)
                finish = chunk.finish_reason or finish
                usage = chunk.usage if chunk.usage is not None else usage
            return Reply(self.name, True, shaped, "".join(pieces), tuple(pieces), tuple(models), finish, usage,
                         _streamed_calls(exchange), None, (), None, **openai_counts(usage))
        body = exchange.json
        if not isinstance(body, dict):
            return Reply(self.name, False, False, None, (), (), None, None, (), None, (), None)
        first = _first_choice(body)
        message = first.get("message") if first and isinstance(first.get("message"), dict) else None
        message = _trimmed(message)  # the Reply is kept: a hostile reply's thousands of calls are not
        content = message.get("content") if message else None
        choices = body.get("choices")
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
        shown = isinstance(message, dict) and any(message.get(k) for k in ("reasoning_content", "reasoning"))
        return Reply(self.name, False, isinstance(choices, list), content if isinstance(content, str) else None, (),
                     (body.get("model"),), first.get("finish_reason") if first else None, usage, _message_calls(message),
                     message, tuple(_trimmed_choice(c) for c in choices[:MAX_CHOICES]) if isinstance(choices, list) else (),
                     body.get("error"), **openai_counts(usage),
                     reasoning_shown=shown)


CHAT = ChatCompletions()
