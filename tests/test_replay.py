"""chat.replay: another request's nonce or answer in a reply is a replay; a retry's same answer is not (issue 15, case 8)."""

from __future__ import annotations

from relaycheck.checks import CheckInput, registry
from relaycheck.probes import prompts

from test_injection import COUNT, NONCE, TARGET, _x

OTHER = "relaycheck-nonce-ZZ99YY88XX"


def _judge(*exchanges):
    return registry()["chat.replay"].fn(CheckInput(TARGET, "gpt-4o-mini", exchanges))


def test_honest_replies_pass():
    verdict = _judge(_x("x1", "chat", prompts.nonce_prompt(NONCE), NONCE), _x("x2", "stream", prompts.count_prompt(), COUNT),
                     _x("x3", "slope", prompts.short_prompt(OTHER), "OK"))
    assert verdict.status == "pass"


def test_another_requests_nonce_is_a_replay_naming_both_exchanges():
    first = _x("x1", "chat", prompts.nonce_prompt(NONCE), NONCE)
    second = _x("x2", "long", prompts.long_prompt(OTHER, 750), NONCE)  # the long prompt answered with x1's reply
    verdict = _judge(first, second)
    assert verdict.status == "fail" and set(verdict.evidence) == {"x1", "x2"} and "x1's nonce" in verdict.summary


def test_another_demands_answer_to_the_letter_is_a_replay():
    ok = _x("x1", "slope", prompts.short_prompt(OTHER), "OK")
    count = _x("x2", "stream", prompts.count_prompt(), "OK")  # the count prompt answered "OK": the slope reply came back
    assert _judge(ok, count).status == "fail"
    # A model that simply fails the count demand, in its own words, is no replay.
    assert _judge(ok, _x("x2", "stream", prompts.count_prompt(), "I cannot count today.")).status == "pass"


def test_a_retry_of_the_same_request_may_get_the_same_answer():
    body = prompts.nonce_prompt(NONCE)
    assert _judge(_x("x1", "chat", body, NONCE), _x("x2", "chat", body, NONCE)).status == "pass"
