"""usage.cache_control (Anthropic Messages, deep): the cache fields of a marked prefix sent twice, and the request
that marks it."""

from __future__ import annotations

import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.config.targets import Target
from relaycheck.probes.cachecontrol import body
from relaycheck.wire.exchange import Exchange, Timings

MODEL = "claude-sonnet-4-5"


def test_the_request_marks_its_long_system_prompt_for_caching():
    sent = body(MODEL, "rc-nonce-1", "first")
    (block,) = sent["system"]
    assert block["cache_control"] == {"type": "ephemeral"} and block["text"].startswith("Session rc-nonce-1.") and len(block["text"]) > 20000
    assert sent["messages"][0]["content"].endswith("first") and sent["max_tokens"] == 8


def _x(xid: str, label: str, usage: dict | None, status: int = 200) -> Exchange:
    reply = {"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "content": [{"type": "text", "text": "ok"}],
             "stop_reason": "end_turn", **({"usage": usage} if usage is not None else {})}
    text = json.dumps(reply if status == 200 else {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    return Exchange(id=xid, probe="cachecontrol", model=MODEL, label=label, method="POST", url="http://r/v1/messages", request_headers=(),
                    request_body="{}", status=status, response_headers=(("content-type", "application/json"),), body=text, body_bytes=len(text),
                    body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0))


def _u(written: int | None, read: int | None) -> dict:
    usage = {"input_tokens": 20, "output_tokens": 2}
    if written is not None:
        usage["cache_creation_input_tokens"] = written
    if read is not None:
        usage["cache_read_input_tokens"] = read
    return usage


@pytest.mark.parametrize("first, repeat, status, words", [
    (_u(2258, 0), _u(0, 2176), "pass", "wrote 2258 tokens to the cache, the repeat read 2176"),
    (_u(0, 2000), _u(0, 2000), "pass", "read 2000"),
    (_u(2258, 0), _u(2258, 0), "warn", "written to the cache twice"),  # one pair can miss honestly
    (_u(None, None), _u(None, None), "warn", "does not reach an Anthropic backend"),
    (_u(0, 0), _u(0, 0), "inconclusive", "minimum cacheable length"),
    (_u(2258, 0), _u(None, None), "inconclusive", "not ready for the repeat"),
    (None, _u(0, 2000), "inconclusive", "no usage at all"),
])
def test_the_cache_fields_get_their_verdict(first, repeat, status, words):
    target = Target("t", "http://r", "K", (MODEL,), protocol="anthropic")
    verdict = registry()["usage.cache_control"].fn(CheckInput(target, MODEL, (_x("x1", "first", first), _x("x2", "repeat", repeat))))
    assert verdict.status == status and words in verdict.summary, verdict.summary


def test_a_pair_that_was_not_answered_twice_is_inconclusive():
    target = Target("t", "http://r", "K", (MODEL,), protocol="anthropic")
    check = registry()["usage.cache_control"].fn
    assert check(CheckInput(target, MODEL, (_x("x1", "first", _u(1, 0)),))).status == "inconclusive"
    assert check(CheckInput(target, MODEL, (_x("x1", "first", _u(1, 0)), _x("x2", "repeat", None, status=529)))).status == "inconclusive"
