"""Deep checks: parameters honoured, not silently dropped (the output limit, stop, temperature), in every protocol."""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, NATIVE, PASS, SKIP, CheckInput, Verdict, check
from relaycheck.checks._util import cut_by_own_budget, describe, excerpt
from relaycheck.protocol import TITLES, for_target, protocol_of
from relaycheck.wire.exchange import Exchange
from relaycheck.probes.params import NEEDED, SMALL_LIMIT, STOP_MARKER, high_temperature
from relaycheck.text.tokens import is_reasoning_model


def _labelled(inp: CheckInput, label: str) -> Exchange | None:
    return next((x for x in inp.of("params") if x.label == label and x.model == inp.model), None)


@check("params.max_tokens", probes=("params",), protocols=NATIVE)
def max_tokens(inp: CheckInput) -> Verdict:
    """A small limit (max_tokens, max_output_tokens, maxOutputTokens) ends the reply at that many billed tokens with
    the protocol's length finish (length, max_tokens, incomplete, MAX_TOKENS)."""
    x = _labelled(inp, "max_tokens")
    if x is None:
        return Verdict(INCONCLUSIVE, "the max_tokens request was not sent")
    if not x.ok or not isinstance(x.json, dict):
        return Verdict(INCONCLUSIVE, f"the max_tokens request did not succeed ({describe(x)})", (x.id,))
    billed, finish, text = x.reply.completion_tokens, x.reply.finish_reason, x.reply.text or ""
    sent = protocol_of(x).budget_of(x.request_json)
    limit = sent if isinstance(sent, int) and not isinstance(sent, bool) else SMALL_LIMIT  # Responses' least is 16
    metrics = {"limit": limit, "completion_tokens": billed, "finish_reason": finish}
    if limit >= NEEDED:
        # A model that always thinks is given a limit above its least thinking: room for the whole reply.
        return Verdict(INCONCLUSIVE, f"the limit sent ({limit} tokens) leaves room for the whole reply (about {NEEDED}): nothing to cut", (x.id,), metrics)
    if billed is None:
        return Verdict(INCONCLUSIVE, "the reply reports no completion_tokens: the limit cannot be checked against billing", (x.id,), metrics)
    reasoning = x.reply.reasoning_tokens
    metrics["reasoning_tokens"] = reasoning
    # Two conventions are honest when the reasoning is reported: OpenAI's limit covers reasoning and answer; on
    # DeepSeek's reasoner (and SiliconFlow) it limits the visible answer and the reasoning is billed on top.
    if billed > limit and billed - reasoning > limit:
        shown = f" ({reasoning} of them reported as reasoning)" if reasoning else ""
        return Verdict(FAIL, f"asked for at most {limit} tokens, billed {billed}{shown} (finish_reason {finish!r}): the limit was not passed on", (x.id,), metrics)
    if finish != "length":
        if not text.strip():
            return Verdict(INCONCLUSIVE, f"an empty reply with finish_reason {finish!r}: nothing shows whether the limit cut it", (x.id,), metrics)
        return Verdict(FAIL, f"{billed} tokens billed but finish_reason {finish!r}, not 'length', for a reply that needs about 79", (x.id,), metrics)
    if billed > limit:
        return Verdict(PASS, f"stopped at {billed - reasoning} visible tokens of at most {limit} with finish_reason 'length', "
                       f"plus {reasoning} reported reasoning tokens billed on top (the DeepSeek and Gemini convention)", (x.id,), metrics)
    return Verdict(PASS, f"stopped at {billed} of at most {limit} tokens with finish_reason 'length'", (x.id,), metrics)


@check("params.stop", probes=("params",), protocols=NATIVE)
def stop(inp: CheckInput) -> Verdict:
    """Differential: the baseline reply contains the marker; with it as a stop sequence (stop, stop_sequences,
    stopSequences) the reply ends before it."""
    if for_target(inp.target).with_param({}, "stop", []) is None:
        return Verdict(SKIP, f"{TITLES[inp.target.protocol]} has no stop parameter: nothing to honour")
    base, stopped = _labelled(inp, "stop baseline"), _labelled(inp, "stop")
    if base is None or stopped is None:
        return Verdict(INCONCLUSIVE, "the stop requests were not sent")
    evidence = (base.id, stopped.id)
    for x, what in ((base, "baseline"), (stopped, "stop request")):
        if not x.ok or not isinstance(x.json, dict):
            return Verdict(INCONCLUSIVE, f"the {what} did not succeed ({describe(x)})", evidence)
    before, after = base.reply.text or "", stopped.reply.text or ""
    if STOP_MARKER not in before:
        # Without the marker in the baseline, its absence later proves nothing (noise, refusal, empty reply).
        return Verdict(INCONCLUSIVE, f"the baseline reply does not contain {STOP_MARKER!r} (“{excerpt(before, 60)}”): nothing to stop at", evidence)
    if STOP_MARKER in after:
        return Verdict(FAIL, f"with stop [{STOP_MARKER!r}] the reply still contains it: “{excerpt(after, 60)}” (the parameter was dropped)", evidence)
    cut = cut_by_own_budget(stopped)
    if cut:  # a reply cut before the marker's place cannot show whether the stop sequence was honoured
        return Verdict(INCONCLUSIVE, f"the stop request: {cut}", evidence)
    if not after.strip():
        return Verdict(INCONCLUSIVE, "the stop request returned an empty reply", evidence)
    return Verdict(PASS, f"the reply ends before {STOP_MARKER!r} (“{excerpt(after, 40)}”, finish_reason {stopped.reply.finish_reason!r}); the baseline continues past it", evidence)


@check("params.temperature", probes=("params",), protocols=NATIVE)
def temperature(inp: CheckInput) -> Verdict:
    """Noise floor first: two replies at temperature 0 must agree before an identical high-temperature pair means
    the parameter was ignored; otherwise the model is too noisy to tell (inconclusive)."""
    if inp.model and is_reasoning_model(inp.model):
        return Verdict(INCONCLUSIVE, f"{inp.model} is a reasoning model: it takes no temperature, so nothing can be compared")
    pairs = {}
    for name in ("temperature 0", "temperature high"):
        xs = [_labelled(inp, f"{name} #{i}") for i in (1, 2)]
        if any(x is None for x in xs):
            return Verdict(INCONCLUSIVE, "the temperature requests were not sent")
        pairs[name] = xs
    evidence = tuple(x.id for xs in pairs.values() for x in xs if x is not None)
    texts = {}
    for name, xs in pairs.items():
        for x in xs:
            assert x is not None
            if not x.ok or not (x.reply.text or "").strip():
                return Verdict(INCONCLUSIVE, f"a {name} request gave no reply to compare ({describe(x)})", evidence)
        texts[name] = [x.reply.text or "" for x in xs if x is not None]
    low, highs = texts["temperature 0"], texts["temperature high"]
    high = high_temperature(for_target(inp.target))
    if low[0] != low[1]:
        return Verdict(INCONCLUSIVE, "two identical requests at temperature 0 already differ: too noisy to tell whether temperature is applied",
                       evidence, {"noise_floor": "differs"})
    if highs[0] == highs[1]:
        return Verdict(FAIL, f"at temperature 0 the replies agree, and at temperature {high:g} they are still identical "
                       f"(“{excerpt(highs[0], 60)}”): temperature is ignored", evidence, {"noise_floor": "agrees"})
    return Verdict(PASS, f"identical at temperature 0, different at temperature {high:g}: sampling follows the parameter",
                   evidence, {"noise_floor": "agrees"})
