"""Deep check: hidden reasoning billed as output (a one-word answer billed as many tokens, none said to be reasoning)."""

from __future__ import annotations

from relaycheck.text import tokens
from relaycheck.checks import INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.wire.exchange import Exchange

RATIO = 5.0  # billed completion tokens per visible token above which an unexplained surplus is reported
SLACK = 8  # small absolute surplus (framing, a refusal field) never counts


def _reasoning_reported(x: Exchange) -> bool:
    return x.reply.reasoning_tokens > 0 or x.reply.reasoning_shown


@check("usage.reasoning", probes=("reliability",))
def reasoning(inp: CheckInput) -> Verdict:
    """A one-word reply billed with far more completion tokens than it shows, with no reasoning reported: warn."""
    replies = [x for x in inp.of("reliability") if x.ok and isinstance(x.json, dict) and x.reply.text is not None]
    model = replies[0].model if replies else None  # the samples go to the target's first model
    encoding = tokens.encoding_for(model or "")
    if replies and encoding == tokens.UNKNOWN:
        return Verdict(INCONCLUSIVE, f"{model}'s tokenizer is not available offline: visible tokens cannot be counted")
    billed = [(x, x.reply.completion_tokens) for x in replies if x.reply.completion_tokens is not None]
    if not billed:
        return Verdict(INCONCLUSIVE, "no one-word reply with reported usage to compare", tuple(x.id for x in replies[:3]))
    explained = [x for x, _ in billed if _reasoning_reported(x)]
    if explained:
        return Verdict(PASS, f"{len(explained)} of {len(billed)} replies report their reasoning tokens or content", tuple(x.id for x in explained[:3]))
    surplus = []
    for x, completion in billed:
        visible = tokens.count_text(x.reply.text or "", encoding)
        if completion > max(visible + SLACK, RATIO * max(visible, 1)):
            surplus.append((x, completion, visible))
    metrics = {"replies": len(billed), "unexplained": len(surplus)}
    if len(surplus) * 2 > len(billed):
        worst = max(surplus, key=lambda t: t[1] / max(t[2], 1))
        metrics["ratio"] = round(worst[1] / max(worst[2], 1), 1)
        return Verdict(WARN, f"a {worst[2]}-token visible reply was billed {worst[1]} completion tokens ({metrics['ratio']}x) with no "
                       "reasoning_tokens or reasoning content reported: hidden reasoning billed as output", tuple(x.id for x, _, _ in surplus[:3]), metrics)
    return Verdict(PASS, f"completion tokens match the visible replies ({len(billed)} one-word replies, no unexplained surplus)",
                   tuple(x.id for x, _ in billed[:3]), metrics)
