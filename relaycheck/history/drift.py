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


def _fingerprints(value: str) -> set[str]:
    return set() if value == "none" else set(value.split(","))


def signal_drift(target: str, history: dict[tuple[str, str], list[str]], now: list[Signal], rules: Rules) -> list[Event]:
    """Identity signals that changed, latency and success regressions that held for two runs, a billing multiplier
    that moved. `history` holds each (model, signal)'s earlier values in comparable runs, oldest first."""
    events: list[Event] = []
    for s in now:
        before = history.get((s.model, s.name), [])
        last = before[-1] if before else None
        if last is None:
            continue
        if s.name in IDENTITY:
            if s.name == "system_fingerprint":
                # An upstream serves several fingerprints and rotates them: only a set that shares none with the
                # recent runs' is another backend.
                seen = set().union(*(_fingerprints(v) for v in before[-BASELINE_RUNS:]))
                changed = bool(seen and _fingerprints(s.value)) and not seen & _fingerprints(s.value)
            else:
                changed = s.value != last
            if changed:
                events.append(Event(target, s.model, "identity_changed", s.name, last, s.value, f"{s.name} changed from {last} to {s.value}"))
            continue
        value = _number(s.value)
        if value is None:
            continue
        if s.name == BILLING:
            prior = _number(last) or 0.0
            if abs(value - prior) > rules.billing_change * prior:
                events.append(Event(target, s.model, "billing_moved", s.name, last, s.value,
                                    f"billed {value:.2f}x the listed price, {prior:.2f}x the run before"))
            continue
        event = _regression(target, s, before, value, rules)
        if event is not None:
            events.append(event)
    return events


def _regression(target: str, s: Signal, before: list[str], value: float, rules: Rules) -> Event | None:
    """A latency or success figure beyond its rule in this run and the one before, against the median of the runs
    before those; reported once, when the second such run comes (a single slow or failed request is not drift)."""
    numbers = [v for v in map(_number, before) if v is not None]
    if len(numbers) < 2:
        return None
    previous, earlier = numbers[-1], numbers[:-1]
    baseline = statistics.median(earlier[-BASELINE_RUNS:])

    def beyond(x: float) -> bool:
        if s.name in LATENCY:
            return x > baseline * (1 + rules.latency_ratio) and x - baseline > rules.latency_min_ms
        return s.name == SUCCESS and baseline - x > rules.success_drop

    # The run before the previous one beyond the rule too: the slowdown was reported when it had held for two runs.
    if not (beyond(value) and beyond(previous)) or beyond(earlier[-1]):
        return None
    runs = len(earlier[-BASELINE_RUNS:])
    if s.name in LATENCY:
        return Event(target, s.model, "latency_regressed", s.name, f"{baseline:.1f}", s.value,
                     f"{s.name} {value:.0f} ms (and {previous:.0f} ms the run before) against a baseline of {baseline:.0f} ms (median of {runs} runs)")
    return Event(target, s.model, "success_dropped", s.name, f"{baseline:.3f}", s.value,
                 f"success ratio {value:.0%} (and {previous:.0%} the run before) against a baseline of {baseline:.0%}")
