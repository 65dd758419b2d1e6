"""Drift: a run compared with the target's history before it, by a few rules that say what changed and how much."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from relaycheck.history.signals import BILLING, IDENTITY, LATENCY, SUCCESS, Signal

BASELINE_RUNS = 5  # a latency or success figure is compared with the median of this many runs before it


@dataclass(frozen=True)
class Rules:
    """How far a figure may move before it is drift (identity signals and pass-to-fail are drift at any size)."""

    latency_ratio: float = 0.5  # p95 more than 50% above its baseline ...
    latency_min_ms: float = 200.0  # ... and more than this many ms above it (a 20 ms p95 doubling is noise)
    success_drop: float = 0.1  # the success ratio fell by more than 10 points
    billing_change: float = 0.1  # the billing multiplier moved by more than 10%


@dataclass(frozen=True)
class Event:
    """One drift: which rule, on what (a check id or a signal name), the value before and after, in words."""

    target: str
    model: str
    rule: str
    subject: str
    before: str | None
    after: str | None
    detail: str

    def as_dict(self) -> dict[str, str | None]:
        """The event in JSON (for --on-drift and history --format json)."""
        return {"target": self.target, "model": self.model or None, "rule": self.rule, "subject": self.subject,
                "before": self.before, "after": self.after, "detail": self.detail}


def status_drift(target: str, previous: dict[tuple[str, str], str], now: dict[tuple[str, str], str]) -> list[Event]:
    """A check whose last recorded verdict was pass and is now fail."""
    return [Event(target, model, "check_regressed", cid, "pass", "fail", f"{cid} turned from pass to fail")
            for (cid, model), status in sorted(now.items()) if status == "fail" and previous.get((cid, model)) == "pass"]


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def signal_drift(target: str, history: dict[tuple[str, str], list[str]], now: list[Signal], rules: Rules) -> list[Event]:
    """Identity signals that changed, latency and success regressions beyond the rules, a billing multiplier that moved.
    `history` holds each (model, signal)'s earlier values, oldest first."""
    events: list[Event] = []
    for s in now:
        before = history.get((s.model, s.name), [])
        last = before[-1] if before else None
        if last is None:
            continue
        if s.name in IDENTITY and s.value != last:
            events.append(Event(target, s.model, "identity_changed", s.name, last, s.value, f"{s.name} changed from {last} to {s.value}"))
            continue
        value, recent = _number(s.value), [v for v in map(_number, before[-BASELINE_RUNS:]) if v is not None]
        if value is None or not recent:
            continue
        baseline = statistics.median(recent)
        if s.name in LATENCY and value > baseline * (1 + rules.latency_ratio) and value - baseline > rules.latency_min_ms:
            events.append(Event(target, s.model, "latency_regressed", s.name, f"{baseline:.1f}", s.value,
                                f"{s.name} {value:.0f} ms against a baseline of {baseline:.0f} ms (median of the last {len(recent)} runs)"))
        elif s.name == SUCCESS and baseline - value > rules.success_drop:
            events.append(Event(target, s.model, "success_dropped", s.name, f"{baseline:.3f}", s.value,
                                f"success ratio {value:.0%} against a baseline of {baseline:.0%}"))
        elif s.name == BILLING and abs(value - (prior := _number(last) or 0.0)) > rules.billing_change * prior:
            events.append(Event(target, s.model, "billing_moved", s.name, last, s.value,
                                f"billed {value:.2f}x the listed price, {prior:.2f}x the run before"))
    return events
