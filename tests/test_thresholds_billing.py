"""Boundary tests for the money checks (billing.delta, usage.cache) and the reliability failure rate."""

from __future__ import annotations

import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.checks.billing import TOLERANCE
from relaycheck.checks.reliability import MAX_FAILURE_RATE
from relaycheck.wire.exchange import Exchange
from relaycheck.config.targets import Price, Pricing, Target
from test_params import _reply as reply_body
from test_params import _sample
from test_twins_cache import _x

# 1,000 USD per million input tokens (100 cached), 2,000 per million output: a run of a few dollars, read in 1e-6 steps.
PRICE = Price(1000.0, 2000.0, 100.0)
PRICING = Pricing("USD", {"gpt-4o-mini": PRICE})


def test_the_pinned_constants_are_the_documented_ones():
    assert (TOLERANCE, MAX_FAILURE_RATE) == (0.10, 0.20)


def _spend(xid: str, label: str, spend: float) -> Exchange:
    return _x(xid, "", f"{label}: litellm", {"info": {"spend": spend, "max_budget": 100.0}}, probe="balance", method="GET")


def _chat(xid: str, prompt: int, completion: int, cached: int | None = None, probe: str = "chat", **over) -> Exchange:
    body = reply_body("OK", "stop", completion)
    body["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    if cached is not None:
        body["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
    x = _x(xid, "gpt-4o-mini", "chat", body, probe=probe)
    return Exchange(**{**x.__dict__, "request_body": json.dumps({"model": "gpt-4o-mini", "messages": []}), **over})


def delta(observed: float, *replies: Exchange, before: float = 10.123457):
    xs = (_spend("b0", "before", before), *replies, _spend("b1", "after #1", round(before + observed, 6)))
    t = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",), billing="litellm", pricing=PRICING)
    return registry()["billing.delta"].fn(CheckInput(t, None, xs))


ONE = (500, 250)  # 0.5 + 0.5 = 1.000000 USD


@pytest.mark.parametrize("observed,status", [(1.0, "pass"), (1.09, "pass"), (0.91, "pass"), (1.11, "fail"), (0.89, "fail")])
def test_delta_tolerance_boundaries(observed, status):
    v = delta(observed, _chat("c1", *ONE))
    assert v.status == status and v.metrics["expected"] == 1.0


def test_delta_cached_tokens_are_priced_at_the_cached_rate():
    # 800 of 1,000 prompt tokens cached: 200 x 1000 + 800 x 100 = 0.28 USD input, + 500 x 2000 = 1.0 output.
    v = delta(1.28, _chat("c1", 1000, 500, cached=800))
    assert v.status == "pass" and v.metrics["expected"] == 1.28
    assert delta(2.0, _chat("c1", 1000, 500, cached=800)).status == "fail"  # billed as if nothing was cached


@pytest.mark.parametrize("cached", [0, 1001, -5])
def test_delta_ignores_impossible_cached_figures(cached):
    assert delta(2.0, _chat("c1", 1000, 500, cached=cached)).metrics["expected"] == 2.0


def test_delta_counts_only_billed_probes_and_the_runs_own_key():
    wrong_key = Exchange(**{**_chat("c2", *ONE).__dict__, "label": "wrong key"})
    v = delta(1.0, _chat("c1", *ONE), wrong_key, _chat("c3", *ONE, probe="cache"), _chat("c4", *ONE, probe="root"))
    assert v.status == "pass" and v.metrics["expected"] == 1.0
    assert delta(2.0, _chat("c1", *ONE), _chat("c2", *ONE, probe="twins")).metrics["expected"] == 2.0


def test_delta_too_coarse_a_step_and_nothing_billed_are_inconclusive():
    coarse_before, coarse_after = _spend("b0", "before", 10.5), _spend("b1", "after #1", 11.0)  # steps of 0.1
    t = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",), billing="litellm", pricing=PRICING)
    tiny = _chat("c1", 50, 25)  # 0.1 USD expected, a step of 0.1 > half of it
    assert registry()["billing.delta"].fn(CheckInput(t, None, (coarse_before, tiny, coarse_after))).status == "inconclusive"
    just_fine = _chat("c1", 100, 50)  # 0.2 USD expected: a step of 0.1 is exactly half, still judged
    v = registry()["billing.delta"].fn(CheckInput(t, None, (coarse_before, just_fine, _spend("b1", "after #1", 10.7))))
    assert v.status == "pass"
    assert delta(0.5).status == "inconclusive"  # no reply with usage


def test_delta_cut_replies_may_explain_an_excess_but_not_more():
    cut = _chat("c2", 0, 0, status=200, error="reset", error_kind="read")
    cut = Exchange(**{**cut.__dict__, "body": "", "request_body": json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100})})
    assert delta(1.15, _chat("c1", *ONE), cut).status == "inconclusive"
    assert delta(1.0, _chat("c1", *ONE), cut).status == "pass"
    assert delta(5.0, _chat("c1", *ONE), cut).status == "fail"


