"""The dry-run plan as text or JSON: requests, tokens and cost per probe and in total (nothing is sent)."""

from __future__ import annotations

import json

from rich.cells import cell_len

from relaycheck.core.i18n import label
from relaycheck.run.costcap import cap_for, fmt_amount
from relaycheck.run.plan import TargetPlan


def _pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal cells (a CJK character takes two)."""
    space = " " * max(0, width - cell_len(text))
    return space + text if right else text + space


def render_plan(plans: tuple[TargetPlan, ...], flag: float | None, fmt: str, lang: str = "en") -> str:
    """The plan as text in `lang` (or JSON with --format json): requests, tokens and cost per probe and in total."""
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
    heads = label("dry_columns", lang).split("|")
    widths = (11, 22, 8, 12, 12, 14)
    for p in plans:
        cap = cap_for(p, flag)
        cost = label("dry_cost", lang, cost=fmt_amount(p.max_cost, p.currency)) if p.max_cost is not None else label("dry_no_cost", lang)
        if cap is not None:
            cost += label("dry_cap", lang, cap=fmt_amount(cap, p.currency))
        lines.append(label("dry_plan", lang, name=p.target.name, url=p.target.base_url, checks=len(p.check_ids), requests=p.max_requests,
                           tokens=p.max_tokens, cost=cost))
        lines.append("  " + " ".join(_pad(h, w, right=i > 1) for i, (h, w) in enumerate(zip(heads, widths))))
        for s_ in p.steps:
            amount = fmt_amount(s_.max_cost, p.currency) if s_.max_cost is not None else label("no_price", lang)
            cells = (s_.probe, s_.model or "—", s_.requests, s_.prompt_tokens, s_.completion_tokens, amount)
            lines.append("  " + " ".join(_pad(str(c), w, right=i > 1) for i, (c, w) in enumerate(zip(cells, widths))))
    lines.append(label("dry_done", lang))
    return "\n".join(lines) + "\n"
