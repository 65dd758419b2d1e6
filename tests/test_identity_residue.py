"""models.residue: fingerprints, another vendor's fields and the relay's reported cost, every branch and both sides
of every tolerance; the additions proxies make for every upstream (LiteLLM, new-api) are never residue."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from relaycheck.checks.residue import (
    COST_ABSOLUTE_FLOOR, COST_RELATIVE_TOLERANCE, cost_matches, cost_tolerance, priced, residue,
)
from relaycheck.core.models import lookup
from test_checks_unit import chunk, ex, reply, verdict

CHECK = "models.residue"


def body(model="gpt-4o-mini", fp="fp_a1", usage=None, rid="chatcmpl-1", tool_calls=None, **extra):
    """An OpenAI-shaped chat completion (usage 5 prompt + 2 completion unless given)."""
    message = {"role": "assistant", "content": None if tool_calls else "hi"}
    if tool_calls:
        message["tool_calls"] = tool_calls
    out = {"id": rid, "object": "chat.completion", "created": 1, "model": model,
           "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
           "usage": usage if usage is not None else {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}, **extra}
    if fp is not None:
        out["system_fingerprint"] = fp
    return out


def answer(xid="x1", model="gpt-4o-mini", probe="chat", headers=(), **kw):
    """A successful non-stream exchange of `model`, with extra response headers."""
    x = ex(xid, probe=probe, model=model, body=body(model=model, **kw), request={"model": model, "messages": [{"role": "user", "content": "hi"}]})
    return replace(x, response_headers=x.response_headers + tuple(headers)) if headers else x


def usage_of(prompt, completion, cached=0, **extra):
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached}, **extra}


def cost_at(model, prompt, completion, cached=0):
    return priced(lookup(model).price, prompt, cached, completion)[0]


def check(*exchanges, model="gpt-4o-mini"):
    return verdict(CHECK, *exchanges, model=model)


# ---- what is read -----------------------------------------------------------------------------------------------

def test_no_successful_reply_is_inconclusive():
    failed = ex("x1", status=500, body={"error": {"message": "upstream"}})
    in_band = ex("x2", body={"error": {"message": "upstream"}})  # a 200 carrying an error is no reply
    v = check(failed, in_band)
    assert v.status == "inconclusive" and "no successful reply of gpt-4o-mini" in v.summary
    assert check().status == "inconclusive"


def test_a_clean_reply_passes_and_says_what_was_looked_at():
    v = check(answer("x1"), answer("x2", probe="stream"))
    assert v.status == "pass", v.summary
    assert v.summary.startswith("2 replies of gpt-4o-mini read") and "fp_a1" in v.summary and "no reported cost" in v.summary
    assert v.evidence == ("x1", "x2") and v.metrics["fingerprints"] == {"fp_a1": 2} and v.metrics["reported_costs"] == 0


def test_another_models_replies_and_the_unknown_model_probe_are_not_this_models():
    made_up = replace(answer("x2", rid="msg_01XFDUDYJgAACzvnptvVoYEL"),
                      request_body=json.dumps({"model": "relaycheck-no-such-model-ab12", "messages": []}))
    other = answer("x3", model="gpt-4o", rid="msg_01XFDUDYJgAACzvnptvVoYEL", fp="fp_b2")
    v = check(answer("x1"), made_up, other)
    assert v.status == "pass" and v.metrics["replies"] == 1, v.summary


def test_a_superseded_attempt_is_not_read():
    first = answer("x1", rid="msg_01XFDUDYJgAACzvnptvVoYEL")
    retry = replace(answer("x2"), retry_of="x1")
    assert check(first, retry).status == "pass"
    assert check(first).status == "fail"


# ---- (a) system_fingerprint -------------------------------------------------------------------------------------

def test_several_fingerprints_for_one_model_are_not_a_warn():
    v = check(answer("x1", fp="fp_a1"), answer("x2", fp="fp_a2"), answer("x3", fp="fp_a3"))
    assert v.status == "pass", v.summary
    assert v.metrics["fingerprints"] == {"fp_a1": 1, "fp_a2": 1, "fp_a3": 1}
    assert "several for one model: information only" in v.summary


def test_one_fingerprint_for_two_claimed_models_warns_for_each():
    mini, turbo = answer("x1", fp="fp_same"), answer("x2", model="gpt-4-turbo", fp="fp_same")
    for model in ("gpt-4o-mini", "gpt-4-turbo"):
        v = check(mini, turbo, model=model)
        assert v.status == "warn", v.summary
        assert "fp_same" in v.summary and set(v.evidence) == {"x1", "x2"}
    assert check(mini, turbo).metrics["shared_fingerprints"] == {"fp_same": ["gpt-4-turbo"]}


def test_fingerprints_of_different_models_and_of_one_models_snapshot_pass():
    assert check(answer("x1", fp="fp_a1"), answer("x2", model="gpt-4-turbo", fp="fp_b1")).status == "pass"
    # The same model configured twice (its name and a dated snapshot) is one model, not two names on one backend.
    snap = answer("x2", model="gpt-4o-mini-2024-07-18", fp="fp_a1")
    assert check(answer("x1", fp="fp_a1"), snap).status == "pass"


@pytest.mark.parametrize("fp", [None, "", "  "])
def test_missing_or_empty_fingerprints_are_never_shared(fp):
    v = check(answer("x1", fp=fp), answer("x2", model="gpt-4-turbo", fp=fp))
    assert v.status == "pass" and "no system_fingerprint" in v.summary


def test_stream_chunks_fingerprints_are_read():
    frames = [chunk("a", system_fingerprint="fp_s1"), chunk(finish="stop", system_fingerprint="fp_s1"), b"data: [DONE]\n\n"]
    stream = ex("x1", probe="stream", sse=frames, label="stream")
    turbo = answer("x2", model="gpt-4-turbo", fp="fp_s1")
    assert check(stream).metrics["fingerprints"] == {"fp_s1": 1}
    assert check(stream, turbo).status == "warn"


# ---- (b) another vendor's fields --------------------------------------------------------------------------------

ANTHROPIC_MSG = "msg_01XFDUDYJgAACzvnptvVoYEL"
ANTHROPIC_TOOL = "toolu_01A09q90qw90lq917835lq9Z"


@pytest.mark.parametrize("rid", [ANTHROPIC_MSG, "msg_bdrk_01AbCdEfGhIjKlMnOpQrStUv", "msg_vrtx_01AbCdEfGhIjKlMnOpQrStUv"])
def test_an_anthropic_message_id_behind_an_openai_name_fails(rid):
    v = check(answer("x1", rid=rid))
    assert v.status == "fail" and "Anthropic residue" in v.summary and rid in v.summary and v.evidence == ("x1",)


def test_anthropic_ids_are_no_residue_for_an_anthropic_model():
    calls = [{"id": ANTHROPIC_TOOL, "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    for model in ("claude-sonnet-4", "claude-sonnet-4-5", "anthropic/claude-3-5-haiku"):  # catalogued, by name, prefixed
        assert check(answer("x1", model=model, rid=ANTHROPIC_MSG, tool_calls=calls), model=model).status == "pass", model


@pytest.mark.parametrize("rid", ["msg_123", "msg_demo", "msg_01lowercaseonlylowercaseonly"])
def test_a_msg_prefix_without_anthropics_format_only_warns(rid):
    v = check(answer("x1", rid=rid))
    assert v.status == "warn" and "a hint, not proof" in v.summary


def test_openai_responses_item_ids_are_openais_own():
    rid = "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b"
    assert residue(answer("x1", rid=rid)) == []
    assert check(answer("x1", rid=rid)).status == "pass"


def test_tool_call_ids_anthropic_format_fails_and_prefix_warns():
    def call(cid):
        return [{"id": cid, "type": "function", "function": {"name": "f", "arguments": "{}"}}]

    assert check(answer("x1", tool_calls=call(ANTHROPIC_TOOL))).status == "fail"
    assert check(answer("x1", tool_calls=call("toolu_abc"))).status == "warn"
    assert check(answer("x1", tool_calls=call("call_abc123"))).status == "pass"


def test_anthropic_ids_in_stream_chunks_fail():
    frames = [chunk("a", id=ANTHROPIC_MSG), chunk(finish="stop", id=ANTHROPIC_MSG), b"data: [DONE]\n\n"]
    # chunk() sets id "c" first; the keyword overrides it
    v = check(ex("x1", probe="stream", sse=frames, label="stream"))
    assert v.status == "fail" and ANTHROPIC_MSG in v.summary


def test_gemini_native_structures_fail_and_a_bare_response_id_warns():
    native = {"candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}, "finishReason": "STOP"}]}
    assert check(answer("x1", **native)).status == "fail"
    meta = {"usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2, "totalTokenCount": 7}}
    v = check(answer("x1", **meta))
    assert v.status == "fail" and "Gemini residue" in v.summary
    assert check(answer("x1", candidates="n/a")).status == "warn"  # the key without Gemini's structure: a hint
    assert check(answer("x1", usageMetadata={})).status == "warn"
    assert check(answer("x1", responseId="abc123")).status == "warn"
    # For a Gemini model its own fields are no residue.
    assert check(answer("x1", model="gemini-2.5-flash", responseId="abc", **meta), model="gemini-2.5-flash").status == "pass"


def test_litellm_style_zero_cache_keys_are_not_residue():
    # LiteLLM's OpenAI-format Usage sets these keys for any upstream (0 when there was no cache), and its
    # prompt_tokens_details carries cache_creation_tokens / text_tokens: key presence and zeros prove nothing.
    litellm = usage_of(5, 2, cache_creation_input_tokens=0, cache_read_input_tokens=0)
    litellm["prompt_tokens_details"] = {"cached_tokens": 0, "cache_creation_tokens": 0, "text_tokens": 5}
    v = check(answer("x1", usage=litellm))
    assert v.status == "pass", v.summary
    # A cache read is reported by many upstreams (OpenAI, DeepSeek mapped by LiteLLM): never residue.
    assert check(answer("x1", usage=usage_of(2000, 2, cached=1024, cache_read_input_tokens=1024))).status == "pass"


def test_a_nonzero_cache_write_only_warns():
    v = check(answer("x1", usage=usage_of(2000, 2, cache_creation_input_tokens=1500)))
    assert v.status == "warn" and "cache_creation_input_tokens 1500" in v.summary


def test_new_api_input_and_output_tokens_beside_prompt_tokens_are_not_residue():
    # new-api's Usage struct always serialises input_tokens / output_tokens next to prompt_tokens (often 0).
    assert check(answer("x1", usage=usage_of(5, 2, input_tokens=0, output_tokens=0))).status == "pass"
    assert check(answer("x1", usage=usage_of(5, 2, input_tokens=5, output_tokens=2))).status == "pass"


def test_usage_named_only_input_and_output_tokens_warns():
    v = check(answer("x1", usage={"input_tokens": 5, "output_tokens": 2}))
    assert v.status == "warn" and "input_tokens/output_tokens" in v.summary
    assert check(answer("x1", usage={"input_tokens": 0, "output_tokens": 0})).status == "pass"  # zeros prove nothing


def test_a_model_of_unknown_vendor_is_not_judged_on_vendor_fields():
    v = check(answer("x1", model="mystery-model", rid=ANTHROPIC_MSG), model="mystery-model")
    assert v.status == "pass" and "vendor is unknown" in v.summary


def test_a_strong_residue_beats_a_weak_one_and_a_shared_fingerprint():
    x = answer("x1", rid=ANTHROPIC_MSG, fp="fp_same", responseId="r")
    v = check(x, answer("x2", model="gpt-4-turbo", fp="fp_same"))
    assert v.status == "fail" and v.evidence == ("x1",)


# ---- (c) the cost the relay reports -----------------------------------------------------------------------------

def litellm(cost):
    return (("x-litellm-response-cost", cost),)


def test_a_reported_cost_at_the_claimed_price_is_clean():
    exact = cost_at("gpt-4o-mini", 5, 2)
    v = check(answer("x1", headers=litellm(repr(exact))), answer("x2", usage=usage_of(5, 2, cost=exact)))
    assert v.status == "pass" and "2 of 2 reported costs at gpt-4o-mini's list price" in v.summary
    assert v.metrics["costs_at_claimed_price"] == 2


def test_a_streams_usage_chunk_cost_is_read():
    usage = json.dumps({"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7, "cost": cost_at("gpt-4o-mini", 5, 2)})
    frames = [chunk("a"), chunk(finish="stop"), f'data: {{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{usage}}}\n\n'.encode(),
              b"data: [DONE]\n\n"]
    stream = ex("x1", probe="stream", sse=frames, label="stream")
    assert check(stream).metrics["costs_at_claimed_price"] == 1
    wrong = frames[:2] + [frames[2].replace(str(cost_at("gpt-4o-mini", 5, 2)).encode(), str(cost_at("gpt-4.1-mini", 5, 2)).encode())] + frames[3:]
    v = check(ex("x1", probe="stream", sse=wrong, label="stream"))
    assert v.status == "fail" and "gpt-4.1-mini" in v.summary


def test_another_models_price_fails_naming_it_and_quoting_the_figures():
    cost = cost_at("gpt-4o-mini", 1000, 200)  # claimed gpt-4.1-mini, billed as gpt-4o-mini
    v = check(answer("x1", model="gpt-4.1-mini", usage=usage_of(1000, 200, cost=cost)), model="gpt-4.1-mini")
    assert v.status == "fail", v.summary
    assert f"x1 reported {cost!r} USD (usage.cost) for 1000 prompt (0 cached) + 200 completion tokens" in v.summary
    assert "gpt-4.1-mini's list price for them is $0.00072, while gpt-4o-mini's is $0.00027" in v.summary
    assert "markup of exactly 0.38x" in v.summary
    assert v.metrics["implied_models"] == ["gpt-4o-mini"] and v.metrics["costs_at_another_models_price"] == 1
    assert v.evidence == ("x1",)


def test_replies_billed_at_the_claimed_price_and_at_another_models_fail_on_the_others():
    # Some requests go to the real model, some to a cheaper channel: the cheaper ones are named.
    clean = answer("x1", model="gpt-4.1-mini", usage=usage_of(1000, 200, cost=cost_at("gpt-4.1-mini", 1000, 200)))
    cheap = answer("x2", model="gpt-4.1-mini", usage=usage_of(20, 1500, cost=cost_at("gpt-4o-mini", 20, 1500)))
    v = check(clean, cheap, model="gpt-4.1-mini")
    assert v.status == "fail" and v.evidence == ("x2",) and v.metrics["costs_at_claimed_price"] == 1


def test_a_markup_that_equals_another_price_for_one_reply_only_is_not_a_substitution():
    # 1.3x gpt-4o-mini's price for 1000 + 200 tokens happens to be deepseek-chat's (within 5%); for 20 + 1500 it is nobody's.
    one = answer("x1", usage=usage_of(1000, 200, cost=cost_at("gpt-4o-mini", 1000, 200) * 1.3))
    two = answer("x2", usage=usage_of(20, 1500, cost=cost_at("gpt-4o-mini", 20, 1500) * 1.3))
    alone = check(one)
    assert alone.status == "fail" and "deepseek-chat" in alone.summary and "markup of exactly 1.30x" in alone.summary
    v = check(one, two)
    assert v.status == "pass", v.summary
    assert "at some other model's price for that reply alone, no one model's for all (a markup: inconclusive)" in v.summary
    assert v.metrics["costs_matching_no_price"] == 2 and "implied_models" not in v.metrics


def test_a_price_two_models_share_is_clean_for_either():
    # gpt-4.1 and o3 have one list price: a cost at it cannot point away from either.
    cost = cost_at("gpt-4.1", 1000, 200)
    assert check(answer("x1", model="o3", usage=usage_of(1000, 200, cost=cost)), model="o3").status == "pass"


def test_a_markup_matching_no_price_is_inconclusive_for_that_reply_never_a_fail():
    cost = cost_at("gpt-4o-mini", 1000, 200) * 1.15
    v = check(answer("x1", usage=usage_of(1000, 200, cost=cost)))
    assert v.status == "pass" and "1 at no catalogued price (a markup: inconclusive)" in v.summary
    assert v.metrics["costs_matching_no_price"] == 1


def test_a_cache_hit_priced_with_or_without_the_discount_is_the_claimed_models():
    discounted, full = priced(lookup("gpt-4o-mini").price, 2000, 1024, 10)
    assert discounted < full
    for cost in (discounted, full):
        assert check(answer("x1", usage=usage_of(2000, 10, cached=1024, cost=cost))).metrics["costs_at_claimed_price"] == 1


def test_a_dated_snapshots_own_price_is_the_claimed_models():
    # gpt-4o's first snapshot (2024-05-13) has its own, higher price: the plain name may be billed at it.
    old = priced(lookup("gpt-4o").snapshot("gpt-4o-2024-05-13").price, 1000, 0, 200)[0]
    assert check(answer("x1", model="gpt-4o", usage=usage_of(1000, 200, cost=old)), model="gpt-4o").metrics["costs_at_claimed_price"] == 1


@pytest.mark.parametrize("raw,why", [("0", "zero"), ("0.0", "zero"), ("None", "not a usable amount"), ("-1e-6", "not a usable amount"),
                                     ("nan", "not a usable amount"), ("inf", "not a usable amount")])
def test_a_zero_or_unreadable_reported_cost_is_not_judged(raw, why):
    v = check(answer("x1", headers=litellm(raw)))
    assert v.status == "pass" and v.metrics["costs_not_judged"] == 1 and why in v.summary


@pytest.mark.parametrize("cost", [True, "abc", [1], 10**400])
def test_odd_usage_cost_values_are_not_judged(cost):
    assert check(answer("x1", usage=usage_of(5, 2, cost=cost))).metrics["costs_not_judged"] == 1


def test_a_cost_without_usage_or_for_an_uncatalogued_model_is_not_judged():
    no_usage = answer("x1", usage={"total_tokens": 7}, headers=litellm("0.00001"))
    v = check(no_usage)
    assert v.status == "pass" and "cannot be priced" in v.summary
    v = check(answer("x1", model="mystery-model", headers=litellm(repr(cost_at("gpt-4o-mini", 5, 2)))), model="mystery-model")
    assert v.status == "pass" and "no list price in the model catalogue" in v.summary


def test_more_than_three_implied_costs_are_summed_up():
    cost = cost_at("gpt-4o-mini", 1000, 200)
    xs = [answer(f"x{i}", model="gpt-4.1-mini", usage=usage_of(1000, 200, cost=cost)) for i in range(5)]
    v = check(*xs, model="gpt-4.1-mini")
    assert v.status == "fail" and "and 2 more reported costs at gpt-4o-mini's price" in v.summary and len(v.evidence) == 5


# ---- the tolerance, both sides ----------------------------------------------------------------------------------

def test_the_tolerance_is_relative_above_the_floor_and_absolute_below():
    assert COST_RELATIVE_TOLERANCE == 0.05 and COST_ABSOLUTE_FLOOR == 1e-7
    assert cost_tolerance(1e-3) == pytest.approx(5e-5)
    assert cost_tolerance(1e-6) == 1e-7  # 5% of a micro-dollar is below the floor
    assert cost_tolerance(1e-6, unit=1e-6) == 5e-7  # a figure printed to six decimals


def test_relative_tolerance_boundary():
    expected = 2.1e-3
    assert cost_matches(expected * 1.049, expected) and cost_matches(expected * 0.951, expected)
    assert not cost_matches(expected * 1.051, expected) and not cost_matches(expected * 0.949, expected)


def test_relative_boundary_through_the_check():
    # claimed gpt-4.1-mini; gpt-4o-mini's cost for 10000 + 1000 tokens is $0.0021 (no other catalogued price nearby)
    base = cost_at("gpt-4o-mini", 10000, 1000)
    assert base == pytest.approx(2.1e-3)

    def status(cost):
        return check(answer("x1", model="gpt-4.1-mini", usage=usage_of(10000, 1000, cost=cost)), model="gpt-4.1-mini").status

    assert status(base * 1.049) == "fail" and status(base * 0.951) == "fail"
    assert status(base * 1.051) == "pass" and status(base * 0.949) == "pass"  # a mere difference: inconclusive for it


def test_absolute_floor_boundary():
    expected = cost_at("gpt-4o-mini", 5, 2)  # $1.95e-6: 5% of it (9.75e-8) is below the floor
    assert cost_matches(expected + 0.99e-7, expected) and cost_matches(expected - 0.99e-7, expected)
    assert not cost_matches(expected + 1.01e-7, expected) and not cost_matches(expected - 1.01e-7, expected)

    def status(cost):
        return check(answer("x1", model="gpt-4.1-mini", usage=usage_of(5, 2, cost=cost)), model="gpt-4.1-mini").status

    assert status(expected + 0.99e-7) == "fail"  # within the floor of gpt-4o-mini's price
    assert status(expected + 1.01e-7) == "pass"  # just outside: matches no price


def test_the_printed_precision_boundary():
    # A relay that prints six decimals: 0.000003 covers [2.5e-6, 3.5e-6]; printed to seven, only 3.0e-6 +- 1e-7.
    near, far = cost_at("gpt-4o-mini", 5, 3), cost_at("gpt-4o-mini", 8, 2)  # 2.55e-6 and 2.40e-6
    assert near == pytest.approx(2.55e-6) and far == pytest.approx(2.4e-6)
    assert cost_matches(3e-6, near, unit=1e-6) and not cost_matches(3e-6, far, unit=1e-6)
    assert not cost_matches(3e-6, near, unit=1e-7)
    six = check(answer("x1", usage=usage_of(5, 3), headers=litellm("0.000003")))
    seven = check(answer("x1", usage=usage_of(5, 3), headers=litellm("0.0000030")))
    assert six.metrics["costs_at_claimed_price"] == 1 and seven.metrics["costs_at_claimed_price"] == 0


def test_reply_helper_from_the_unit_suite_passes():
    # The plain completion the other unit tests use (no fingerprint, no cost) has nothing pointing elsewhere.
    assert check(reply("hello")).status == "pass"


def test_many_residue_fields_are_summed_up_and_all_cited():
    xs = [answer(f"x{i}", rid=ANTHROPIC_MSG) for i in range(5)]
    v = check(*xs)
    assert v.status == "fail" and v.summary.count("Anthropic residue") == 3 and "and 2 more such fields" in v.summary
    assert len(v.evidence) == 5 and len(v.metrics["residue"]) == 5


# ---- every hint, exactly (pinned after the mutation run: the words are what a report shows) ---------------------
from relaycheck.checks.residue import Hint  # noqa: E402

_TOOL_CALLS = [{"id": "toolu_01AbCdEfGhIjKlMnOpQrStUv", "type": "function", "function": {"name": "f", "arguments": "{}"}},
               {"id": "toolu_x", "type": "function", "function": {"name": "g", "arguments": "{}"}}]


@pytest.mark.parametrize("kw,hints", [
    (dict(rid="msg_01AbCdEfGhIjKlMnOpQrStUvWx"), [Hint("anthropic", True, "reply id msg_01AbCdEfGhIjKlMnOpQrStUvWx (Anthropic's id format)")]),
    (dict(rid="msg_01abcdefghijklmnopqrstuvwx"), [Hint("anthropic", False, "reply id msg_01abcdefghijklmnopqrstuvwx (Anthropic's prefix, not its full format)")]),
    (dict(rid="msg_abcdefgh"), [Hint("anthropic", False, "reply id msg_abcdefgh (Anthropic's prefix, not its full format)")]),
    (dict(tool_calls=_TOOL_CALLS), [Hint("anthropic", True, "tool call id toolu_01AbCdEfGhIjKlMnOpQrStUv (Anthropic's id format)"),
                                    Hint("anthropic", False, "tool call id toolu_x (Anthropic's prefix, not its full format)")]),
    (dict(candidates=[{"content": {"parts": [{"text": "hi"}]}}]), [Hint("google", True, "Gemini's candidates[].content.parts")]),
    (dict(candidates=[{"x": 1}]), [Hint("google", False, "a candidates field")]),
    (dict(candidates=[{"content": {"x": 1}}]), [Hint("google", False, "a candidates field")]),
    (dict(candidates="x"), [Hint("google", False, "a candidates field")]),
    (dict(usageMetadata={"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}), [Hint("google", True, "Gemini's usageMetadata counts")]),
    (dict(usageMetadata={"other": 1}), [Hint("google", False, "a usageMetadata field")]),
    (dict(responseId="abc"), [Hint("google", False, "a responseId field (Gemini's name for the reply id)")]),
    (dict(usage={"input_tokens": 3, "output_tokens": 2}), [Hint("anthropic", False, "usage counted as input_tokens/output_tokens instead of "
                                                               "prompt_tokens/completion_tokens (Anthropic's names, also the Responses API's)")]),
    (dict(usage={**usage_of(3, 2), "cache_creation_input_tokens": 1}), [Hint("anthropic", False, "usage.cache_creation_input_tokens 1 "
                                                                             "(a prompt-cache write, which Anthropic bills)")]),
    (dict(usage={**usage_of(3, 2), "cache_creation_input_tokens": 0}), []),
    (dict(rid="chatcmpl-1"), []),
])
def test_each_hint_names_its_vendor_strength_and_field(kw, hints):
    assert residue(answer(**kw)) == hints
