"""The figures that compare several targets side by side: verdict counts, speed and the implied price multiplier."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from relaycheck.report.model import Report, TargetReport


@dataclass(frozen=True)
class Row:
    """One target's line in the comparison table (None where the run did not measure it)."""

    name: str
    passed: int
    judged: int
    failures: int
    ttft_ms: float | None
    tokens_per_s: float | None
    price_multiplier: float | None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _metric(target: TargetReport, check_id: str, name: str) -> list[float]:
    """A numeric metric of one check across the target's models."""
    found = []
    for finding in target.checks:
        value = finding.metrics.get(name) if finding.id == check_id else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(float(value))
    return found


def _multiplier(target: TargetReport) -> float | None:
    """Observed over expected spend from billing.delta, only where that check measured both."""
    for finding in target.checks:
        if finding.id != "billing.delta" or finding.status not in ("pass", "fail"):
            continue
        expected, observed = finding.metrics.get("expected"), finding.metrics.get("observed")
        if isinstance(expected, (int, float)) and isinstance(observed, (int, float)) and expected > 0:
            return round(observed / expected, 2)
    return None


def row(target: TargetReport) -> Row:
    """The comparison figures of one target; TTFT and tokens/s are medians over its models' stream checks."""
    counts = target.counts()
    return Row(
        name=target.name,
        passed=counts["pass"],
        judged=len(target.checks) - counts["skip"],
        failures=counts["fail"],
        ttft_ms=_median(_metric(target, "stream.incremental", "ttft_ms")),
        tokens_per_s=_median(_metric(target, "stream.incremental", "tokens_per_s")),
        price_multiplier=_multiplier(target),
    )


def rows(report: Report) -> list[Row]:
    """One row per target, or none when the run had a single target (nothing to compare)."""
    return [row(t) for t in report.targets] if len(report.targets) > 1 else []


def cell(value: float | None, unit: str = "", fmt: str = "{:g}") -> str:
    """A figure for a table cell, or an em dash when it was not measured."""
    return "—" if value is None else fmt.format(value) + unit
