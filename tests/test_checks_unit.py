"""Check logic on synthetic exchanges: the edges where a false alarm or a miss would happen."""

from __future__ import annotations

import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.checks._util import same_model
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.wire.sse import SSEReader
from relaycheck.config.targets import Target

TARGET = Target(name="t", base_url="https://relay.example/v1", api_key_env="K", models=("gpt-4o-mini",))


def ex(xid="x1", probe="chat", model="gpt-4o-mini", status=200, body=None, label="auth: bearer", sse=None, ctype=None, request=None, **kw) -> Exchange:
    events, total, comments, tail = (), 0, 0, ""
    if sse is not None:
        reader = SSEReader()
        for i, piece in enumerate(sse):
            reader.feed(piece, float(i * 10))
        events, total, comments, tail = tuple(reader.events), reader.events_total, reader.comments, reader.tail()
    text = body if isinstance(body, str) else (json.dumps(body) if body is not None else "")
    headers = (("content-type", ctype or ("text/event-stream" if sse is not None else "application/json")),)
    return Exchange(
        id=xid, probe=probe, model=model, label=label, method="POST", url="https://relay.example/v1/chat/completions",
        request_headers=(), request_body=json.dumps(request) if request else None, status=status, response_headers=headers,
        body=text, body_bytes=len(text), body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-11-23T12:00:00.000Z", end_ms=50.0),
        events=events, events_total=total, sse_comments=comments, sse_tail=tail, **kw,
    )


def verdict(check_id, *exchanges, model="gpt-4o-mini", target=TARGET):
    return registry()[check_id].fn(CheckInput(target, model, exchanges))


def chunk(content=None, finish=None, model="gpt-4o-mini-2024-07-18", **extra):
    delta = {"content": content} if content is not None else {}
    return ("data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}) + "\n\n").encode()


@pytest.mark.parametrize(
    "requested,replied,same",
    [
        ("gpt-4o", "gpt-4o-2024-08-06", True), ("gpt-4", "gpt-4-0613", True), ("gpt-4o-2024-08-06", "gpt-4o", True),
        ("openai/gpt-4o", "gpt-4o", True), ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", True),
        ("gpt-4o", "gpt-4o-mini", False), ("gpt-5.4", "gpt-4.1", False), ("gpt-4", "gpt-4-turbo", False),
        ("gpt-4o-mini", "gpt-3.5-turbo-0125", False),
    ],
)
def test_same_model(requested, replied, same):
    assert same_model(requested, replied) is same


def test_https_warns_only_for_remote_plain_http():
    from dataclasses import replace

    assert verdict("base.https", model=None).status == "pass"
    assert verdict("base.https", model=None, target=replace(TARGET, base_url="http://127.0.0.5:8/v1")).status == "pass"
    assert verdict("base.https", model=None, target=replace(TARGET, base_url="http://relay.example/v1")).status == "warn"


def test_api_root_unreachable_is_inconclusive_not_a_wrong_url():
    down = ex(probe="root", model=None, status=None, error="refused", error_kind="connect", label="configured base")
    assert verdict("base.api_root", down, model=None).status == "inconclusive"


def test_api_root_with_a_json_auth_error_is_still_the_api():
    refused = ex(probe="root", model=None, status=401, body={"error": {"message": "bad key"}}, label="configured base")
    assert verdict("base.api_root", refused, model=None).status == "pass"


def test_auth_refused_in_every_placement_is_inconclusive():
    attempts = [ex(f"x{i}", status=401, body={"error": {"message": "无效的令牌"}}, label=f"auth: {p}") for i, p in enumerate(["bearer", "body api_key", "query parameter key"])]
    assert verdict("base.auth_bearer", *attempts, model=None).status == "inconclusive"


NONCE = "relaycheck-nonce-ABCDE12345"
ASK = {"messages": [{"role": "user", "content": f"Reply with exactly this text and nothing else: {NONCE}"}]}


def reply(content, finish="stop", **extra):
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}, **extra}
    return ex(body=body, request=ASK)


def test_follows_pass_fail_and_inconclusive():
    assert verdict("chat.follows", reply(f"Sure: {NONCE.lower()}")).status == "pass"
    assert verdict("chat.follows", reply("Hello! How can I help you today?")).status == "fail"
    assert verdict("chat.follows", reply("relaycheck-nonce-ZZZZZ99999")).status == "fail"
    assert verdict("chat.follows", reply("", finish="length")).status == "inconclusive"


