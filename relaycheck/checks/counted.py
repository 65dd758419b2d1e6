"""Check usage.counted (Anthropic Messages, Gemini): the prompt tokens billed for a request agree with what the relay's
own count endpoint says of the same request. Claude's and Gemini's tokenizers are not public, so this is a
consistency check: it catches a hidden prompt the bill carries and the counter does not, never a counter that lies too."""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import describe, prompt_tokens
from relaycheck.protocol import for_target, protocol_of
from relaycheck.text import tokens

PROBE = "count"
# Anthropic documents its count as an estimate that may differ by a few tokens (system-added tokens are not billed);
# a hidden prompt is tens or hundreds of tokens.
CLOSE = 5
HIDDEN_FAIL = 30


@check("usage.counted", probes=(PROBE,), protocols=("anthropic", "gemini"))
def counted(inp: CheckInput) -> Verdict:
    """Billed prompt tokens within a few of the relay's own count of the same request; far above it is a hidden prompt."""
    by = {x.label: x for x in inp.of(PROBE)}
    billed, count = by.get("billed"), by.get("counted")
    if billed is None or count is None:
        return Verdict(INCONCLUSIVE, "the count probe did not run")
    ids = (billed.id, count.id)
    reported = prompt_tokens(billed)
    if reported is None:
        return Verdict(INCONCLUSIVE, f"the billed request reported no prompt tokens ({describe(billed)})", ids)
    if count.status in (404, 405, 501):
        return Verdict(INCONCLUSIVE, f"the relay serves no count endpoint ({describe(count)}): nothing to hold the bill against", ids)
    number = for_target(inp.target).counted(count.json) if count.ok else None
    if number is None:
        return Verdict(INCONCLUSIVE, f"the count endpoint gave no count ({describe(count)})", ids)
    hidden = reported - number
    metrics = {"billed_prompt_tokens": reported, "counted_tokens": number, "difference": hidden}
    stated = f"billed {reported} prompt tokens, the relay's own counter says {number}"
    floor = tokens.count_text(protocol_of(billed).user_prompt_of(billed.request_json), "o200k_base") // 2
    if number < floor:
        # Relays that answer the count themselves return 0 or an estimate: such a counter is not the model's.
        return Verdict(INCONCLUSIVE, f"{stated}, fewer than any tokenizer gives the prompt's text (at least {floor}): the counter is "
                                     "the relay's own stub or estimate, not the model's", ids, metrics)
    if hidden >= HIDDEN_FAIL:
        return Verdict(FAIL, f"{stated}: about {hidden} tokens are billed that the request did not carry (a hidden prompt)", ids, metrics)
    if hidden > CLOSE:
        return Verdict(WARN, f"{stated}: {hidden} more billed than counted, more than the counter's documented few", ids, metrics)
    if hidden < -HIDDEN_FAIL:
        # Anthropic's count may include tokens it adds and does not bill: fewer billed is no overcharge, but this many is odd.
        return Verdict(WARN, f"{stated}: {-hidden} fewer billed than counted, more than a counter's own additions explain", ids, metrics)
    return Verdict(PASS, f"{stated} (within {CLOSE}; both are the relay's numbers, the tokenizer itself is not public)", ids, metrics)
