"""The deep parameter checks over the native protocols (issue 19): the output limit, stop sequences, temperature and a
forced tool call are sent in each protocol's own words, honoured by the fault-free demo and caught when dropped."""

from __future__ import annotations

import json

import pytest

from conftest import run_probe
from relaycheck.checks import CheckInput, registry
from relaycheck.config.targets import Target
from relaycheck.probes import params
from relaycheck.probes.structured import body_for, labels
from relaycheck.protocol.anthropic import MESSAGES
from relaycheck.protocol.chat import CHAT
from relaycheck.protocol.gemini import GEMINI
from relaycheck.protocol.responses import RESPONSES
from relaycheck.wire.exchange import Exchange, Timings

PARAMS = ("params.max_tokens", "params.stop", "params.temperature", "params.tools")
NATIVE = ("anthropic", "gemini", "responses")


@pytest.mark.parametrize("protocol", NATIVE)
def test_the_fault_free_demo_honours_every_parameter_in_its_own_protocol(tmp_path, protocol):
    run = run_probe(tmp_path, demo=True, protocol=protocol, only=PARAMS)
    target = run.report["targets"][0]
    got = {c["id"]: c["status"] for c in target["checks"]}
    # Responses has no stop parameter: nothing is sent for it, and the skip says so.
    expected = {cid: "skip" if (cid, protocol) == ("params.stop", "responses") else "pass" for cid in PARAMS}
    assert got == expected, {c["id"]: c["summary"] for c in target["checks"]}
    sent = {x["label"]: json.loads(x["request"]["body"]) for x in target["exchanges"] if x["probe"] in ("params", "structured")}
    if protocol == "anthropic":
        assert sent["stop"]["stop_sequences"] == [params.STOP_MARKER] and sent["temperature high #1"]["temperature"] == 1.0
        assert sent["tools"]["tool_choice"] == {"type": "tool", "name": "get_weather"}
    elif protocol == "gemini":
        assert sent["stop"]["generationConfig"]["stopSequences"] == [params.STOP_MARKER]
        assert sent["temperature high #1"]["generationConfig"]["temperature"] == params.HIGH_TEMPERATURE
        assert sent["max_tokens"]["generationConfig"]["maxOutputTokens"] == params.SMALL_LIMIT
    else:
        assert "stop" not in sent and "stop baseline" not in sent
        assert sent["max_tokens"]["max_output_tokens"] == 16  # OpenAI's least: the check judges against what was sent
    # Only the forced tool call is asked outside Chat Completions: JSON modes, n, logprobs and seed are its own.
    assert {x["label"] for x in target["exchanges"] if x["probe"] == "structured"} == {"tools", "tools stream"}


FLIPS = {"ignore_max_tokens": "params.max_tokens", "drop_stop": "params.stop", "ignore_temperature": "params.temperature"}


@pytest.mark.parametrize("protocol", ("anthropic", "gemini"))
@pytest.mark.parametrize("fault", sorted(FLIPS))
def test_a_dropped_parameter_is_caught_in_every_protocol(tmp_path, protocol, fault):
    run = run_probe(tmp_path, demo=True, protocol=protocol, fault=fault, only=PARAMS[:3])
    got = {c["id"]: c["status"] for c in run.report["targets"][0]["checks"]}
    assert got == {cid: "fail" if cid == FLIPS[fault] else "pass" for cid in PARAMS[:3]}, got


