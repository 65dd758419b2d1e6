"""The demo relay's control endpoint: switch its fault while it runs (a watch test turns one on between cycles)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from relaycheck.core.exits import UsageError
from relaycheck.demo import faults

if TYPE_CHECKING:
    from relaycheck.demo.handler import Handler

PATH = "/_demo/fault"  # outside /v1 and /v1beta: no probe ever sends a request here


def handle(handler: "Handler", method: str, path: str, raw: bytes) -> bool:
    """Answer a control request (True) or leave the request to the API routes (False).

    GET names the fault in force; POST {"fault": NAME or null} switches to it. Only with the relay's own key, as
    every API request: a control that anyone on the machine could flip would make a test's verdicts someone else's.
    """
    if path != PATH:
        return False
    if handler.relay.key is not None and handler.bearer() != handler.relay.key:
        handler.send_json(401, {"error": {"message": "the control endpoint takes the relay's key", "type": "invalid_request_error"}})
        return True
    if method == "POST":
        try:
            body: Any = json.loads(raw or b"{}")
            name = body.get("fault") if isinstance(body, dict) else ""
            fault = faults.get(name if isinstance(name, str) or name is None else str(name))
        except (ValueError, UsageError) as exc:  # not JSON, or no such fault (the error names the closest)
            handler.send_json(400, {"error": {"message": str(exc), "type": "invalid_request_error"}})
            return True
        handler.relay.set_fault(fault)
    current = handler.relay.fault
    handler.send_json(200, {"fault": current.name if current else None})
    return True
