"""models.limits: the refusal's named ceiling against the catalogue, every branch and the refusal dialects."""

from __future__ import annotations

import pytest

from relaycheck.checks.identity import named_ceiling
from relaycheck.core.models import ceilings, lookup
from relaycheck.probes.limits import CLOSE_AFTER_EVENTS, COMPLETION_CEILING, body, cost, over_the_ceiling
from test_checks_unit import chunk, ex, verdict


def _openai(asked: int, ceiling: int) -> str:
    return f"max_tokens is too large: {asked}. This model supports at most {ceiling} completion tokens, whereas you provided {asked}."


def _refused(text: str, status: int = 400, model: str = "gpt-4.1-mini"):
    return ex("l1", probe="limits", model=model, status=status,
              body={"error": {"message": text, "type": "invalid_request_error", "param": "max_tokens", "code": "invalid_value"}})


def test_the_probe_asks_one_over_the_catalogued_ceiling_and_reads_little():
    assert over_the_ceiling("gpt-4.1-mini") == lookup("gpt-4.1-mini").max_output_tokens + 1 == 32_769
    assert over_the_ceiling("gpt-4o-mini") == 16_385
    sent = body("gpt-4o-mini", 16_385)
    assert sent["max_tokens"] == 16_385 and sent["stream"] is True
    assert body("o4-mini", 100_001)["max_completion_tokens"] == 100_001  # a reasoning model's limit field
    assert (CLOSE_AFTER_EVENTS, COMPLETION_CEILING) == (3, 16)
    assert cost("gpt-4o-mini").requests == 1 and cost("gpt-4o-mini").completion_tokens == COMPLETION_CEILING
    assert over_the_ceiling("mock-gpt") is None and cost("mock-gpt").requests == 0  # nothing to ask past


@pytest.mark.parametrize("text,named", [
    (_openai(32_769, 16_384), 16_384),
    ("max_tokens: 70001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-20250514", 64_000),
    ("max_tokens must be less than or equal to 4096", 4096),
    ("'max_tokens' must be at most 8,192", 8192),
    ("This model's maximum context length is 128000 tokens. However, you requested 160000 tokens", None),  # context, not output
    ("Invalid value for max_tokens", None),
    ("", None),
])
def test_the_named_ceiling_is_read_in_each_dialect(text, named):
    assert named_ceiling(text) == named


def test_the_claimed_ceiling_passes_and_a_siblings_fails_naming_it():
    assert verdict("models.limits", _refused(_openai(32_769, 32_768)), model="gpt-4.1-mini").status == "pass"
    v = verdict("models.limits", _refused(_openai(32_769, 16_384)), model="gpt-4.1-mini")
    assert v.status == "fail" and "16384" in v.summary and "gpt-4o-mini" in v.metrics["implied_models"]
    assert "gpt-4.1-mini" not in v.metrics["implied_models"]


def test_one_off_ceilings_are_not_the_claimed_one():
    # One below and one above the claimed ceiling name no catalogued model: never a pass, never a guess.
    for named in (32_767, 32_769):
        assert verdict("models.limits", _refused(_openai(32_769, named)), model="gpt-4.1-mini").status == "inconclusive"


def test_a_dated_snapshots_own_ceiling_is_the_claimed_models():
    # gpt-4o-2024-05-13 allowed 4,096 output tokens while later gpt-4o snapshots allow 16,384: both are gpt-4o.
    assert ceilings("gpt-4o") == {16_384, 4096}
    assert verdict("models.limits", _refused(_openai(16_385, 4096), model="gpt-4o"), model="gpt-4o").status == "pass"
    assert verdict("models.limits", _refused(_openai(16_385, 16_384), model="gpt-4o"), model="gpt-4o").status == "pass"


def test_what_cannot_be_read_is_inconclusive_never_a_fail():
    clamped = ex("l1", probe="limits", model="gpt-4.1-mini", sse=[chunk("OK"), chunk("", finish="stop")])
    assert verdict("models.limits", clamped, model="gpt-4.1-mini").status == "inconclusive"
    generic = _refused("Invalid value for max_tokens")
    assert verdict("models.limits", generic, model="gpt-4.1-mini").status == "inconclusive"
    context = _refused("This model's maximum context length is 16385 tokens.")
    assert verdict("models.limits", context, model="gpt-4.1-mini").status == "inconclusive"
    server = _refused(_openai(32_769, 16_384), status=500)  # a number in a 500 is not a refusal of the limit
    assert verdict("models.limits", server, model="gpt-4.1-mini").status == "inconclusive"
    unsent = ex("l1", probe="limits", model="gpt-4.1-mini", status=None, error="refused", error_kind="unreachable")
    assert verdict("models.limits", unsent, model="gpt-4.1-mini").status == "inconclusive"
    assert verdict("models.limits", model="gpt-4.1-mini").status == "inconclusive"  # not sent at all
    assert verdict("models.limits", model="mock-gpt").status == "inconclusive"  # not in the catalogue


def test_a_ceiling_of_another_vendors_model_only_is_inconclusive():
    # 64,000 is a Claude ceiling: an OpenAI name refused with it is odd, but no OpenAI model has it.
    v = verdict("models.limits", _refused(_openai(32_769, 64_000)), model="gpt-4.1-mini")
    assert v.status == "inconclusive"
