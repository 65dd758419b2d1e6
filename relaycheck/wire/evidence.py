"""How much relay text is kept as evidence: the binary cut, what keeping text costs, the per-client budget."""

from __future__ import annotations

import re
from dataclasses import dataclass

BINARY_KEPT = 4096  # characters of a binary body or event kept as evidence
BINARY_SCAN = 65536  # how far into a body or event control characters are counted
BINARY_CONTROLS = 1024  # more control characters than this in the scanned part: the text is binary
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])

EVIDENCE_CAP = 32 * 1024 * 1024  # bytes of bodies and events one client (one target) keeps in all
EXCHANGE_FLOOR = 64 * 1024  # what every exchange may keep even once the budget is spent: a reply stays judgeable
EVENT_OVERHEAD = 96  # the JSON around one event's fields ({"i": …, "t_ms": …, …})
# What one control character costs the budget. It takes six bytes in JSON, and every renderer escapes it on its own
# (the bundle's escaping once took 34 s and 346 MB for 5.6 million of them): at 128, a target keeps at most about
# 260,000 control characters, whatever their share of the text.
CONTROL_COST = 128


def controls(data: bytes | bytearray) -> int:
    """How many control characters (those JSON writes as six-character escapes) `data` holds."""
    return len(data) - len(data.translate(None, _CONTROL_BYTES))


def text_controls(text: str, end: int = BINARY_SCAN) -> int:
    """Control characters in the first `end` characters of `text`."""
    return len(_CONTROL.findall(text, 0, end))


def byte_cost(data: bytes | bytearray) -> int:
    """What keeping `data` (UTF-8) costs the budget: its bytes, each control character counted CONTROL_COST."""
    return len(data) + (CONTROL_COST - 1) * controls(data)


def text_cost(text: str) -> int:
    """byte_cost of a str (an event already cut to BINARY_KEPT characters), counting characters."""
    return len(text) + (CONTROL_COST - 1) * text_controls(text, len(text))


def is_binary(data: bytes | bytearray) -> bool:
    """True when the start of `data` is control characters rather than text (a bomb, not an API answer)."""
    return controls(data[:BINARY_SCAN]) > BINARY_CONTROLS


class EvidenceBudget:
    """The evidence one recording client keeps across all its exchanges, in bytes (control characters weigh more)."""

    def __init__(self, cap: int = EVIDENCE_CAP) -> None:
        self.cap = cap
        self.spent = 0

    def allowance(self) -> "Allowance":
        """A new exchange's share: the floor of its own, then whatever the budget has left."""
        return Allowance(self)


@dataclass
class Allowance:
    """One exchange's draw on an EvidenceBudget (no budget: unlimited, as in unit tests)."""

    budget: EvidenceBudget | None = None
    spent: int = 0
    refused: bool = False  # set at the first refusal: the notes say the budget cut this exchange's evidence

    def room(self) -> int:
        """The most this exchange may still keep (in byte_cost units)."""
        if self.budget is None:
            return 1 << 62
        return max(EXCHANGE_FLOOR - self.spent, self.budget.cap - self.budget.spent, 0)

    def take(self, cost: int) -> bool:
        """Charge `cost` and return True, or return False (nothing charged) when it does not fit."""
        if cost > self.room():
            self.refused = True
            return False
        self.charge(cost)
        return True

    def charge(self, cost: int) -> None:
        """Charge `cost` whether or not it fits (for what was already cut to fit)."""
        self.spent += cost
        if self.budget is not None:
            self.budget.spent += cost

    def note(self) -> str:
        """The sentence a report carries once this exchange's evidence was cut by the budget."""
        cap = self.budget.cap if self.budget is not None else 0
        size = f"{cap / (1024 * 1024):g} MiB" if cap >= 1024 * 1024 else f"{cap} bytes"
        return (f"the target's evidence budget ({size} of kept text, each control character counting {CONTROL_COST}) is spent: "
                "what did not fit was counted, not kept")