# usage.cache: the first request calibrates within 10%; then the repeat is nearer the cached or the full price.
FIRST, REPEAT = (1000, 500, 0), (1000, 500, 800)
FULL = 2.0
DISCOUNTED = 2.0 - 800 * (1000 - 100) / 1e6  # 1.28


def cache(first_cost: float, repeat_cost: float, start: float = 1.123457):
    def reading(xid: str, label: str, spend: float) -> Exchange:
        return _x(xid, "", f"{label}: litellm", {"info": {"spend": round(spend, 6), "max_budget": 100.0}}, probe="cache", method="GET")

    first, repeat = (_chat(f"c{i}", p, c, cached) for i, (p, c, cached) in enumerate((FIRST, REPEAT)))
    xs = (Exchange(**{**first.__dict__, "probe": "cache", "label": "first"}), Exchange(**{**repeat.__dict__, "probe": "cache", "label": "repeat"}),
          reading("r0", "start", start), reading("r1", "after first #1", start + first_cost),
          reading("r2", "after repeat #1", start + first_cost + repeat_cost))
    t = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",), billing="litellm", pricing=PRICING)
    return registry()["usage.cache"].fn(CheckInput(t, None, xs))


@pytest.mark.parametrize("repeat_cost,status", [
    (DISCOUNTED, "pass"), (DISCOUNTED + 0.35 * (FULL - DISCOUNTED), "pass"),
    (DISCOUNTED + 0.65 * (FULL - DISCOUNTED), "fail"), (FULL, "fail"),
    (FULL + 0.6 * (FULL - DISCOUNTED), "inconclusive"), (DISCOUNTED - 0.6 * (FULL - DISCOUNTED), "inconclusive"),
])
def test_cache_price_boundaries(repeat_cost, status):
    v = cache(FULL, repeat_cost)
    assert v.status == status and v.metrics["discounted"] == round(DISCOUNTED, 8)


@pytest.mark.parametrize("first_cost,status", [(FULL * 1.09, "pass"), (FULL * 0.91, "pass"), (FULL * 1.11, "inconclusive"), (FULL * 0.89, "inconclusive")])
def test_cache_calibration_boundaries(first_cost, status):
    assert cache(first_cost, DISCOUNTED).status == status


# reliability.sampled: more than 20% failed fails; 20% exactly passes; half or more rate-limited cannot judge.
def _reliability(statuses):
    xs = tuple(_sample(i, s) for i, s in enumerate(statuses))
    t = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",))
    return registry()["reliability.sampled"].fn(CheckInput(t, None, xs))


@pytest.mark.parametrize("statuses,status", [
    ([200] * 4 + [502], "pass"),  # 20% exactly
    ([200] * 7 + [502] * 2, "fail"),  # 22%
    ([429] * 4 + [200] * 4, "pass"),  # half rate-limited: the other half is enough
    ([429] * 5 + [200] * 3, "inconclusive"),
])
def test_reliability_boundaries(statuses, status):
    assert _reliability(statuses).status == status


def test_reliability_ignores_samples_the_cost_cap_refused():
    capped = Exchange(**{**_sample(9, None).__dict__, "error_kind": "cost_cap"})
    xs = tuple(_sample(i, 200) for i in range(4)) + (capped,)
    t = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",))
    v = registry()["reliability.sampled"].fn(CheckInput(t, None, xs))
    assert v.status == "pass" and v.metrics["samples"] == 4
