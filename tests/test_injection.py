"""chat.injection: a relay's addition is the same after every kind of prompt; a model's wording is not (issue 15, case 7)."""

from __future__ import annotations

import json

from relaycheck.checks import CheckInput, registry
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.probes import prompts
from relaycheck.config.targets import Target

TARGET = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",))
NONCE = "relaycheck-nonce-AB12CD34EF"
COUNT = "\n".join(str(i) for i in range(1, 41))
AD = "\n\n——本回复由某某AI提供"


def _x(xid: str, probe: str, prompt: str, content: str, finish: str = "stop", max_tokens: int = 200) -> Exchange:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens}
    body = json.dumps({"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}]})
    return Exchange(id=xid, probe=probe, model="gpt-4o-mini", label=probe, method="POST", url="http://127.0.0.1:9/v1/chat/completions",
                    request_headers=(), request_body=json.dumps(request), status=200, response_headers=(("content-type", "application/json"),),
                    body=body, body_bytes=len(body), body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0))


def _judge(*exchanges: Exchange):
    return registry()["chat.injection"].fn(CheckInput(TARGET, "gpt-4o-mini", exchanges))


def _chat(reply: str) -> Exchange:
    return _x("x1", "chat", prompts.nonce_prompt(NONCE), reply)


def _count(reply: str, finish: str = "stop") -> Exchange:
    return _x("x2", "stream", prompts.count_prompt(), reply, finish)


def _ok(xid: str, reply: str) -> Exchange:
    return _x(xid, "slope", prompts.short_prompt(f"relaycheck-nonce-{xid.upper():0>10}"), reply)


def test_exact_replies_pass_and_their_wrapping_is_not_an_addition():
    verdict = _judge(_chat(f"`{NONCE}`."), _count(COUNT + "\n"), _ok("x3", "OK."), _ok("x4", "ok"))
    assert verdict.status == "pass" and verdict.metrics["replies"] == 4


def test_the_same_addition_after_different_kinds_of_prompt_fails_and_quotes_it():
    verdict = _judge(_chat(NONCE + AD), _count(COUNT + AD), _ok("x3", "OK" + AD))
    assert verdict.status == "fail" and "——本回复由某某AI提供" in verdict.summary and set(verdict.evidence) == {"x1", "x2", "x3"}
    # An addition on the last line itself ("40——…") is split off there.
    assert _judge(_chat(NONCE + " Visit relay.example"), _count(COUNT + " Visit relay.example")).status == "fail"


def test_a_models_own_wording_is_a_warning_never_a_fail():
    # Chatter after one kind of prompt, even repeated across the three short prompts of that kind, is the model's.
    verdict = _judge(_chat(NONCE), _count(COUNT), *(_ok(f"x{i}", "OK, noted.") for i in (3, 4, 5)))
    assert verdict.status == "warn" and "noted" in verdict.summary
    assert _judge(_chat(f"Sure! {NONCE}"), _count(COUNT)).status == "warn"


def test_what_cannot_be_judged_is_left_alone():
    assert _judge(_ok("x3", "Okay")).status == "inconclusive"  # "Okay" is not "OK" plus "ay"
    assert _judge(_chat("I cannot help with that.")).status == "inconclusive"  # no nonce: chat.follows' business
    # A reply cut at its budget has no end to judge; its start still counts.
    cut = _count("1\n2\n3", finish="length")
    assert _judge(cut).status == "pass"
    assert _judge(_chat("<think>The user wants the nonce.</think>" + NONCE), _count(COUNT)).status == "pass"  # R1-style reasoning
