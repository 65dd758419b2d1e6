"""Deep check: how often a minimal request succeeds, and how long it takes (every other verdict depends on it)."""

from __future__ import annotations

import statistics

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import describe


MAX_FAILURE_RATE = 0.20


@check("reliability.sampled", probes=("reliability",))
def sampled(inp: CheckInput) -> Verdict:
    """More than 20% failed samples is a fail; the success rate and latency p50/p95 are reported either way."""
    sent = [x for x in inp.of("reliability") if x.error_kind != "cost_cap"]
    if not sent:
        return Verdict(INCONCLUSIVE, "the reliability samples were not sent")
    # A 429 is the relay's rate limit (errors.rate_limit judges it), not a failure to serve: set those aside.
    limited = [x for x in sent if x.status == 429]
    samples = [x for x in sent if x.status != 429]
    if len(samples) < len(sent) / 2:
        return Verdict(INCONCLUSIVE, f"{len(limited)} of {len(sent)} samples were rate limited (429): too few left to measure reliability",
                       tuple(x.id for x in limited[:5]))
    ok = [x for x in samples if x.ok and isinstance(x.json, dict) and x.reply.text is not None]
    failed = [x for x in samples if x not in ok]
    latencies = sorted(x.timings.end_ms or 0.0 for x in ok)
    metrics = {
        "rate_limited": len(limited), "samples": len(samples), "succeeded": len(ok), "success_rate": round(len(ok) / len(samples), 3),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1) if latencies else None,
    }
    timing = f"; latency p50 {metrics['p50_ms']:.0f} ms, p95 {metrics['p95_ms']:.0f} ms" if latencies else ""
    evidence = tuple(x.id for x in failed) or tuple(x.id for x in samples[:1])
    aside = f" ({len(limited)} rate-limited samples set aside)" if limited else ""
    headline = f"{len(ok)} of {len(samples)} minimal requests succeeded{timing}{aside}"
    if len(failed) / len(samples) > MAX_FAILURE_RATE:
        reasons = "; ".join(sorted({describe(x) for x in failed})[:3])
        return Verdict(FAIL, f"{headline}: {len(failed)} failed ({reasons})", evidence, metrics)
    return Verdict(PASS, headline, evidence, metrics)
