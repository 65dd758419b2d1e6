"""Billing checks: the balance can be read, and it moved by what the usage says at the advertised price."""

from __future__ import annotations

import re
from dataclasses import dataclass

from relaycheck.config.balances import QUOTA_PER_USD, Reading, adapters_for, moved
from relaycheck.probes.budget import Budget
from relaycheck.checks import FAIL, INCONCLUSIVE, NATIVE, PASS, SKIP, CheckInput, Verdict, check
from relaycheck.checks._util import same_model
from relaycheck.protocol import completion_protocol, protocol_of
from relaycheck.checks.models import reply_models
from relaycheck.config.targets import Price, Pricing
from relaycheck.wire.exchange import Exchange
from relaycheck.probes.registry import billed_after_the_bill, billed_in_the_delta

TOLERANCE = 0.10
NOT_BILLED_TO_THE_KEY = {"wrong key", "no key", "empty-balance key"}  # presented other keys, or none
_POLL = re.compile(r"^(before|after #\d+): (\w+)$")


def _readings(inp: CheckInput) -> tuple[str | None, Reading | None, Reading | None, tuple[str, ...]]:
    """(adapter that answered, before, last after, evidence) from the balance exchanges."""
    assert inp.target.billing is not None
    groups: dict[tuple[str, str], list[Exchange]] = {}
    for x in inp.of("balance"):
        match = _POLL.match(x.label)
        if match:
            groups.setdefault((match.group(1), match.group(2)), []).append(x)
    for adapter in adapters_for(inp.target.billing):
        first = groups.get(("before", adapter.name))
        if not first or not all(x.ok for x in first):
            continue
        before = adapter.parse([x.json for x in first])
        if before is None:
            continue
        polls = [key for key in groups if key[1] == adapter.name and key[0].startswith("after")]
        last = max(polls, key=lambda k: int(k[0].split("#")[1]), default=None)
        after_x = groups[last] if last else []
        after = adapter.parse([x.json for x in after_x]) if after_x and all(x.ok for x in after_x) else None
        return adapter.name, before, after, tuple(x.id for x in first + after_x)
    return None, None, None, tuple(x.id for xs in groups.values() for x in xs)


@check("billing.balance", probes=("balance",), protocols=NATIVE)
def balance(inp: CheckInput) -> Verdict:
    """A balance endpoint answers with the key alone."""
    if inp.target.billing is None:
        return Verdict(SKIP, "opt-in: set billing: auto (or an adapter) on the target")
    name, before, _, evidence = _readings(inp)
    if before is None:
        tried = ", ".join(a.name for a in adapters_for(inp.target.billing))
        return Verdict(FAIL, f"no balance endpoint answered with the key ({tried} tried)", evidence)
    figures = ", ".join(f"{k} {f.value:g}" for k, f in before.figures.items())
    limit = " (unlimited key)" if before.unlimited else ""
    return Verdict(PASS, f"{name} balance endpoint answered: {figures} {before.unit}{limit}", evidence, {"adapter": name, "unit": before.unit})


# Each probe declares whether it is billed to the key and where it runs (relaycheck.probes.registry): those that run
# after the run's last balance reading (they read the balance themselves) are not in its delta.
BILLED_PROBES = billed_in_the_delta()
AFTER_THE_BILL = billed_after_the_bill()


def price_for(pricing: Pricing, *names: object) -> Price | None:
    """The advertised price of the requested model, else of the model that answered (a dated snapshot counts)."""
    for name in names:
        if isinstance(name, str) and name:
            price = pricing.for_model(name) or next((p for m, p in pricing.models.items() if same_model(m, name)), None)
            if price is not None:
                return price
    return None


@dataclass(frozen=True)
class _Expected:
    """What the run should have cost, and what could not be priced."""

    total: float
    unpriced: list[str]
    unreported: list[str]  # complete replies without usage: their cost is unknown
    cut_ceiling: float = 0.0  # replies cut after their 200 without usage: billed anywhere from nothing to this
    cut: tuple[str, ...] = ()


