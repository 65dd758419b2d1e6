"""The OpenAI Responses protocol (POST {base}/responses): its request bodies, replies and typed stream events.

The base URL is the OpenAI one (with /v1). A reply is a `response` object whose `output` is a list of items
(`message` items with `output_text` parts, `function_call` items, `reasoning` items); its stream is typed events
(`response.created`, `response.output_text.delta`, ..., `response.completed`) with no [DONE]. Replies are read into
the same Reply as Chat Completions, the finish reason in Chat Completions' words (a completed response "stop", or
"tool_calls" when it calls a function; an incomplete one at `max_output_tokens` "length").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relaycheck.protocol.auth import ALTERNATIVE_AUTH, Auth
from relaycheck.protocol.events import EventReader, named_tools
from relaycheck.protocol.chat import openai_counts, openai_model_list
from relaycheck.protocol.reply import Chunk, ModelList, Reply, ToolCall
from relaycheck.text import tokens
from relaycheck.text.excerpt import excerpt
from relaycheck.wire.exchange import is_int

if TYPE_CHECKING:
    from relaycheck.wire.exchange import Exchange

MAX_TOOL_CALLS = 64  # as for Chat Completions: a hostile reply's thousands of items are not read
MIN_OUTPUT_TOKENS = 16  # OpenAI refuses a max_output_tokens below 16 with a 400
# The events that end a stream: the response's final state, which carries its usage.
TERMINAL = {"response.completed": "completed", "response.incomplete": "incomplete", "response.failed": "failed"}
INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def counts(usage: dict | None) -> dict:
    """The usage object's counts as Reply fields (input_tokens_details.cached_tokens, output_tokens_details...)."""
    return openai_counts(usage, "input_tokens", "output_tokens")


def _items(response: Any) -> list:
    output = response.get("output") if isinstance(response, dict) else None
    return [item for item in output if isinstance(item, dict)] if isinstance(output, list) else []


def _output(response: Any) -> tuple[str, tuple[ToolCall, ...], bool]:
    """(text of the message items' output_text parts, function_call items as calls, whether reasoning was shown)."""
    text, calls, shown = [], [], False
    for item in _items(response):
        kind = item.get("type")
        if kind == "message":
            parts = item.get("content")
            for part in parts if isinstance(parts, list) else []:
                if isinstance(part, dict) and part.get("type") == "output_text" and isinstance(part.get("text"), str):
                    text.append(part["text"])
        elif kind == "function_call" and len(calls) < MAX_TOOL_CALLS:
            calls.append(ToolCall(item.get("call_id"), item.get("name"), item.get("arguments")))
        elif kind == "reasoning":
            summary = item.get("summary")
            shown = shown or isinstance(summary, list) and any(isinstance(s, dict) and s.get("text") for s in summary)
    return "".join(text), tuple(calls), shown


def finish_of(response: Any) -> Any:
    """A response's end in Chat Completions' words: completed is stop (tool_calls with a call), incomplete at the
    output limit is length; any other status is kept as sent (failed, in_progress, cancelled)."""
    if not isinstance(response, dict):
        return None
    status = response.get("status")
    if status == "completed":
        return "tool_calls" if any(i.get("type") == "function_call" for i in _items(response)) else "stop"
    if status == "incomplete":
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return INCOMPLETE.get(reason, reason) if isinstance(reason, str) else "incomplete"
    return status if isinstance(status, str) and status else None


def read_event(index: int, t_ms: float, payload: Any) -> Chunk:
    """One typed event: a text delta, the model (any event carrying the response), the end, usage, an error."""
    body = payload if isinstance(payload, dict) else {}
    kind = body.get("type") if isinstance(body.get("type"), str) else None  # a hostile list or dict is no type
    piece, finish, model, usage, error = "", None, None, None, None
    if kind == "response.output_text.delta":
        delta = body.get("delta")
        piece = delta if isinstance(delta, str) else ""
    response = body.get("response") if isinstance(body.get("response"), dict) else None
    if response is not None:
        model = response.get("model")
        if kind in TERMINAL:
            finish = finish_of(response)
            usage = response.get("usage") if isinstance(response.get("usage"), dict) else None
            error = response.get("error") or None if kind == "response.failed" else None
    if kind == "error":  # an in-band error event: the live API nests it ({type: error, error: {...}}); older docs flatten it
        flat = {k: body.get(k) for k in ("code", "message", "param") if k in body}
        error = {**flat, **body["error"]} if isinstance(body.get("error"), dict) else flat or body
    return Chunk(index, t_ms, payload, piece, bool(piece), finish, model, usage, error)


