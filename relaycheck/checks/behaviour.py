"""Check models.behaviour: the relay's one-token answers are drawn from the reference's distribution.

The sequential two-sample test lives in relaycheck.core.sequential (its docstring explains why a false accusation
has probability at most alpha); the probe that asked is relaycheck.probes.behaviour. Here it is only read out: fail
when the test rejected, pass when the whole budget was read without rejection, inconclusive otherwise.
"""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, SKIP, CheckInput, Verdict, check
from relaycheck.checks._util import describe
from relaycheck.probes.behaviour import answers, judge, plan, prompt_of, serves_reference, slots

MIN_USABLE_SHARE = 0.5  # a pass needs at least this share of the budget answered usably
EVIDENCE_CITED = 6  # the answers that weighed most


@check("models.behaviour", probes=("behaviour",))
def behaviour(inp: CheckInput) -> Verdict:
    """Fail when the sequential test rejects "same distribution as the reference" at alpha; pass after the full budget."""
    spec = inp.target.reference
    if spec is None:
        return Verdict(SKIP, "opt-in: enrol a reference from an endpoint you trust (relaycheck enroll) and pass it with --reference")
    if not serves_reference(inp.model, spec):
        return Verdict(SKIP, f"the reference {spec.source} is of {spec.reference.model}, not {inp.model}")
    chosen, rounds = plan(spec)
    if not chosen:
        return Verdict(INCONCLUSIVE, f"the reference {spec.source} holds too few usable answers per prompt for {spec.requests} requests: "
                       "enroll again with more --samples")
    found = [x for x in inp.of("behaviour") if prompt_of(x) is not None]
    if not found:
        return Verdict(INCONCLUSIVE, "no categorical prompt was asked")
    by_prompt = answers(found, spec)
    result = judge(by_prompt, spec)
    usable = len(result.steps)
    asked = _asked(found)
    unusable = [x for pid, xs in asked.items() for x, a in zip(xs, by_prompt.get(pid, [])) if a is None]
    metrics = {
        "alpha": spec.alpha, "threshold": round(result.threshold, 6), "e_value": _round(result.e_value),
        "max_e_value": _round(result.max_e_value), "crossed_at_answer": result.crossed_at, "requests": len(found),
        "budget": len(slots(spec)), "usable_answers": usable, "unusable_answers": len(unusable), "rounds": rounds, "seed": spec.seed,
        "reference": {"file": spec.source, "model": spec.reference.model, "enrolled_at": spec.reference.enrolled_at,
                      "host": spec.reference.host},
        "block_sizes": result.block_sizes,
        # Every raw count, and the order the test read the answers in: enough to recompute the verdict.
        "prompts": {p.id: {"reference_counts": dict(sorted(spec.reference.counts.get(p.id, {}).items())),
                           "relay_answers": by_prompt.get(p.id, [])} for p in chosen},
    }
    if result.rejected:
        weighed = sorted(result.steps[: result.crossed_at], key=lambda s: -s.factor)[:EVIDENCE_CITED]
        cited = tuple(asked[s.prompt_id][s.index].id for s in weighed)
        examples = "; ".join(f"{s.prompt_id} answered {s.answer!r} (the reference: {spec.reference.counts.get(s.prompt_id, {}).get(s.answer, 0)}"
                             f" of {spec.reference.usable(s.prompt_id)})" for s in weighed[:3])
        return Verdict(FAIL, f"after {result.crossed_at} one-token answers the test martingale reached {_fmt(result.max_e_value)} ≥ "
                       f"1/alpha = {_fmt(result.threshold)}: these answers are not drawn like {spec.reference.model}'s reference "
                       f"(enrolled {spec.reference.enrolled_at} at {spec.reference.host}; false-accusation probability ≤ {spec.alpha:g}); "
                       f"e.g. {examples}", cited, metrics)
    budget = len(slots(spec))
    if len(found) >= budget and usable >= MIN_USABLE_SHARE * budget:
        return Verdict(PASS, f"{usable} one-token answers over {len(chosen)} prompts are consistent with {spec.reference.model}'s "
                       f"reference: the test martingale stayed at or below {_fmt(result.max_e_value)} (it would fail at "
                       f"{_fmt(result.threshold)}, alpha {spec.alpha:g})", (), metrics)
    if usable < MIN_USABLE_SHARE * budget:
        example = next((x for x in unusable), None)
        why = f" (e.g. {describe(example)}: {_text(example)})" if example is not None else ""
        return Verdict(INCONCLUSIVE, f"only {usable} of {len(found)} replies were usable one-word answers, fewer than "
                       f"{MIN_USABLE_SHARE:.0%} of the {budget} the budget allows{why}", tuple(x.id for x in unusable[:EVIDENCE_CITED]), metrics)
    return Verdict(INCONCLUSIVE, f"{len(found)} of the {budget} requests were asked and the test did not decide "
                   f"(martingale at most {_fmt(result.max_e_value)}, threshold {_fmt(result.threshold)})", (), metrics)


def _asked(found: list) -> dict[str, list]:
    """Per prompt, its exchanges in the order they were sent (as the probe and the test read them)."""
    asked: dict[str, list] = {}
    for x in sorted(found, key=lambda x: int(x.id[1:])):
        asked.setdefault(prompt_of(x).id, []).append(x)
    return asked


def _text(exchange) -> str:
    text = exchange.reply.text if exchange.ok else None
    return repr(text[:40]) if isinstance(text, str) else "no text"


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _fmt(value: float) -> str:
    return f"{value:.3g}"