def test_basic_200_with_error_body_fails_and_extras_warn():
    assert verdict("chat.basic", ex(body={"error": {"message": "upstream"}})).status == "fail"
    assert verdict("chat.basic", reply(NONCE, provider="x", system_fingerprint=None)).status == "pass"
    assert verdict("chat.basic", reply(NONCE, success=True)).status == "warn"
    assert verdict("chat.basic", ex(status=503, body="<html>bad gateway</html>", ctype="text/html")).status == "fail"


def test_usage_total_must_add_up():
    good = reply(NONCE)
    assert verdict("usage.present", good).status == "pass"
    bad = reply(NONCE, usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 9})
    assert verdict("usage.present", bad).status == "fail"
    assert verdict("usage.present", reply(NONCE, usage=None)).status == "fail"


def stream_ex(frames, **kw):
    return ex(probe="stream", sse=frames, label="stream", **kw)


GOOD_FRAMES = [chunk("a"), chunk("b"), chunk(finish="stop"), b"data: [DONE]\n\n"]


def test_legal_sse_quirks_pass():
    azure = b'data: {"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[]}\r\n\r\n'
    frames = [b": OPENROUTER PROCESSING\r\n\r\n", azure, chunk("a").replace(b"data: ", b"data:"), chunk(finish="stop"),
              b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n', b"data: [DONE]\r\n\r\n"]
    streamed = stream_ex(frames)
    assert verdict("stream.sse", streamed).status == "pass"
    assert verdict("stream.complete", streamed).status == "pass"
    assert verdict("models.echo", streamed).status == "pass"  # the empty Azure model is ignored


@pytest.mark.parametrize(
    "bad_frame",
    [b"data: ping\n\n", b"event: ping\n\n", b"data:\n\n", b'data: {"error": {"message": "upstream failed"}}\n\n', b"data: \xff\xfe\n\n"],
)
def test_frames_that_break_the_sdk_fail(bad_frame):
    assert verdict("stream.sse", stream_ex([chunk("a"), bad_frame, *GOOD_FRAMES[1:]])).status == "fail"


def test_wrong_content_type_fails_sse():
    assert verdict("stream.sse", stream_ex(GOOD_FRAMES, ctype="application/json")).status == "fail"


def test_done_alone_does_not_prove_completeness():
    assert verdict("stream.complete", stream_ex([chunk("a"), b"data: [DONE]\n\n"])).status == "fail"
    cut = stream_ex([chunk("a"), chunk(finish="stop"), b"data: [DONE]\n\n"], error="peer closed", error_kind="protocol")
    assert verdict("stream.complete", cut).status == "fail"


def test_a_short_stream_cannot_be_judged_for_incrementality():
    short = stream_ex([chunk(str(i)) for i in range(5)] + GOOD_FRAMES[2:])
    assert verdict("stream.incremental", short).status == "inconclusive"


def test_stream_usage_unknown_tokenizer_is_inconclusive_not_pass():
    frames = [chunk("hi", model="claude-x"), chunk(finish="stop", model="claude-x"),
              b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n', b"data: [DONE]\n\n"]
    assert verdict("stream.usage", stream_ex(frames, model="claude-x"), model="claude-x").status == "inconclusive"


def test_stream_usage_inflated_count_fails_and_reasoning_is_tolerated():
    def frames(completion, reasoning=0):
        usage = {"prompt_tokens": 3, "completion_tokens": completion, "total_tokens": 3 + completion,
                 "completion_tokens_details": {"reasoning_tokens": reasoning}}
        return [chunk("hello world"), chunk(finish="stop"), b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n", b"data: [DONE]\n\n"]

    assert verdict("stream.usage", stream_ex(frames(2))).status == "pass"
    assert verdict("stream.usage", stream_ex(frames(40))).status == "fail"
    assert verdict("stream.usage", stream_ex(frames(40, reasoning=38))).status == "pass"


def test_models_list_shapes():
    root = lambda body: ex(probe="root", model=None, body=body, label="configured base")  # noqa: E731
    assert verdict("models.list", root({"object": "list", "data": [{"id": "a", "object": "model"}]}), model=None).status == "pass"
    assert verdict("models.list", root({"data": [{"id": "a"}]}), model=None).status == "warn"
    assert verdict("models.list", root([{"id": "a"}]), model=None).status == "fail"
    assert verdict("models.list", root({"object": "list", "data": ["a"]}), model=None).status == "fail"
    listed = root({"object": "list", "data": [{"id": "gpt-4o-mini-2024-07-18"}]})
    assert verdict("models.listed", listed).status == "pass"
