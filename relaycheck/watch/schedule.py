"""When each target's cycles are due: an interval, a jitter that spreads targets apart, nothing else."""

from __future__ import annotations

import random
import re

from relaycheck.core.exits import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
MIN_INTERVAL_S = 1.0  # tests watch every second or two; a real watch every few minutes


def parse_interval(text: str, what: str = "--every") -> float:
    """'90s', '15m', '1h', '1d' (a bare number is seconds) into seconds; a one-line UsageError otherwise."""
    match = _DURATION.match(text or "")
    if not match:
        raise UsageError(f"{what} must be a duration such as 30s, 15m, 1h or 1d, not {text!r}")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < MIN_INTERVAL_S:
        raise UsageError(f"{what} must be at least {MIN_INTERVAL_S:g} s")
    return seconds


class Schedule:
    """A target's due times: cycle k is due at start + k * interval + a jitter drawn afresh for each cycle.

    The jitter (a share of the interval, at most half) keeps hundreds of targets on one relay from all starting in
    the same second; the draw is seeded by the target's name, so a restart spreads them the same way.
    """

    def __init__(self, start: float, interval_s: float, jitter: float, name: str) -> None:
        if not 0.0 <= jitter <= 0.5:
            raise UsageError("--jitter must be between 0 and 0.5 (a share of the interval)")
        self.start, self.interval_s, self.jitter = start, interval_s, jitter
        self._random = random.Random(f"relaycheck-watch:{name}")

    def due(self, cycle: int) -> float:
        """When cycle `cycle` (0, 1, …) may start (monotonic seconds)."""
        return self.start + cycle * self.interval_s + self._random.uniform(0.0, self.jitter * self.interval_s)

    def next_cycle(self, cycle: int, now: float) -> int:
        """The cycle to run next after `cycle`: a run that overran skips the cycles it missed, never runs them late
        back to back (that would burst requests at a relay that is already slow)."""
        following = cycle + 1
        while self.start + (following + 1) * self.interval_s <= now:
            following += 1
        return following
