"""The cost guard: refuse plans above a cap (naming what to drop); relaycheck.render.plan prints a plan."""

from __future__ import annotations

from relaycheck.checks import registry
from relaycheck.core.exits import UsageError
from relaycheck.run.plan import TargetPlan


def fmt_amount(amount: float | None, currency: str | None) -> str:
    """An amount in its currency, or 'unknown (no price)'."""
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
            raise UsageError(f"target {name!r}: the plan may cost up to {fmt_amount(plan.max_cost, plan.currency)}, above the cap of {fmt_amount(cap, plan.currency)}; {_advice(plan)}")


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
        parts.append(f"{probe} costs up to {fmt_amount(cost, plan.currency)} ({' '.join('--skip-check ' + c for c in checks)})")
        if len(parts) == 3:
            break
    return "drop the most expensive probes: " + "; ".join(parts) + ", or use --profile quick"