def _expected(inp: CheckInput) -> _Expected:
    """Usage x advertised price over what the run's key was billed for; ids unpriced; ids answered without usage."""
    assert inp.target.pricing is not None
    total, unpriced, unreported, cut, cut_ceiling = 0.0, [], [], [], 0.0
    ceilings = Budget(float("inf"), inp.target.pricing)  # prices a request's worst case, as the cost guard does
    for x in inp.exchanges:
        replied = x.status is not None and 200 <= x.status < 300
        if not replied or x.label in NOT_BILLED_TO_THE_KEY or x.probe not in BILLED_PROBES or completion_protocol(x.url) is None:
            continue  # only completions are billed: not model lists, token counters or balance reads
        prompt, completion = x.reply.prompt_tokens, x.reply.completion_tokens
        if prompt is None or completion is None:
            if (x.error is not None or x.completion_ceiling is not None) and isinstance(x.request_json, dict):
                # Cut after its 200 (a reset or stalled stream, or closed by the probe once it had read enough): the
                # relay may have billed any part of its ceiling.
                cut.append(x.id)
                cut_ceiling += ceilings.ceiling(x.request_json, x.completion_ceiling, x.url)
            elif x.ok:
                unreported.append(x.id)
            continue
        # The model asked for, in the body or (Gemini) the URL; else the model that answered.
        requested = protocol_of(x).model_asked(x.url, x.request_json) or x.model
        answered = next((n for n in reply_models(x) if n), None)
        price = price_for(inp.target.pricing, requested, answered)
        if price is None:
            unpriced.append(x.id)
            continue
        total += price.cost(prompt, completion, x.reply.cached_tokens, x.reply.cache_written_tokens)
    return _Expected(total, unpriced, unreported, cut_ceiling, tuple(cut))


@check("billing.delta", probes=("balance",), protocols=NATIVE)
def delta(inp: CheckInput) -> Verdict:
    """The balance change equals usage x advertised price within max(10%, the endpoint's rounding step)."""
    if inp.target.billing is None or inp.target.pricing is None:
        return Verdict(SKIP, "opt-in: needs billing: and pricing: on the target")
    name, before, after, evidence = _readings(inp)
    if before is None:
        return Verdict(INCONCLUSIVE, "no balance could be read (see billing.balance)", evidence)
    if after is None:
        return Verdict(INCONCLUSIVE, "the balance could not be read again after the run", evidence)
    if before.unlimited:
        return Verdict(INCONCLUSIVE, f"the key is unlimited on {name}: its balance says nothing about what the run cost", evidence)
    currency = inp.target.pricing.currency
    if before.unit != currency:
        return Verdict(INCONCLUSIVE, f"prices are in {currency} but {name} reports {before.unit}: not compared without a rate", evidence)
    bill = _expected(inp)
    expected, unpriced, unreported = bill.total, bill.unpriced, bill.unreported
    if unpriced:
        return Verdict(INCONCLUSIVE, f"billed replies without an advertised price ({', '.join(unpriced[:5])})", evidence)
    if unreported:
        return Verdict(INCONCLUSIVE, f"{len(unreported)} successful replies reported no usage ({', '.join(unreported[:5])}): what they cost cannot be computed", evidence)
    change = moved(before, after)
    observed = change.amount if change else 0.0
    step = min(before.step, after.step)  # a bare 0 before the run says nothing about the endpoint's precision
    tolerance = max(TOLERANCE * expected, step)
    note = f" (raw quota at {QUOTA_PER_USD} per USD)" if name == "newapi" else ""
    metrics = {"expected": round(expected, 8), "observed": round(observed, 8), "tolerance": round(tolerance, 8),
               "figure": change.figure if change else None, "adapter": name, "currency": currency}
    stated = f"expected {expected:.6f} ± {tolerance:.6f} {currency}, observed {observed:.6f}{note}"
    if expected == 0:
        return Verdict(INCONCLUSIVE, "the run billed nothing to compare (no reply with usage)", evidence, metrics)
    if step > expected / 2:
        return Verdict(INCONCLUSIVE, f"{name} shows amounts in steps of {step:g} {currency}, too coarse for a run costing {expected:.6f}: {stated}", evidence, metrics)
    if change is None:
        return Verdict(INCONCLUSIVE, f"the balance did not move within billing_settle_s ({stated}): billing may lag longer", evidence, metrics)
    cut_note = ""
    if bill.cut:
        metrics["cut_replies_ceiling"] = round(bill.cut_ceiling, 8)
        cut_note = f"; {len(bill.cut)} replies cut after their 200 without usage ({', '.join(bill.cut[:3])}) may add up to {bill.cut_ceiling:.6f}"
    if abs(observed - expected) <= tolerance:
        return Verdict(PASS, f"{change.figure} moved as the usage says: {stated}{cut_note}", evidence, metrics)
    if bill.cut and expected - tolerance <= observed <= expected + bill.cut_ceiling + tolerance:
        return Verdict(INCONCLUSIVE, f"{change.figure} moved more than the usage says, by no more than the cut replies could cost: {stated}{cut_note}",
                       evidence, metrics)
    multiplier = observed / expected if expected else float("inf")
    metrics["multiplier"] = round(multiplier, 3)
    return Verdict(FAIL, f"charged {multiplier:.2f}x the advertised price: {stated} ({change.figure}){cut_note}", evidence, metrics)
