"""The dry-run plan as text or JSON: requests, tokens and cost per probe and in total (nothing is sent)."""

from __future__ import annotations

import json

from relaycheck.run.costcap import cap_for, fmt_amount
from relaycheck.run.plan import TargetPlan


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
                     f"{p.max_tokens} tokens, " + (f"cost at most {fmt_amount(p.max_cost, p.currency)}" if p.max_cost is not None else "cost unknown (no price)") + (f" (cap {fmt_amount(cap, p.currency)})" if cap is not None else ""))
        lines.append(f"  {'probe':<11} {'model':<22} {'requests':>8} {'prompt':>8} {'completion':>10} {'max cost':>14}")
        for s in p.steps:
            lines.append(f"  {s.probe:<11} {s.model or '—':<22} {s.requests:>8} {s.prompt_tokens:>8} {s.completion_tokens:>10} {fmt_amount(s.max_cost, p.currency):>14}")
    lines.append("dry run: nothing was sent")
    return "\n".join(lines) + "\n"
