"""Checks on the usage object of non-stream replies."""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import usage_problem


@check("usage.present", probes=("chat",))
def present(inp: CheckInput) -> Verdict:
    """usage has the three integers and total = prompt + completion."""
    ex = next((x for x in inp.of("chat") if x.ok and isinstance(x.json, dict)), None)
    if ex is None:
        return Verdict(INCONCLUSIVE, "no successful completion to read usage from")
    usage = ex.json.get("usage")
    problem = usage_problem(usage)
    if problem:
        return Verdict(FAIL, problem, (ex.id,))
    metrics = {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    return Verdict(
        PASS,
        f"prompt {usage['prompt_tokens']} + completion {usage['completion_tokens']} = total {usage['total_tokens']}",
        (ex.id,),
        metrics,
    )
