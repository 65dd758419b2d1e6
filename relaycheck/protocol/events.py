"""What every protocol adapter shares: its stream read event by event with its own `read_event`, and (for the
protocols that name the model in the body) the request sent where the probe built it."""

from __future__ import annotations

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


class EventReader:
    """A protocol's `chunk` and `chunks`, from its `read_event` (index, arrival ms, payload) -> Chunk; `route` and
    `asked_model` for protocols whose requests name their model in the body (Gemini's name it in the URL)."""

    read_event: Callable[[int, float, Any], Chunk]

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
