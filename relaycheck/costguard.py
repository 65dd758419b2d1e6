"""The cost guard: refuse plans above a cap (naming what to drop) and print a plan without sending anything."""

from __future__ import annotations

import json

from relaycheck.checks import registry
from relaycheck.errors import UsageError
from relaycheck.plan import TargetPlan


def _fmt(amount: float | None, currency: str | None) -> str:
    return "unknown (no price)" if amount is None else f"{amount:.6f}".rstrip("0").rstrip(".") + f" {currency or ''}".rstrip()


def cap_for(plan: TargetPlan, flag: float | None) -> float | None:
    """The tighter of --max-cost and the target's max_cost."""
    caps = [c for c in (flag, plan.target.max_cost) if c is not None]
    return min(caps) if caps else None


def enforce(plans: tuple[TargetPlan, ...], flag: float | None) -> None:
    """Raise a one-line UsageError when a plan may cost more than its cap, or its cost is unknown."""
    for plan in plans:
        cap = cap_for(plan, flag)
        if cap is None:
            continue
        name = plan.target.name
        if plan.max_cost is None:
            missing = ", ".join(plan.unpriced_models())
            raise UsageError(f"target {name!r}: a cost cap needs prices, and {missing} has none (add pricing: to the target, or --price MODEL=IN/OUT)")
        if plan.max_cost > cap:
            raise UsageError(f"target {name!r}: the plan may cost up to {_fmt(plan.max_cost, plan.currency)}, above the cap of {_fmt(cap, plan.currency)}; {_advice(plan)}")


def _advice(plan: TargetPlan) -> str:
    """Which checks to skip to save the most, most expensive probe first."""
    by_probe: dict[str, float] = {}
    for step in plan.steps:
        by_probe[step.probe] = by_probe.get(step.probe, 0.0) + (step.max_cost or 0.0)
    impls = registry()
    parts = []
    for probe, cost in sorted(by_probe.items(), key=lambda item: -item[1]):
        if cost <= 0:
            continue
        checks = [cid for cid in plan.check_ids if probe in impls[cid].probes]
        parts.append(f"{probe} costs up to {_fmt(cost, plan.currency)} ({' '.join('--skip-check ' + c for c in checks)})")
        if len(parts) == 3:
            break
    return "drop the most expensive probes: " + "; ".join(parts) + ", or use --profile quick"


def render_plan(plans: tuple[TargetPlan, ...], flag: float | None, fmt: str) -> str:
    """The plan as text (or JSON with --format json): requests, tokens and cost per probe and in total."""
    if fmt == "json":
        doc = {"dry_run": True, "targets": [{
            "name": p.target.name, "base_url": p.target.base_url, "checks": list(p.check_ids),
            "plan": {"max_requests": p.max_requests, "max_tokens": p.max_tokens, "max_cost": p.max_cost, "currency": p.currency,
                     "cost_cap": cap_for(p, flag),
                     "steps": [{"probe": s.probe, "model": s.model, "requests": s.requests, "prompt_tokens": s.prompt_tokens,
                                "completion_tokens": s.completion_tokens, "max_cost": s.max_cost} for s in p.steps]},
        } for p in plans]}
        return json.dumps(doc, indent=2) + "\n"
    lines = []
    for p in plans:
        cap = cap_for(p, flag)
        lines.append(f"plan for {p.target.name} ({p.target.base_url}): {len(p.check_ids)} checks, at most {p.max_requests} requests, "
                     f"{p.max_tokens} tokens, cost at most {_fmt(p.max_cost, p.currency)}" + (f" (cap {_fmt(cap, p.currency)})" if cap is not None else ""))
        lines.append(f"  {'probe':<11} {'model':<22} {'requests':>8} {'prompt':>8} {'completion':>10} {'max cost':>14}")
        for s in p.steps:
            lines.append(f"  {s.probe:<11} {s.model or '—':<22} {s.requests:>8} {s.prompt_tokens:>8} {s.completion_tokens:>10} {_fmt(s.max_cost, p.currency):>14}")
    lines.append("dry run: nothing was sent")
    return "\n".join(lines) + "\n"
