"""Hostile relay modes about money: a relay that bills absurd usage (the cost cap must not hide it)."""

from __future__ import annotations

import json
import socket

from hostile_server import REPLY, HostileRelay, _json

HUGE = 900_000_000


class CostCapRelay(HostileRelay):
    """Every completion reports 900M prompt and completion tokens for a one-word reply."""

    def _huge_usage(self, conn: socket.socket) -> None:
        reply = {**REPLY, "usage": {"prompt_tokens": HUGE, "completion_tokens": HUGE, "total_tokens": 2 * HUGE}}
        conn.sendall(_json(json.dumps(reply).encode()))


MODES = ("huge_usage",)
