"""Boundary tests for the token-count checks: each tolerance met exactly passes, one token past it does not."""

from __future__ import annotations

import json

import pytest

from relaycheck.text import tokens
from relaycheck.checks.usage import COMPLETION_TOLERANCE, HIDDEN_FAIL, HIDDEN_WARN, SLOPE_TOLERANCE
from relaycheck.checks.reasoning import RATIO, SLACK
from test_checks_unit import chunk, ex, stream_ex, verdict

ENC = tokens.encoding_for("gpt-4o-mini")


def text_of(n: int) -> str:
    """A reply text of exactly `n` tokens in the model's encoding (asserted, so a tokenizer change shows here)."""
    text = "hello" + " a" * (n - 1)
    assert tokens.count_text(text, ENC) == n
    return text


def test_the_pinned_constants_are_the_documented_ones():
    # The boundaries below are written in tokens for these values; a changed constant must change them knowingly.
    assert (SLOPE_TOLERANCE, HIDDEN_WARN, HIDDEN_FAIL, COMPLETION_TOLERANCE, RATIO, SLACK) == (0.03, 6, 30, 0.03, 5.0, 8)


# usage.prompt: three prompts whose local counts (308, 608, 1208) have an integer mean, so hidden = h exactly.
SLOPE_TEXTS = {"1x": "word " * 300, "2x": "word " * 600, "4x": "word " * 1200}


def _slope(reported) -> str:
    xs = []
    for i, (label, text) in enumerate(sorted(SLOPE_TEXTS.items())):
        messages = [{"role": "user", "content": text}]
        counted = tokens.count_chat_prompt(messages, ENC)
        xs.append(counted)
        body = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": reported(counted), "completion_tokens": 1, "total_tokens": reported(counted) + 1}}
        yield ex(f"s{i}", probe="slope", label=label, body=body, request={"model": "gpt-4o-mini", "messages": messages})


def slope_status(reported) -> str:
    return verdict("usage.prompt", *_slope(reported)).status


def test_slope_local_counts_have_an_integer_mean():
    counts = [tokens.count_chat_prompt(x.request_json["messages"], ENC) for x in _slope(lambda c: c)]
    assert sum(counts) % 3 == 0


@pytest.mark.parametrize("hidden,status", [
    (0, "pass"), (5, "pass"), (6, "warn"), (29, "warn"), (30, "fail"),  # literals: a nudged constant must fail here too
    (-5, "pass"), (-6, "warn"),  # the negative overhead is a warn of its own
])
def test_hidden_overhead_boundaries(hidden, status):
    assert slope_status(lambda c: c + hidden) == status


def test_negative_overhead_warns_with_its_own_words():
    v = verdict("usage.prompt", *_slope(lambda c: c - 6))
    assert v.status == "warn" and "fewer per request" in v.summary


@pytest.mark.parametrize("slope,status", [(1.025, "pass"), (0.975, "pass"), (1.035, "fail"), (0.965, "fail")])
def test_slope_tolerance_boundaries(slope, status):
    # Scaled through the origin, so the intercept (the hidden overhead) stays about 0 and only the slope is judged.
    assert slope_status(lambda c: round(slope * c)) == status


def test_slope_needs_three_points_and_usable_counts():
    points = list(_slope(lambda c: c))
    assert verdict("usage.prompt", *points[:2]).status == "inconclusive"
    broken = ex("s9", probe="slope", label="4x", status=500, body={"error": {"message": "x"}})
    assert verdict("usage.prompt", *points[:2], broken).status == "inconclusive"


# usage.completion: max(2, round(3% of the count)) either way; above fails, below warns.
def _reply(text: str, completion: int, probe: str = "chat", xid: str = "c1", reasoning: int | None = None):
    usage = {"prompt_tokens": 5, "completion_tokens": completion, "total_tokens": 5 + completion}
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}], "usage": usage}
    return ex(xid, probe=probe, body=body)


@pytest.mark.parametrize("n,reported,status", [
    (100, 103, "pass"), (100, 104, "fail"), (100, 97, "pass"), (100, 96, "warn"),  # 3% of 100 is 3
    (10, 12, "pass"), (10, 13, "fail"), (10, 8, "pass"), (10, 7, "warn"),  # the floor of 2 tokens
])
def test_completion_tolerance_boundaries(n, reported, status):
    assert verdict("usage.completion", _reply(text_of(n), reported)).status == status


