"""What every protocol adapter shares: its stream read event by event with its own `read_event`, and (for the
protocols that name the model in the body) the request sent where the probe built it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterator

from relaycheck.protocol.reply import Chunk

if TYPE_CHECKING:
    from relaycheck.wire.exchange import Exchange


def named_tools(request: Any) -> tuple[tuple[str, str], ...]:
    """(name, description) of every tool a request offered as a flat {name, description, ...} list (Messages' tools,
    Responses' functions)."""
    tools = request.get("tools") if isinstance(request, dict) else None
    return tuple((t["name"], str(t.get("description") or "")) for t in tools if isinstance(t, dict) and isinstance(t.get("name"), str)) \
        if isinstance(tools, list) else ()


def _text(item: Any) -> str:
    """A turn's text when it is plain text, else all of its JSON."""
    if isinstance(item, str):
        return item
    content = item.get("content") if isinstance(item, dict) else None
    return content if isinstance(content, str) else json.dumps(item, ensure_ascii=False)


class EventReader:
    """A protocol's `chunk` and `chunks`, from its `read_event` (index, arrival ms, payload) -> Chunk; `route` and
    `asked_model` for protocols whose requests name their model in the body (Gemini's name it in the URL)."""

    read_event: Callable[[int, float, Any], Chunk]
    turns_field: str = "messages"  # where a request's conversation is (a list, or Responses' input string)
    system_field: str = ""  # where a top-level system prompt is, for protocols that have one

    def prompt_parts(self, request: Any) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        """What a completion request is billed for as prompt, for the cost guard: each turn's text (the system
        prompt one more), and the tools it offers. A turn that is not plain text counts as its whole JSON, so the
        ceiling is never below what is sent."""
        if not isinstance(request, dict):
            return (), ()
        turns = request.get(self.turns_field)
        items = [turns] if isinstance(turns, str) else turns if isinstance(turns, list) else []
        system = request.get(self.system_field) if self.system_field else None
        texts = [_text(m) for m in items] + ([_text(system)] if system else [])
        return tuple(texts), self.tools_offered(request)

    def tools_offered(self, request: Any) -> tuple[Any, ...]:
        """The tool definitions a request carries, one per tool."""
        tools = request.get("tools") if isinstance(request, dict) else None
        return tuple(tools) if isinstance(tools, list) else ()

    # Where each sampling parameter goes in a body (a path of keys); a protocol without one names None.
    param_paths: tuple[tuple[str, tuple[str, ...] | None], ...] = (("stop", ("stop",)), ("temperature", ("temperature",)))
    max_temperature: float = 2.0  # the highest temperature the protocol accepts

    def with_param(self, body: dict, name: str, value: Any) -> dict | None:
        """The body with a sampling parameter ("stop", "temperature") set where the protocol takes it, or None when
        the protocol has no such parameter."""
        path = dict(self.param_paths).get(name)
        if path is None:
            return None
        out = dict(body)
        node = out
        for key in path[:-1]:  # nested (Gemini's generationConfig): copied, never the caller's dict
            node[key] = dict(node.get(key) or {})
            node = node[key]
        node[path[-1]] = value
        return out

    def model_asked(self, url: str, request: Any) -> Any:
        """The model a request names before it is sent: in its body."""
        return request.get("model") if isinstance(request, dict) else None

    def chunk(self, index: int, t_ms: float, payload: Any) -> Chunk:
        """One event's payload read (also for events a reader never sees, after [DONE])."""
        return self.read_event(index, t_ms, payload)

    def chunks(self, exchange: "Exchange") -> Iterator[Chunk]:
        """A stream's data events (before [DONE]), read one at a time: nothing is held parsed."""
        read = self.read_event
        for event, payload in exchange.event_payloads():
            yield read(event.index, event.t_ms, payload)

    def gather(self, exchange: "Exchange", shaped_by: Callable[[dict], bool],
               each: Callable[[dict], None] | None = None) -> tuple[list[str], list, Any, Any, bool]:
        """A stream's (text pieces, stated models, last finish reason, last usage, whether any event had the
        protocol's shape by `shaped_by`), in one pass over its events; `each` sees every event's payload on the way."""
        pieces, models, finish, usage, shaped = [], [], None, None, False
        for chunk in self.chunks(exchange):
            payload = chunk.payload if isinstance(chunk.payload, dict) else {}
            shaped = shaped or shaped_by(payload)
            if each is not None:
                each(payload)
            if chunk.piece:
                pieces.append(chunk.piece)
            if chunk.model is not None:
                models.append(chunk.model)
            finish = chunk.finish_reason or finish
            usage = chunk.usage if chunk.usage is not None else usage
        return pieces, models, finish, usage, shaped

    def speaks(self, path: str) -> bool:
        """A request path (no query) of this protocol's completions: {base}/{path}."""
        return path.endswith("/" + self.path)  # type: ignore[attr-defined]  # each protocol names its path

    def route(self, url: str, body: Any, model: str | None) -> tuple[str, Any]:
        """Where a request goes and the body it carries: as the probe built them."""
        return url, body

    def asked_model(self, exchange: "Exchange") -> Any:
        """The model the request named (its body's `model`)."""
        body = exchange.request_json
        return body.get("model") if isinstance(body, dict) else None