def _streamed_calls(exchange: "Exchange") -> tuple[ToolCall, ...]:
    """function_call items of a stream: call id and name from output_item.added, the arguments from their deltas
    (or, when none came, the arguments the done events carry)."""
    calls: dict[int, list] = {}  # output_index -> [call_id, name, argument parts, the arguments a done event states]
    for _, payload in exchange.event_payloads():
        if not isinstance(payload, dict):
            continue
        kind, index, item = payload.get("type"), payload.get("output_index"), payload.get("item")
        index = index if is_int(index) else 0  # a hostile index (a list, a string) is read as the first item's
        if kind in ("response.output_item.added", "response.output_item.done") and isinstance(item, dict) \
                and item.get("type") == "function_call":
            if index not in calls and len(calls) >= MAX_TOOL_CALLS:
                continue
            call = calls.setdefault(index, [item.get("call_id"), item.get("name"), [], None])
            if kind == "response.output_item.done" and isinstance(item.get("arguments"), str):
                call[3] = item["arguments"]
        elif kind == "response.function_call_arguments.delta" and index in calls and isinstance(payload.get("delta"), str):
            calls[index][2].append(payload["delta"])  # joined once: += on a list item would copy it every time
        elif kind == "response.function_call_arguments.done" and index in calls and isinstance(payload.get("arguments"), str):
            calls[index][3] = payload["arguments"]
    return tuple(ToolCall(cid, name, "".join(parts) or (done if done is not None else "")) for _, (cid, name, parts, done) in sorted(calls.items()))