def test_tool_use_ids_translated_from_another_api_are_named():
    """A Messages reply whose tool_use ids are not Anthropic's warns with the format its prefix names; Bedrock's
    and Vertex's toolu_bdrk_ / toolu_vrtx_ are Anthropic's own."""
    target = Target("t", "http://127.0.0.1:9", "K", ("claude-sonnet-4-5",), protocol="anthropic")

    def exchanges(ident: str) -> tuple[Exchange, ...]:
        out = []
        for label in ("tools", "tools stream"):
            body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "stop_reason": "tool_use",
                    "content": [{"type": "tool_use", "id": ident, "name": "get_weather", "input": {"city": "Paris"}}],
                    "usage": {"input_tokens": 5, "output_tokens": 5}}
            text = json.dumps(body)  # a stream is judged on its reassembled calls: a body stands in for both here
            out.append(Exchange(id=f"x{len(out) + 1}", probe="structured", model="claude-sonnet-4-5", label=label, method="POST",
                                url="http://127.0.0.1:9/v1/messages", request_headers=(), request_body="{}", status=200,
                                response_headers=(("content-type", "application/json"),), body=text, body_bytes=len(text),
                                body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0)))
        return tuple(out)

    check = registry()["params.tools"].fn
    for ident in ("toolu_01A", "toolu_bdrk_01A", "toolu_vrtx_01A"):
        assert check(CheckInput(target, "claude-sonnet-4-5", exchanges(ident))).status == "pass", ident
    for ident, origin in (("call_abc", "OpenAI Chat Completions"), ("tooluse_abc", "Bedrock's Converse API"), ("fc_1", "no known format")):
        verdict = check(CheckInput(target, "claude-sonnet-4-5", exchanges(ident)))
        assert verdict.status == "warn" and origin in verdict.summary and ident in verdict.summary, verdict
    # Over Chat Completions ids are not judged: OpenAI's call_ is not the only honest spelling there.
    openai = Target("t", "http://127.0.0.1:9/v1", "K", ("claude-sonnet-4-5",))
    assert check(CheckInput(openai, "claude-sonnet-4-5", exchanges("call_abc"))).status == "pass"


def test_a_limit_with_room_for_the_whole_reply_is_inconclusive_not_a_failure():
    """A Gemini model that always thinks gets a limit above its least thinking: the reply fits, so nothing is cut."""
    body = params.limit_body("gemini-2.5-pro", GEMINI)
    assert GEMINI.budget_of(body) >= params.NEEDED
    target = Target("t", "http://127.0.0.1:9/v1beta", "K", ("gemini-2.5-pro",), protocol="gemini")
    reply = {"candidates": [{"content": {"role": "model", "parts": [{"text": "1, 2, 3"}]}, "finishReason": "STOP"}],
             "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 70, "thoughtsTokenCount": 60, "totalTokenCount": 150}}
    text = json.dumps(reply)
    x = Exchange(id="x1", probe="params", model="gemini-2.5-pro", label="max_tokens", method="POST",
                 url="http://127.0.0.1:9/v1beta/models/gemini-2.5-pro:generateContent", request_headers=(),
                 request_body=json.dumps({k: v for k, v in body.items() if k != "model"}), status=200,
                 response_headers=(("content-type", "application/json"),), body=text, body_bytes=len(text), body_truncated=False,
                 body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0))
    verdict = registry()["params.max_tokens"].fn(CheckInput(target, "gemini-2.5-pro", (x,)))
    assert verdict.status == "inconclusive" and "room for the whole reply" in verdict.summary, verdict


def test_each_protocol_writes_its_parameters_where_it_takes_them():
    base = {"model": "m"}
    assert CHAT.with_param(base, "stop", ["7"]) == {"model": "m", "stop": ["7"]}
    assert MESSAGES.with_param(base, "stop", ["7"]) == {"model": "m", "stop_sequences": ["7"]}
    assert RESPONSES.with_param(base, "stop", ["7"]) is None
    gemini = {"model": "m", "generationConfig": {"maxOutputTokens": 5}}
    assert GEMINI.with_param(gemini, "stop", ["7"]) == {"model": "m", "generationConfig": {"maxOutputTokens": 5, "stopSequences": ["7"]}}
    assert gemini == {"model": "m", "generationConfig": {"maxOutputTokens": 5}}  # the caller's body is left as it was
    assert params.high_temperature(MESSAGES) == 1.0 and params.high_temperature(CHAT) == params.HIGH_TEMPERATURE
    assert labels(CHAT) != labels(MESSAGES) == ("tools", "tools stream")
    assert body_for("claude-sonnet-4-5", "tools", MESSAGES)["tools"][0]["input_schema"]["required"] == ["city"]