def test_completion_reasoning_is_added_to_the_count_and_any_inflated_reply_fails():
    assert verdict("usage.completion", _reply(text_of(10), 60, reasoning=50)).status == "pass"
    assert verdict("usage.completion", _reply(text_of(10), 60, reasoning=0)).status == "fail"
    honest, inflated = _reply(text_of(10), 10, xid="c1"), _reply(text_of(10), 13, probe="long", xid="c2")
    v = verdict("usage.completion", honest, inflated)
    assert v.status == "fail" and v.evidence == ("c2",)


def test_completion_stream_path_is_judged_too():
    frames = [chunk(text_of(100)), chunk(finish="stop"),
              b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":104,"total_tokens":107}}\n\n', b"data: [DONE]\n\n"]
    assert verdict("usage.completion", stream_ex(frames)).status == "fail"


# stream.usage: max(2, round(5% of the count)), either way.
def _stream(text: str, completion: int, reasoning: int = 0):
    usage = {"prompt_tokens": 3, "completion_tokens": completion, "total_tokens": 3 + completion,
             "completion_tokens_details": {"reasoning_tokens": reasoning}}
    return stream_ex([chunk(text), chunk(finish="stop"), b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n",
                      b"data: [DONE]\n\n"])


@pytest.mark.parametrize("n,reported,status", [
    (100, 105, "pass"), (100, 106, "fail"), (100, 95, "pass"), (100, 94, "fail"),  # 5% of 100 is 5
    (10, 12, "pass"), (10, 13, "fail"), (10, 8, "pass"), (10, 7, "fail"),  # the floor of 2 tokens
])
def test_stream_usage_tolerance_boundaries(n, reported, status):
    assert verdict("stream.usage", _stream(text_of(n), reported)).status == status


def test_stream_usage_reasoning_widens_the_expected_count_only_by_itself():
    assert verdict("stream.usage", _stream(text_of(100), 205, reasoning=100)).status == "pass"  # 200 expected, ±10
    assert verdict("stream.usage", _stream(text_of(100), 211, reasoning=100)).status == "fail"


def test_stream_usage_needs_a_usage_chunk_that_adds_up():
    no_usage = stream_ex([chunk("hi"), chunk(finish="stop"), b"data: [DONE]\n\n"])
    assert verdict("stream.usage", no_usage).status == "fail"
    bad = stream_ex([chunk("hi"), chunk(finish="stop"),
                     b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":5}}\n\n', b"data: [DONE]\n\n"])
    assert verdict("stream.usage", bad).status == "fail"


# usage.reasoning: billed > max(visible + SLACK, RATIO * visible) with no reasoning reported, in most replies.
def _sample(i: int, text: str, completion: int, **usage_extra):
    usage = {"prompt_tokens": 5, "completion_tokens": completion, "total_tokens": 5 + completion, **usage_extra}
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}], "usage": usage}
    return ex(f"r{i}", probe="reliability", label=f"sample #{i}", body=body)


@pytest.mark.parametrize("visible,billed,status", [
    (1, 9, "pass"), (1, 10, "warn"),  # one visible token: the slack of 8 decides
    (3, 15, "pass"), (3, 16, "warn"),  # three visible tokens: the ratio of 5 decides (15 > 3 + 8)
])
def test_reasoning_surplus_boundaries(visible, billed, status):
    assert verdict("usage.reasoning", *(_sample(i, text_of(visible), billed) for i in range(2)), model=None).status == status


def test_reasoning_needs_a_majority_and_reported_reasoning_explains_it():
    one_of_two = (_sample(0, "OK", 40), _sample(1, "OK", 1))
    assert verdict("usage.reasoning", *one_of_two, model=None).status == "pass"
    two_of_three = (_sample(0, "OK", 40), _sample(1, "OK", 40), _sample(2, "OK", 1))
    assert verdict("usage.reasoning", *two_of_three, model=None).status == "warn"
    reported = (_sample(0, "OK", 40, completion_tokens_details={"reasoning_tokens": 39}), _sample(1, "OK", 40))
    assert verdict("usage.reasoning", *reported, model=None).status == "pass"
