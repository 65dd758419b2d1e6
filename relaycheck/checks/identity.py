"""Check models.limits: the output ceiling a refusal names is the claimed model's, not a cheaper sibling's."""

from __future__ import annotations

import re

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import describe, error_text, excerpt
from relaycheck.core.models import ceilings, lookup, siblings_with_ceiling
from relaycheck.wire.exchange import is_int

# The ceiling a refusal names: OpenAI ("supports at most 16384 completion tokens"), Anthropic ("max_tokens: 70001 >
# 64000, which is the maximum allowed"), vLLM and others ("must be less than or equal to 4096", "at most 4096").
_NAMED_CEILING = (
    re.compile(r"supports at most (\d[\d,]*) (?:completion|output) tokens", re.I),
    re.compile(r"max_(?:completion_)?tokens\W+\d[\d,]*\s*>\s*(\d[\d,]*)", re.I),
    re.compile(r"(?:less than or equal to|at most|maximum(?: value)? (?:is|of)|<=)\s*(\d[\d,]*)(?! in the messages)", re.I),
)
# A context-length refusal names the context window, not the output ceiling: nothing to compare.
_CONTEXT = re.compile(r"context (?:length|window)", re.I)


def named_ceiling(text: str) -> int | None:
    """The output ceiling a refusal's text names, or None when it names none (or only a context length)."""
    if not text or _CONTEXT.search(text):
        return None
    for pattern in _NAMED_CEILING:
        match = pattern.search(text)
        if match:
            value = int(match.group(1).replace(",", ""))
            return value if is_int(value) and value > 0 else None
    return None


@check("models.limits", probes=("limits",))
def limits(inp: CheckInput) -> Verdict:
    """A limit one over the claimed ceiling is refused naming that ceiling; another model's ceiling fails."""
    assert inp.model is not None
    facts = lookup(inp.model)
    if facts is None or not facts.max_output_tokens:
        return Verdict(INCONCLUSIVE, f"{inp.model} is not in the model catalogue (relaycheck models): no published ceiling to ask past")
    found = inp.of("limits")
    if not found:
        return Verdict(INCONCLUSIVE, "the over-the-ceiling request was not sent")
    x = found[-1]
    asked = facts.max_output_tokens + 1
    if x.status is None:
        return Verdict(INCONCLUSIVE, f"the request for {asked} completion tokens got no answer: {describe(x)}", (x.id,))
    if 200 <= x.status < 300:
        return Verdict(INCONCLUSIVE, f"a limit of {asked}, one above {inp.model}'s published {facts.max_output_tokens}, was accepted "
                       "(the relay clamps it, or the model allows more): the ceiling cannot be read", (x.id,), {"asked": asked})
    text = error_text(x) or ""
    named = named_ceiling(text)
    metrics = {"asked": asked, "named_ceiling": named, "claimed_ceiling": facts.max_output_tokens}
    if x.status not in (400, 422) or named is None:
        return Verdict(INCONCLUSIVE, f"the limit of {asked} was refused without naming a ceiling ({describe(x)})", (x.id,), metrics)
    allowed = ceilings(inp.model)
    if named in allowed:
        return Verdict(PASS, f"a limit of {asked} was refused naming {named}, {inp.model}'s published ceiling", (x.id,), metrics)
    others = [m for m in siblings_with_ceiling(named, facts.vendor) if m not in (facts.name,)]
    quoted = f"“{excerpt(text, 160)}”"
    if others:
        return Verdict(FAIL, f"asked {inp.model} for {asked} tokens; the refusal names a ceiling of {named} ({quoted}), which is "
                       f"{', '.join(others[:4])}'s, not {inp.model}'s {facts.max_output_tokens}: another model serves this name",
                       (x.id,), {**metrics, "implied_models": others})
    return Verdict(INCONCLUSIVE, f"the refusal names a ceiling of {named} ({quoted}), which is neither {inp.model}'s "
                   f"{facts.max_output_tokens} nor any catalogued model's: a relay's own cap, or a model the catalogue lacks",
                   (x.id,), metrics)
