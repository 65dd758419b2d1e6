"""The daily spend cap: per target and in total, each cycle reserved at its planned maximum before it starts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone


def utc_day(now: datetime | None = None) -> str:
    """The UTC calendar day a charge belongs to (caps reset at midnight UTC)."""
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d")


@dataclass
class DailySpend:
    """What each target has been charged today, reservations of cycles in flight included.

    A cycle reserves its planned maximum before it starts, in the same step that checks the caps (two targets
    starting together cannot both take what is left), and is settled afterwards at the larger of that maximum and
    what the relay's reported usage priced it at: an inflated report costs the cap, a deflated one cannot hide spend
    below the plan. A cycle stopped half-way keeps its reservation."""

    per_target: dict[str, float]  # each target's max_cost_per_day (targets without one are capped only in total)
    total: float | None  # --max-cost-per-day
    day: str = field(default_factory=utc_day)
    charged: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _roll(self, today: str) -> None:
        if today != self.day:
            self.day, self.charged = today, {}

    def _refusal(self, target: str, ceiling: float | None) -> str | None:
        cap = self.per_target.get(target)
        if (cap is not None or self.total is not None) and ceiling is None:
            return "a daily cap needs prices: the cycle's cost is unknown"
        spent = self.charged.get(target, 0.0)
        if cap is not None and ceiling is not None and spent + ceiling > cap:
            return f"today's spend {spent:.6g} + this cycle's planned maximum {ceiling:.6g} would pass the target's max_cost_per_day {cap:g}"
        everything = sum(self.charged.values())
        if self.total is not None and ceiling is not None and everything + ceiling > self.total:
            return f"today's total spend {everything:.6g} + {ceiling:.6g} would pass --max-cost-per-day {self.total:g}"
        return None

    def reserve(self, target: str, ceiling: float | None, today: str | None = None) -> tuple[str | None, float | None]:
        """Reserve a cycle planned to cost at most `ceiling`: (None, what it may spend at most) when it may start,
        (why not, None) when it must not. The amount it may spend is what is left of its tightest cap (None: no cap)."""
        with self._lock:
            self._roll(today or utc_day())
            refusal = self._refusal(target, ceiling)
            if refusal is not None:
                return refusal, None
            lefts = []
            if target in self.per_target:
                lefts.append(self.per_target[target] - self.charged.get(target, 0.0))
            if self.total is not None:
                lefts.append(self.total - sum(self.charged.values()))
            self.charged[target] = self.charged.get(target, 0.0) + (ceiling or 0.0)
            return None, (min(lefts) if lefts else None)

    def settle(self, target: str, ceiling: float | None, reported: float | None, today: str | None = None) -> float:
        """Replace a finished cycle's reservation by its charge (the larger of ceiling and reported); return it."""
        amount = max(ceiling or 0.0, reported or 0.0)
        with self._lock:
            if (today or utc_day()) == self.day:  # a reservation made before midnight belongs to yesterday's cap
                self.charged[target] = self.charged.get(target, 0.0) + amount - (ceiling or 0.0)
            else:
                self._roll(today or utc_day())
        return amount

    def spent(self, target: str | None = None) -> float:
        """Today's charges (reservations included) of one target, or of all."""
        with self._lock:
            return self.charged.get(target, 0.0) if target else sum(self.charged.values())
