"""models.thinking (Anthropic Messages, deep): the wire helpers that continue a conversation with a thinking block,
and the verdict for every way a relay can answer (signed and verified, unsigned, altered accepted, refused)."""

from __future__ import annotations

import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.config.targets import Target
from relaycheck.probes.thinking import RESULT, first_body
from relaycheck.protocol import thinking
from relaycheck.wire.exchange import Exchange, Timings

MODEL = "claude-sonnet-4-5"
SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds" + "A" * 40
THOUGHT = {"type": "thinking", "thinking": "I will call get_time.", "signature": SIGNATURE}
CALL = {"type": "tool_use", "id": "toolu_01", "name": "get_time", "input": {"city": "Paris"}}
REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "content": [THOUGHT, CALL], "stop_reason": "tool_use",
         "usage": {"input_tokens": 400, "output_tokens": 60}}


def test_the_first_request_enables_thinking_as_anthropic_requires():
    body = first_body(MODEL)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024} and body["max_tokens"] > 1024
    assert "temperature" not in body and "tool_choice" not in body and body["tools"][0]["name"] == "get_time"


def test_the_next_turn_sends_the_reply_back_with_a_result_for_each_call():
    body = first_body(MODEL)
    same, changed = thinking.next_turn(body, REPLY, RESULT), thinking.next_turn(body, REPLY, RESULT, alter=True)
    assert same["messages"][1] == {"role": "assistant", "content": [THOUGHT, CALL]}
    assert same["messages"][2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": RESULT}]}
    sent = changed["messages"][1]["content"][0]["signature"]
    assert sent != SIGNATURE and len(sent) == len(SIGNATURE) and sum(a != b for a, b in zip(sent, SIGNATURE)) == 1
    assert changed["messages"][1]["content"][1] == CALL and REPLY["content"][0]["signature"] == SIGNATURE  # the reply is left alone


@pytest.mark.parametrize("signature", ["", "A", "ab", "+/" * 30, "=="])
def test_an_altered_signature_always_differs(signature):
    assert thinking.altered(signature) != signature


def test_thinking_blocks_are_read_whatever_their_shape():
    body = {"content": [THOUGHT, {"type": "redacted_thinking", "data": "xyz"}, {"type": "thinking", "signature": 5}, "junk", None]}
    assert thinking.thoughts(body) == (thinking.Thought("thinking", SIGNATURE), thinking.Thought("redacted_thinking", "xyz"),
                                       thinking.Thought("thinking", ""))
    assert thinking.thoughts([]) == () and thinking.tool_uses({"content": [CALL, {"type": "tool_use", "id": 5}]}) == ("toolu_01",)


def _x(xid: str, label: str, status: int | None, body: object) -> Exchange:
    text = json.dumps(body) if body is not None else ""
    return Exchange(id=xid, probe="thinking", model=MODEL, label=label, method="POST", url="http://127.0.0.1:9/v1/messages",
                    request_headers=(), request_body="{}", status=status, response_headers=(("content-type", "application/json"),), body=text,
                    body_bytes=len(text), body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0),
                    error=None if status is not None else "timed out", error_kind=None if status is not None else "read")


def _error(message: str) -> dict:
    return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


OK = {**REPLY, "content": [{"type": "text", "text": "It is 14:05 in Paris."}], "stop_reason": "end_turn"}
BAD_SIGNATURE = _error("messages.1.content.0: Invalid `signature` in `thinking` block")


def _verdict(first, returned=None, altered=None):
    found = [_x("x1", "thinking", *first)]
    found += [_x("x2", "thinking returned", *returned)] if returned else []
    found += [_x("x3", "signature altered", *altered)] if altered else []
    target = Target("t", "http://127.0.0.1:9", "K", (MODEL,), protocol="anthropic")
    return registry()["models.thinking"].fn(CheckInput(target, MODEL, tuple(found)))


@pytest.mark.parametrize("first, returned, altered, status, words", [
    ((200, REPLY), (200, OK), (400, BAD_SIGNATURE), "pass", "the signature was verified"),
    ((200, REPLY), (200, OK), (200, OK), "fail", "signature altered and was accepted"),
    ((200, {**REPLY, "content": [{**THOUGHT, "signature": ""}, CALL]}), None, None, "fail", "has no signature"),
    ((200, {**REPLY, "content": [{"type": "thinking", "thinking": "x"}, CALL]}), None, None, "fail", "has no signature"),
    ((200, {**REPLY, "content": [CALL]}), None, None, "inconclusive", "no thinking block"),
    ((200, {**REPLY, "content": [{"type": "redacted_thinking", "data": "e"}, CALL]}), None, None, "inconclusive", "only redacted thinking"),
    ((200, {**REPLY, "content": [THOUGHT, {"type": "text", "text": "14:05"}]}), None, None, "inconclusive", "without calling the tool"),
    ((400, _error("thinking: Extra inputs are not permitted")), None, None, "inconclusive", "offers no extended thinking"),
    ((429, _error("rate limited")), None, None, "inconclusive", "the thinking request failed"),
    ((200, REPLY), (400, BAD_SIGNATURE), (400, BAD_SIGNATURE), "fail", "refused its own thinking block sent back unchanged"),
    ((200, REPLY), (400, _error("tool_result not supported")), (400, BAD_SIGNATURE), "inconclusive", "both continuations were refused"),
    ((200, REPLY), (200, OK), (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}), "inconclusive", "no usable answer"),
    ((200, REPLY), (None, None), (400, BAD_SIGNATURE), "inconclusive", "no usable answer"),
    ((200, REPLY), None, None, "inconclusive", "was not continued"),
])
def test_every_answer_gets_its_verdict(first, returned, altered, status, words):
    verdict = _verdict(first, returned, altered)
    assert verdict.status == status and words in verdict.summary, verdict.summary
    assert verdict.evidence  # a verdict on a reply cites it


def test_nothing_sent_is_inconclusive():
    target = Target("t", "http://127.0.0.1:9", "K", (MODEL,), protocol="anthropic")
    assert registry()["models.thinking"].fn(CheckInput(target, MODEL, ())).status == "inconclusive"


def test_a_model_that_is_not_claude_is_skipped_and_nothing_is_sent():
    from relaycheck.probes.thinking import cost

    target = Target("t", "http://127.0.0.1:9", "K", ("glm-4.6",), protocol="anthropic")
    assert registry()["models.thinking"].fn(CheckInput(target, "glm-4.6", ())).status == "skip"
    assert cost("glm-4.6").requests == 0 and cost(MODEL).requests == 3


def test_a_relay_that_strips_the_altered_block_is_warned_not_accused():
    billed = lambda n: {**OK, "usage": {"input_tokens": n, "output_tokens": 9}}  # noqa: E731
    verdict = _verdict((200, REPLY), (200, billed(480)), (200, billed(420)))
    assert verdict.status == "warn" and "removed the block before the backend saw it" in verdict.summary
    assert _verdict((200, REPLY), (200, billed(480)), (200, billed(478))).status == "fail"  # the block reached the model
    assert _verdict((200, REPLY), (200, billed(480)), (200, billed(470))).status == "fail"  # 10 fewer is noise (the bound)
    assert _verdict((200, REPLY), (200, billed(480)), (200, billed(469))).status == "warn"
