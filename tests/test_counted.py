"""usage.counted (Anthropic Messages, Gemini): the billed prompt tokens held against the relay's own count endpoint,
and the count requests built for each protocol."""

from __future__ import annotations

import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.config.targets import Target
from relaycheck.probes.count import PROMPT
from relaycheck.protocol.anthropic import MESSAGES
from relaycheck.protocol.gemini import GEMINI
from relaycheck.wire.exchange import Exchange, Timings


def test_the_count_requests_carry_the_request_without_its_limits():
    url, body = MESSAGES.count_request("http://r/anthropic", MESSAGES.with_system(MESSAGES.body("claude-x", PROMPT, 1, 16), "sys"))
    assert url == "http://r/anthropic/v1/messages/count_tokens"
    assert body == {"model": "claude-x", "messages": [{"role": "user", "content": PROMPT}], "system": "sys"}
    url, body = GEMINI.count_request("http://r/google", GEMINI.body("gemini-2.5-flash", PROMPT, 1, 16))
    assert url == "http://r/google/v1beta/models/gemini-2.5-flash:countTokens" and set(body) == {"contents"}
    assert GEMINI.route(url, body, "other") == (url, body)  # a URL naming its method is sent as it is
    assert (MESSAGES.counted({"input_tokens": 7}), GEMINI.counted({"totalTokens": 8}), GEMINI.counted({"totalTokens": "8"})) == (7, 8, None)


def _x(xid: str, label: str, status: int, body: object, url: str) -> Exchange:
    text = json.dumps(body)
    sent = json.dumps(GEMINI.body("m", PROMPT, 1, 16) if "v1beta" in url else MESSAGES.body("m", PROMPT, 1, 16))
    return Exchange(id=xid, probe="count", model="m", label=label, method="POST", url=url, request_headers=(), request_body=sent,
                    status=status, response_headers=(("content-type", "application/json"),), body=text, body_bytes=len(text),
                    body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0))


ANTHROPIC = ("anthropic", "http://r/v1/messages", "http://r/v1/messages/count_tokens",
             lambda n: {"type": "message", "content": [{"type": "text", "text": "OK"}], "usage": {"input_tokens": n, "output_tokens": 1}},
             lambda n: {"input_tokens": n})
GOOGLE = ("gemini", "http://r/v1beta/models/gemini-2.5-flash:generateContent", "http://r/v1beta/models/gemini-2.5-flash:countTokens",
          lambda n: {"candidates": [{"content": {"parts": [{"text": "OK"}]}, "finishReason": "STOP"}],
                     "usageMetadata": {"promptTokenCount": n, "candidatesTokenCount": 1, "totalTokenCount": n + 1}},
          lambda n: {"totalTokens": n})


@pytest.mark.parametrize("wire", [ANTHROPIC, GOOGLE], ids=["anthropic", "gemini"])
@pytest.mark.parametrize("billed, counted, status, verdict", [
    (67, 67, 200, "pass"), (70, 67, 200, "pass"), (64, 67, 200, "pass"),  # within the counter's documented few
    (80, 67, 200, "warn"), (50, 67, 200, "pass"),  # fewer billed than counted: Anthropic's count adds tokens it does not bill
    (30, 67, 200, "warn"),  # far fewer: odd, never an overcharge
    (67, 0, 200, "inconclusive"), (67, 3, 200, "inconclusive"),  # a relay's own stub of a counter is not the model's
    (187, 67, 200, "fail"),  # a hidden prompt
    (72, 67, 200, "pass"), (73, 67, 200, "warn"), (96, 67, 200, "warn"), (97, 67, 200, "fail"),  # the bounds: 5 close, 30 hidden
    (37, 67, 200, "pass"), (36, 67, 200, "warn"),  # 30 fewer billed than counted is still a counter's own additions
    (67, None, 404, "inconclusive"), (67, None, 500, "inconclusive"), (None, 67, 200, "inconclusive"),
])
def test_the_bill_is_held_against_the_relays_own_count(wire, billed, counted, status, verdict):
    protocol, chat_url, count_url, reply, count = wire
    billed_x = _x("x1", "billed", 200, reply(billed) if billed is not None else {"type": "message", "content": []}, chat_url)
    count_x = _x("x2", "counted", status, count(counted) if counted is not None else {"error": {"message": "Not Found"}}, count_url)
    target = Target("t", "http://r", "K", ("m",), protocol=protocol)
    result = registry()["usage.counted"].fn(CheckInput(target, "m", (billed_x, count_x)))
    assert result.status == verdict, result.summary
    if verdict in ("pass", "warn", "fail") or counted is not None and counted < 10:
        assert result.metrics["difference"] == billed - counted and result.evidence == ("x1", "x2")