def _text_of(content: Any) -> str:
    """An input message's text: a string, or its input_text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


@dataclass(frozen=True)
class Responses(EventReader):
    """OpenAI's Responses API: where requests go, what they carry, and how replies read."""

    read_event = staticmethod(read_event)  # each event's payload read (EventReader gives chunk and chunks)

    name: str = "responses"
    path: str = "responses"
    models_path: str = "models"
    auth: Auth = Auth.BEARER
    alternative_auth: tuple[Auth, ...] = ALTERNATIVE_AUTH
    report_auth: tuple[Auth, ...] = ()
    usage_prompt: str = "input_tokens"
    usage_completion: str = "output_tokens"
    usage_total: str = "total_tokens"
    reply_object: str = "response"
    min_output_tokens: int = MIN_OUTPUT_TOKENS
    turns_field: str = "input"
    system_field: str = "instructions"
    param_paths = (("stop", None), ("temperature", ("temperature",)))  # the Responses API has no stop parameter
    end_marker: str = "response.completed"

    def headers(self) -> dict[str, str]:
        """Headers every request of the protocol carries (none beyond the key)."""
        return {}

    def limit_params(self, model: str, visible: int, reasoning_budget: int) -> dict:
        """max_output_tokens (at least the protocol's 16), with temperature 0 for chat models; reasoning models count
        their reasoning inside it and refuse a temperature."""
        if tokens.is_reasoning_model(model):
            return {"max_output_tokens": max(reasoning_budget, MIN_OUTPUT_TOKENS)}
        return {"max_output_tokens": max(visible, MIN_OUTPUT_TOKENS), "temperature": 0}

    def body(self, model: str, prompt: str, visible: int, reasoning_budget: int, stream: bool = False) -> dict:
        """A request with one input string; store false, so the relay's upstream keeps no copy of a probe."""
        body: dict = {"model": model, "input": prompt, "store": False, **self.limit_params(model, visible, reasoning_budget)}
        if stream:
            body["stream"] = True
        return body

    def with_tools(self, body: dict, tools: tuple[Any, ...], choice: str | None) -> dict:
        """The body offering `tools` as functions; choice: a tool's name to force it, "none" to forbid calls."""
        body = {**body, "tools": [{"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters}
                                  for t in tools]}
        if choice == "none":
            body["tool_choice"] = "none"
        elif choice is not None:
            body["tool_choice"] = {"type": "function", "name": choice}
        return body

    def with_system(self, body: dict, system: str) -> dict:
        """The body with the system prompt as instructions (the protocol's own place for it)."""
        return {**body, "instructions": system}

    def tools_of(self, request: Any) -> tuple[tuple[str, str], ...]:
        """(name, description) of every function a request offered."""
        return named_tools(request)

    def tool_choice_of(self, request: Any) -> str | None:
        """A forced function's name, "none", "auto", "required", or None when unset."""
        choice = request.get("tool_choice") if isinstance(request, dict) else None
        if isinstance(choice, dict):
            return choice.get("name") if isinstance(choice.get("name"), str) else None
        return choice if isinstance(choice, str) else None

    def _messages(self, request: Any) -> list:
        items = request.get("input") if isinstance(request, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def system_of(self, request: Any) -> str:
        """The instructions and any system or developer input messages, joined ("" when none)."""
        instructions = request.get("instructions") if isinstance(request, dict) else None
        parts = [instructions] if isinstance(instructions, str) and instructions else []
        parts += [_text_of(m.get("content")) for m in self._messages(request) if m.get("role") in ("system", "developer")]
        return "\n".join(parts)

    def user_prompt_of(self, request: Any) -> str:
        """The input string, or the first user message's text ("" when none)."""
        if isinstance(request, dict) and isinstance(request.get("input"), str):
            return request["input"]
        return next((_text_of(m.get("content")) for m in self._messages(request) if m.get("role") == "user"), "")

    def prompt_of(self, request: Any) -> str:
        """The first input text a request carried ("" when none)."""
        return self.user_prompt_of(request)

    def model_list(self, body: Any) -> ModelList:
        """GET {base}/models: the same list as Chat Completions'."""
        return openai_model_list(body)

    def budget_of(self, request: Any) -> Any:
        """The completion budget a request set (max_output_tokens), as sent."""
        return request.get("max_output_tokens") if isinstance(request, dict) else None



    def stream_ended(self, exchange: "Exchange") -> bool:
        """A terminal event came (response.completed, .incomplete or .failed): Responses streams need no [DONE]."""
        return any(isinstance(p, dict) and isinstance(p.get("type"), str) and p["type"] in TERMINAL for _, p in exchange.event_payloads())

    def read(self, exchange: "Exchange") -> Reply:
        """Every fact of a reply: a stream's from its events (usage and the end from the terminal event)."""
        if exchange.events:
            pieces, models, finish, usage, shaped = self.gather(exchange, lambda p: str(p.get("type", "")).startswith("response."))
            return Reply(self.name, True, shaped, "".join(pieces), tuple(pieces), tuple(models), finish, usage,
                         _streamed_calls(exchange), None, (), None, **counts(usage))
        body = exchange.json
        if not isinstance(body, dict):
            return Reply(self.name, False, False, None, (), (), None, None, (), None, (), None)
        shaped = body.get("object") == "response" or isinstance(body.get("output"), list)
        text, calls, shown = _output(body)
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
        return Reply(self.name, False, shaped, text if shaped else None, (), (body.get("model"),), finish_of(body), usage, calls,
                     None, (), body.get("error") or None, **counts(usage), reasoning_shown=shown)

    def shape_problems(self, body: dict) -> tuple[list[str], list[str]]:
        """(missing or malformed required fields, tolerated deviations) of a non-stream reply. The response object
        grows fields often, so extra fields are not deviations."""
        missing = [f for f in ("id", "object", "status", "model", "output") if f not in body]
        if "id" in body and not isinstance(body["id"], str):
            missing.append("id (not a string)")
        output = body.get("output")
        if "output" in body and not isinstance(output, list):
            missing.append("output (not a list of items)")
        elif isinstance(output, list) and any(not isinstance(i, dict) or not isinstance(i.get("type"), str) for i in output):
            missing.append("output items without a type")
        usage = body.get("usage")
        if not isinstance(usage, dict) or not all(is_int(usage.get(k)) for k in ("input_tokens", "output_tokens")):
            missing.append("usage.input_tokens/output_tokens")
        deviations = []
        if isinstance(body.get("id"), str) and not body["id"].startswith("resp_"):
            deviations.append(f"id {body['id'][:40]!r} is not resp_…")
        if "object" in body and body.get("object") != "response":
            deviations.append(f"object is {excerpt(str(body.get('object')), 40)!r}")
        return missing, deviations


RESPONSES = Responses()
