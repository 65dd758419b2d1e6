"""What a run is remembered by: each target's findings, and the signals drift is judged on, read off the Report."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from relaycheck.report.model import Finding, TargetReport

# Requests every honest relay answers with a 2xx: the success ratio is judged on these alone (the errors, limits and
# burst probes ask for refusals and 429s on purpose; a balance endpoint is the relay's own extra).
ORDINARY_PROBES = frozenset({"chat", "stream", "long", "tokenizer", "slope", "integrity", "reliability", "context"})
# Identity signals: a change in any of them is drift, whatever its direction.
IDENTITY = ("served_model", "system_fingerprint", "tokenizer")
LATENCY = ("ttft_p95_ms", "latency_p95_ms")
SUCCESS = "success_ratio"
BILLING = "billing_multiplier"
NO_MODEL = ""  # the key of a target-wide signal or finding (SQLite keys cannot be NULL)


@dataclass(frozen=True)
class Signal:
    """One named figure or identity value of a target (and model), as text."""

    model: str
    name: str
    value: str


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank: a value that was really observed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _joined(values: Any) -> str | None:
    if isinstance(values, list) and values:
        return ",".join(sorted({str(v) for v in values}))
    if isinstance(values, dict):
        return ",".join(sorted(str(k) for k in values)) or "none"
    return None


def _from_finding(c: Finding) -> list[Signal]:
    model, m = c.model or NO_MODEL, c.metrics or {}
    found: list[Signal] = []
    if c.id == "models.echo" and (served := _joined(m.get("reply_models"))):
        found.append(Signal(model, "served_model", served))
    elif c.id == "models.residue" and (prints := _joined(m.get("fingerprints"))):
        found.append(Signal(model, "system_fingerprint", prints))
    elif c.id == "models.tokenizer" and c.status in ("pass", "fail"):  # a decisive verdict; inconclusive says nothing
        found.append(Signal(model, "tokenizer", c.status))
    elif c.id == "billing.delta":
        expected, observed = m.get("expected"), m.get("observed")
        if isinstance(expected, (int, float)) and isinstance(observed, (int, float)) and expected > 0 and observed >= 0:
            found.append(Signal(model, BILLING, f"{observed / expected:.3f}"))
    return found


def signals(target: TargetReport) -> list[Signal]:
    """The target's identity signals (per model), latency p95s and success ratio (target-wide), billing multiplier."""
    found = [s for c in target.checks for s in _from_finding(c)]
    ordinary = [x for x in target.exchanges if x.probe in ORDINARY_PROBES and x.method == "POST"]
    firsts = [x.timings.first_event_ms for x in ordinary if x.ok and x.timings.first_event_ms is not None]
    totals = [x.timings.end_ms for x in ordinary if x.ok and x.timings.end_ms is not None]
    if firsts:
        found.append(Signal(NO_MODEL, "ttft_p95_ms", f"{p95(firsts):.1f}"))
    if totals:
        found.append(Signal(NO_MODEL, "latency_p95_ms", f"{p95(totals):.1f}"))
    if ordinary:
        found.append(Signal(NO_MODEL, SUCCESS, f"{sum(1 for x in ordinary if x.ok) / len(ordinary):.3f}"))
    return found


def selection(profile: str, target: TargetReport) -> str:
    """Which runs are comparable: the same profile and the same checks (a full probe's latencies are not a quick
    watch cycle's baseline)."""
    import hashlib

    ids = ",".join(sorted({c.id for c in target.checks}))
    return f"{profile}:{hashlib.sha256(ids.encode()).hexdigest()[:12]}"


def tokens_reported(target: TargetReport) -> int:
    """Tokens the relay says it billed over the run (prompt + completion of every reply that states them)."""
    total = 0
    for x in target.exchanges:
        if x.ok and x.method == "POST":
            reply = x.reply
            total += (reply.prompt_tokens or 0) + (reply.completion_tokens or 0)
    return total
