"""models.twins and usage.cache judged on hand-made exchanges: every branch of the verdicts, no relay needed."""

from __future__ import annotations

import json

from relaycheck.checks import CheckInput, registry
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.config.targets import Price, Pricing, Target


def _x(xid: str, model: str, label: str, body: object, probe: str = "twins", status: int = 200, method: str = "POST") -> Exchange:
    text = json.dumps(body)
    return Exchange(id=xid, probe=probe, model=model, label=label, method=method, url="http://127.0.0.1:9/v1/chat/completions",
                    request_headers=(), request_body="{}", status=status, response_headers=(("content-type", "application/json"),),
                    body=text, body_bytes=len(text), body_utf8_ok=True, body_truncated=False, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0))


def _reply(content: str, prompt_tokens: int | None = 22, completion_tokens: int = 15, cached: int | None = None) -> dict:
    usage: dict = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": (prompt_tokens or 0) + completion_tokens}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            **({"usage": usage} if prompt_tokens is not None else {})}


def _twins(answers: dict[str, list[dict]]):
    """answers: model -> the four replies (prompt 1 ask 1, prompt 1 ask 2, prompt 2 ask 1, prompt 2 ask 2)."""
    labels = ("prompt 1 ask 1", "prompt 1 ask 2", "prompt 2 ask 1", "prompt 2 ask 2")
    xs = tuple(_x(f"x{m}{i}", m, label, body) for m, bodies in answers.items() for i, (label, body) in enumerate(zip(labels, bodies)))
    target = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=tuple(answers))
    return registry()["models.twins"].fn(CheckInput(target, None, xs))


def _same(text: str, **kw) -> list[dict]:
    return [_reply(text, **kw)] * 4


def test_two_vendors_with_identical_replies_and_counts_fail():
    verdict = _twins({"gpt-4o-mini": _same("A harbour glows."), "claude-sonnet-4-5": _same("A harbour glows.")})
    assert verdict.status == "fail" and "one backend behind two vendor names" in verdict.summary
    assert "OpenAI" in verdict.summary and "Anthropic" in verdict.summary and verdict.evidence


def test_different_replies_pass_and_identical_text_with_other_counts_is_not_a_twin():
    assert _twins({"gpt-4o-mini": _same("A harbour glows."), "claude-sonnet-4-5": _same("The cafe hums.")}).status == "pass"
    other_tokenizer = _same("A harbour glows.", prompt_tokens=25, completion_tokens=17)
    assert _twins({"gpt-4o-mini": _same("A harbour glows."), "claude-sonnet-4-5": other_tokenizer}).status == "pass"


def test_identical_replies_without_usage_are_inconclusive():
    verdict = _twins({"gpt-4o-mini": _same("A harbour glows.", prompt_tokens=None), "claude-sonnet-4-5": _same("A harbour glows.", prompt_tokens=None)})
    assert verdict.status == "inconclusive" and "no usage" in verdict.summary


def test_models_that_never_reproduce_themselves_are_inconclusive():
    noisy = [_reply("one"), _reply("two"), _reply("three"), _reply("four")]
    verdict = _twins({"gpt-4o-mini": noisy, "claude-sonnet-4-5": _same("The cafe hums.")})
    assert verdict.status == "inconclusive" and "gpt-4o-mini did not give the same reply twice" in verdict.summary


def test_one_reproducible_prompt_is_enough_to_compare():
    half = [_reply("A."), _reply("B."), _reply("Same."), _reply("Same.")]
    assert _twins({"gpt-4o-mini": half, "claude-sonnet-4-5": _same("Same.")}).status == "fail"


def test_same_vendor_aliases_are_information_not_a_failure():
    verdict = _twins({"gpt-4o": _same("A."), "gpt-4o-2024-08-06": _same("A."), "claude-sonnet-4-5": _same("B.")})
    assert verdict.status == "pass" and "gpt-4o and gpt-4o-2024-08-06 answer identically" in verdict.summary
    only_openai = _twins({"gpt-4o": _same("A."), "gpt-4o-2024-08-06": _same("A.")})
    assert only_openai.status == "skip" and "aliases" in only_openai.summary


def test_unknown_vendors_are_never_failed():
    assert _twins({"my-house-model": _same("A."), "gpt-4o-mini": _same("A.")}).status == "skip"


def test_one_model_is_a_skip():
    assert _twins({"gpt-4o-mini": _same("A.")}).status == "skip"


PRICED = Pricing("USD", {"gpt-4o-mini": Price(0.15, 0.60, 0.075)})


def _cache(first: dict, repeat: dict, **target):
    xs = (_x("c1", "gpt-4o-mini", "first", first, probe="cache"), _x("c2", "gpt-4o-mini", "repeat", repeat, probe="cache"))
    t = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",), **target)
    return registry()["usage.cache"].fn(CheckInput(t, None, xs))


def test_cache_reports_the_cached_tokens_and_needs_billing_to_judge_their_price():
    verdict = _cache(_reply("first", 1320, 2, 0), _reply("repeat", 1320, 2, 1280))
    assert verdict.status == "inconclusive" and "1280 of its 1320 prompt tokens cached" in verdict.summary
    assert verdict.metrics["cached_tokens"] == 1280
    priced_only = _cache(_reply("first", 1320, 2, 0), _reply("repeat", 1320, 2, 1280), pricing=PRICED)
    assert priced_only.status == "inconclusive" and "needs billing" in priced_only.summary


def test_cache_without_a_hit_or_with_nonsense_is_inconclusive():
    assert "no cached tokens" in _cache(_reply("a", 1320, 2, 0), _reply("b", 1320, 2, 0)).summary
    assert "absent" in _cache(_reply("a", 1320, 2), _reply("b", 1320, 2)).summary
    assert "more than the prompt has" in _cache(_reply("a", 1320, 2, 0), _reply("b", 1320, 2, 5000)).summary


def test_cache_billing_verdicts_follow_the_balance():
    # one-api style readings (cents spent): start, after the first request, after the repeat.
    def reading(xid: str, label: str, cents: float) -> tuple[Exchange, ...]:
        sub = {"object": "billing_subscription", "hard_limit_usd": 10.0, "soft_limit_usd": 10.0, "system_hard_limit_usd": 10.0, "has_payment_method": True}
        return (_x(xid + "s", "", f"{label}: oneapi", sub, probe="cache", method="GET"),
                _x(xid + "u", "", f"{label}: oneapi", {"object": "list", "total_usage": cents}, probe="cache", method="GET"))

    first, repeat = _reply("first", 1320, 2, 0), _reply("repeat", 1320, 2, 1280)
    full_first = (1320 * 0.15 + 2 * 0.60) / 1e6
    discounted = full_first - 1280 * (0.15 - 0.075) / 1e6

    def judge(repeat_cost: float, first_cost: float = full_first):
        xs = (_x("c1", "gpt-4o-mini", "first", first, probe="cache"), _x("c2", "gpt-4o-mini", "repeat", repeat, probe="cache"))
        xs += reading("r0", "start", 0.0) + reading("r1", "after first #1", first_cost * 100)
        xs += reading("r2", "after repeat #1", (first_cost + repeat_cost) * 100)
        t = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",), pricing=PRICED, billing="oneapi")
        return registry()["usage.cache"].fn(CheckInput(t, None, xs))

    assert judge(discounted).status == "pass"
    assert judge(full_first).status == "fail"
    assert judge(full_first * 3).status == "inconclusive"  # neither price: billing.delta's business
    assert judge(discounted, first_cost=full_first * 2).status == "inconclusive"  # no calibration
