"""What every protocol's stream reading shares: each SSE event's payload read by the protocol's own `read_event`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

from relaycheck.protocol.reply import Chunk

if TYPE_CHECKING:
    from relaycheck.wire.exchange import Exchange


class EventReader:
    """A protocol's `chunk` and `chunks`, from its `read_event` (index, arrival ms, payload) -> Chunk."""

    read_event: Callable[[int, float, Any], Chunk]

    def chunk(self, index: int, t_ms: float, payload: Any) -> Chunk:
        """One event's payload read (also for events a reader never sees, after [DONE])."""
        return self.read_event(index, t_ms, payload)

    def chunks(self, exchange: "Exchange") -> Iterator[Chunk]:
        """A stream's data events (before [DONE]), read one at a time: nothing is held parsed."""
        read = self.read_event
        for event, payload in exchange.event_payloads():
            yield read(event.index, event.t_ms, payload)
