"""Deep check: a repeated long prefix's cached tokens, and whether they are billed at the cached price."""

from __future__ import annotations

import re

from relaycheck.config.balances import Reading, adapters_for, moved
from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks.billing import TOLERANCE, price_for
from relaycheck.wire.exchange import Exchange
from relaycheck.config.targets import Price

_READING = re.compile(r"^(start|after first #\d+|after repeat #\d+): (\w+)$")


def _cost(x: Exchange, price: Price) -> tuple[float, float]:
    """(cost at the cached price, cost with every prompt token at the full price) of one reply's usage."""
    prompt, completion, cached = x.reply.prompt_tokens, x.reply.completion_tokens, x.reply.cached_tokens or 0
    assert prompt is not None and completion is not None  # only replies with usage are priced
    assert price.cached_input is not None
    full = (prompt * price.input + completion * price.output) / 1_000_000
    return full - cached * (price.input - price.cached_input) / 1_000_000, full


def _readings(inp: CheckInput) -> tuple[list[Reading | None], tuple[str, ...]]:
    """The balance at the start, after the first request settled, after the repeat settled (None where unread)."""
    groups: dict[str, list[Exchange]] = {}
    for x in inp.of("cache"):
        match = _READING.match(x.label)
        if match:
            groups.setdefault(match.group(1), []).append(x)
    assert inp.target.billing is not None
    out: list[Reading | None] = []
    evidence: list[str] = []
    for step in ("start", "after first", "after repeat"):
        polls = sorted((k for k in groups if k.split(" #")[0] == step), key=lambda k: int(k.split("#")[1]) if "#" in k else 0)
        xs = groups[polls[-1]] if polls else []
        reading = None
        for adapter in adapters_for(inp.target.billing):
            mine = [x for x in xs if x.label.endswith(f": {adapter.name}")]
            if mine and all(x.ok for x in mine):
                reading = adapter.parse([x.json for x in mine])
                break
        out.append(reading)
        evidence += [x.id for x in xs]
    return out, tuple(evidence)


@check("usage.cache", probes=("cache",))
def cache(inp: CheckInput) -> Verdict:
    """Report the repeat's cached tokens; with billing and a cached price, fail when they were billed at full price."""
    pair = {x.label: x for x in inp.of("cache") if x.method == "POST"}
    first, repeat = pair.get("first"), pair.get("repeat")
    if first is None or repeat is None or not first.ok or not repeat.ok:
        broken = next((x for x in (first, repeat) if x is not None and not x.ok), None)
        why = f"HTTP {broken.status or broken.error_kind}" if broken else "not sent"
        return Verdict(INCONCLUSIVE, f"the long prefix was not answered twice ({why})", tuple(x.id for x in (first, repeat) if x))
    ids = (first.id, repeat.id)
    prompt = repeat.reply.prompt_tokens
    if prompt is None or repeat.reply.completion_tokens is None or first.reply.prompt_tokens is None or first.reply.completion_tokens is None:
        return Verdict(INCONCLUSIVE, "the replies carry no usage: cached tokens cannot be read", ids)
    cached = repeat.reply.cached_tokens
    if not cached:
        return Verdict(INCONCLUSIVE, f"the repeat reports no cached tokens ({prompt} prompt tokens, cached_tokens "
                       f"{'absent' if cached is None else 0}): no cache discount to verify", ids, {"prompt_tokens": prompt, "cached_tokens": cached})
    metrics: dict = {"prompt_tokens": prompt, "cached_tokens": cached}
    reported = f"the repeat reports {cached} of its {prompt} prompt tokens cached"
    if cached > prompt:
        return Verdict(INCONCLUSIVE, f"{reported}: more than the prompt has, so the figure cannot be priced", ids, metrics)
    pricing, model = inp.target.pricing, repeat.model
    price = price_for(pricing, model) if pricing is not None else None
    if inp.target.billing is None or price is None or price.cached_input is None:
        return Verdict(INCONCLUSIVE, f"{reported}; what they cost needs billing: and a cached_input price for {model} in pricing:", ids, metrics)
    (start, after_first, after_repeat), evidence = _readings(inp)
    ids = ids + evidence
    assert pricing is not None
    if start is None or after_first is None or after_repeat is None:
        return Verdict(INCONCLUSIVE, f"{reported}; the balance could not be read around both requests", ids, metrics)
    if start.unlimited or start.unit != pricing.currency:
        return Verdict(INCONCLUSIVE, f"{reported}; the balance is unlimited or not in {pricing.currency}: costs cannot be read from it", ids, metrics)
    step = min(start.step, after_first.step, after_repeat.step)
    spent_first, spent_repeat = moved(start, after_first), moved(after_first, after_repeat)
    expected_first, _ = _cost(first, price)
    discounted, full = _cost(repeat, price)
    metrics.update(expected_first=round(expected_first, 8), discounted=round(discounted, 8), full=round(full, 8))
    if spent_first is None or spent_repeat is None:
        return Verdict(INCONCLUSIVE, f"{reported}; the balance did not move after each request within billing_settle_s", ids, metrics)
    metrics.update(observed_first=round(spent_first.amount, 8), observed_repeat=round(spent_repeat.amount, 8))
    # The first request calibrates: unless it cost what its usage says, the repeat's price proves nothing.
    if abs(spent_first.amount - expected_first) > max(TOLERANCE * expected_first, step):
        return Verdict(INCONCLUSIVE, f"{reported}; the first request cost {spent_first.amount:.8f}, not the {expected_first:.8f} its usage "
                       "says (see billing.delta), so the repeat cannot be judged on price", ids, metrics)
    gap = full - discounted
    if gap <= 2 * step:
        return Verdict(INCONCLUSIVE, f"{reported}; the discount ({gap:.8f}) is within the balance's step of {step:g}", ids, metrics)
    observed = spent_repeat.amount
    stated = f"the repeat cost {observed:.8f} {pricing.currency}: {discounted:.8f} at the cached price, {full:.8f} at full price"
    if abs(observed - discounted) <= gap / 2:
        return Verdict(PASS, f"{reported}, billed at the cached price: {stated}", ids, metrics)
    if abs(observed - full) <= gap / 2:
        return Verdict(FAIL, f"{reported} but bills them at the full input price: {stated}", ids, metrics)
    return Verdict(INCONCLUSIVE, f"{reported}; {stated}, which matches neither", ids, metrics)
