"""The daily spend cap: per target and in total, charged with each cycle's planned maximum (or more, if reported)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone


def utc_day(now: datetime | None = None) -> str:
    """The UTC calendar day a charge belongs to (caps reset at midnight UTC)."""
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d")


@dataclass
class DailySpend:
    """What each target has been charged today. A cycle is charged the larger of its planned maximum and what the
    relay's reported usage priced it at: an inflated usage report costs the cap, a deflated one cannot hide spend
    below the plan."""

    per_target: dict[str, float]  # each target's max_cost_per_day (targets without one are capped only in total)
    total: float | None  # --max-cost-per-day
    day: str = field(default_factory=utc_day)
    charged: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _roll(self, today: str) -> None:
        if today != self.day:
            self.day, self.charged = today, {}

    def refusal(self, target: str, ceiling: float | None, today: str | None = None) -> str | None:
        """Why a cycle of `target` planned to cost at most `ceiling` must not start today (None: it may)."""
        with self._lock:
            self._roll(today or utc_day())
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

    def charge(self, target: str, ceiling: float | None, reported: float | None, today: str | None = None) -> float:
        """Charge one finished cycle; return the amount charged."""
        amount = max(ceiling or 0.0, reported or 0.0)
        with self._lock:
            self._roll(today or utc_day())
            self.charged[target] = self.charged.get(target, 0.0) + amount
        return amount

    def spent(self, target: str | None = None) -> float:
        """Today's charges of one target, or of all."""
        with self._lock:
            return self.charged.get(target, 0.0) if target else sum(self.charged.values())
