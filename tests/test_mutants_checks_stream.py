"""stream.* verdicts written against surviving mutmut mutants of relaycheck/checks/stream.py (see /tmp/mut/RESULT.md)."""

from __future__ import annotations

import pytest

from relaycheck.checks import Verdict
from test_checks_unit import chunk, ex, verdict

DONE = b"data: [DONE]\n\n"
PLAIN = ex("c1", probe="chat", body={"choices": [{"message": {"content": "hi"}}]})


def _stream(pieces, model="gpt-4o-mini", **kw):
    return ex("s1", probe="stream", label="stream", sse=pieces, model=model, **kw)


@pytest.mark.parametrize("status", [400, 404, 405, 415, 422, 500, 501, 502, 503])
def test_a_refused_stream_while_chat_answers_is_a_stream_failure(status):
    refused = ex("s1", probe="stream", label="stream", status=status, body={"error": {"message": "no stream"}})
    assert verdict("stream.sse", refused, PLAIN) == Verdict(
        "fail", f"the relay cannot stream: stream=true got HTTP {status}, “no stream” while the same model answers without streaming (c1)",
        ("s1", "c1"))


@pytest.mark.parametrize("status", [401, 408, 429])
def test_other_refusals_of_the_stream_are_inconclusive(status):
    refused = ex("s1", probe="stream", label="stream", status=status, body={"error": {"message": "no stream"}})
    assert verdict("stream.sse", refused, PLAIN) == Verdict(
        "inconclusive", f"the streaming request did not succeed (HTTP {status}, “no stream”); see stream.sse", ("s1",))


def test_a_refused_stream_without_a_working_chat_is_left_to_chat_basic():
    failed_chat = ex("c2", probe="chat", status=500, body="")
    streamed_chat = ex("c3", probe="chat", sse=[chunk("a"), DONE])
    for chat in (failed_chat, streamed_chat):
        assert verdict("stream.sse", ex("s1", probe="stream", label="stream", status=500, body=""), chat) == Verdict(
            "inconclusive", "the streaming request did not succeed (HTTP 500); see stream.sse", ("s1",))
    assert verdict("stream.sse", ex("s1", probe="stream", label="stream", status=None, error="x", error_kind="connect"), PLAIN) == Verdict(
        "inconclusive", "the streaming request did not succeed (connect error: x); see stream.sse", ("s1",))
    assert verdict("stream.sse", PLAIN) == Verdict("inconclusive", "no streaming request was sent")


def test_stream_sse_problems():
    bad = [b"data: \xff\n\n", b"event: ping\n\n", b"event: e\ndata: x\n\n", b"data: [1]\n\n", b'data: {"error":{"message":"boom"}}\n\n',
           chunk("a"), DONE, b"data: junk\n\n"]
    assert verdict("stream.sse", _stream(bad)) == Verdict(
        "fail", "event #0 is not valid UTF-8; event #1 (ping) has no data line; event #2 data is not JSON: “x” (+2 more)", ("s1",),
        {"events": 8, "comments": 0})
    later = [b"data: [1]\n\n", b'data: {"error":{"message":"boom"}}\n\n', b'data: {"error":""}\n\n', DONE]
    assert verdict("stream.sse", _stream(later)) == Verdict(
        "fail", "event #0 data is JSON but not an object; event #1 carries an error inside a 200 stream: “{\"message\": \"boom\"}”", ("s1",),
        {"events": 4, "comments": 0})
    assert verdict("stream.sse", _stream([b"id: 1\n\n", b"data: {}\n\n"])) == Verdict(
        "fail", "event #0 (unnamed) has no data line", ("s1",), {"events": 2, "comments": 0})
    assert verdict("stream.sse", _stream([], body="hello there", ctype="application/json")) == Verdict(
        "fail", "content-type is application/json, not text/event-stream; no SSE events (body starts “hello there”)", ("s1",),
        {"events": 0, "comments": 0})
    three = [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]
    assert verdict("stream.sse", _stream(three)).summary == "event #0 data is JSON but not an object; event #1 data is JSON but not an object; " \
        "event #2 data is JSON but not an object"
    assert verdict("stream.sse", _stream([b": c\n\n", chunk("a"), DONE])) == Verdict(
        "pass", "2 events, all consumable by the SDK (1 comment lines ignored)", ("s1",), {"events": 2, "comments": 1})


@pytest.mark.parametrize(
    "pieces,kw,expected",
    [
        ([chunk("a"), chunk(None, "stop"), DONE], {}, Verdict("pass", "finish_reason 'stop' at event #1, then [DONE]", ("s1",), {"finish_reason": "stop"})),
        ([chunk("a"), chunk(None, "length"), chunk(None, "stop"), DONE], {},
         Verdict("pass", "finish_reason 'stop' at event #2, then [DONE]", ("s1",), {"finish_reason": "stop"})),
        ([chunk("a"), DONE, chunk(None, "stop")], {},
         Verdict("fail", "no chunk before [DONE] carried a finish_reason; event #2 after [DONE] carries 'stop', which SDKs never read "
                 "(they stop at [DONE])", ("s1",))),
        ([chunk("a"), DONE, b"data: junk\n\n", chunk(None, "")], {}, Verdict("fail", "no chunk carried a finish_reason", ("s1",))),
        ([chunk("a"), b'data: {"choices":[1]}\n\n', b'data: {"cho'], {},
         Verdict("fail", "no chunk carried a finish_reason; no data: [DONE]; the stream ended with “data: {\"cho”", ("s1",))),
        ([chunk("a"), chunk(None, "stop")], {"error": "reset", "error_kind": "read"},
         Verdict("fail", "the stream broke off: read error (reset); no data: [DONE]", ("s1",))),
        ([chunk("a")], {}, Verdict("fail", "no chunk carried a finish_reason; no data: [DONE]", ("s1",))),
    ],
)
def test_stream_complete(pieces, kw, expected):
    assert verdict("stream.complete", _stream(pieces, **kw)) == expected


def test_stream_incremental():
    many = [chunk("word " * 10) for _ in range(6)] + [chunk(None, "stop"), DONE]
    assert verdict("stream.incremental", _stream(many)) == Verdict(
        "pass", "6 chunks over 50 ms; first token after 0 ms, 1220 tokens/s", ("s1",),
        {"ttft_ms": 0.0, "span_ms": 50.0, "content_chunks": 6, "arrivals": 6, "completion_tokens": 61, "tokens_per_s": 1220.0})
    assert verdict("stream.incremental", _stream([chunk("hi"), chunk(None, "stop"), DONE])) == Verdict(
        "inconclusive", "the reply had 1 tokens; 50+ are needed to judge streaming", ("s1",))
    assert verdict("stream.incremental", _stream([chunk("hi"), DONE], model="mystery-model"), model="mystery-model") == Verdict(
        "inconclusive", "the reply had an unknown number of tokens; 50+ are needed to judge streaming", ("s1",))
    assert verdict("stream.incremental", _stream([chunk("word " * 60), chunk(None, "stop"), DONE])) == Verdict(
        "fail", "the whole reply of 61 tokens arrived as one chunk after 0 ms", ("s1",),
        {"ttft_ms": 0.0, "span_ms": 0.0, "content_chunks": 1, "arrivals": 1, "completion_tokens": 61, "tokens_per_s": None})
    reported = [chunk("x"), chunk(None, None, usage={"completion_tokens": 80}), DONE]
    assert verdict("stream.incremental", _stream(reported)).summary == "the whole reply of 80 tokens arrived as one chunk after 0 ms"
    two_choices = (b'data: {"choices":[{"delta":{"content":"' + b"w " * 40 + b'"}},{"delta":{"content":"v "}}]}\n\n')
    assert verdict("stream.incremental", _stream([two_choices, two_choices, DONE])) == Verdict(
        "fail", "all 2 chunks arrived within 10.0 ms, 0 ms after the request: buffered, not streamed", ("s1",),
        {"ttft_ms": 0.0, "span_ms": 10.0, "content_chunks": 2, "arrivals": 2, "completion_tokens": 83, "tokens_per_s": 8300.0})


def _usage(**u):
    return [chunk("hello world"), chunk(None, "stop", usage=u), DONE]


def test_stream_usage():
    def metrics(reported, reasoning=0):
        return {"reported_completion_tokens": reported, "counted_completion_tokens": 2, "reasoning_tokens": reasoning}

    assert verdict("stream.usage", _stream([chunk("hello world"), DONE])) == Verdict(
        "fail", "no usage chunk although stream_options.include_usage was set", ("s1",))
    assert verdict("stream.usage", _stream(_usage(prompt_tokens=1))) == Verdict(
        "fail", "the usage chunk is unusable: usage.completion_tokens is missing", ("s1",))
    assert verdict("stream.usage", _stream(_usage(prompt_tokens=1, completion_tokens=2, total_tokens=3))) == Verdict(
        "pass", "usage chunk agrees with the streamed text (2 vs 2 counted in o200k_base)", ("s1",), metrics(2))
    assert verdict("stream.usage", _stream(_usage(prompt_tokens=1, completion_tokens=9, total_tokens=10))) == Verdict(
        "fail", "usage says 9 completion tokens; the streamed text is 2 tokens in o200k_base", ("s1",), metrics(9))
    with_reasoning = _usage(prompt_tokens=1, completion_tokens=9, total_tokens=10, completion_tokens_details={"reasoning_tokens": 7})
    assert verdict("stream.usage", _stream(with_reasoning)) == Verdict(
        "pass", "usage chunk agrees with the streamed text (9 vs 9 counted in o200k_base)", ("s1",), metrics(9, 7))
    too_many = _usage(prompt_tokens=1, completion_tokens=30, total_tokens=31, completion_tokens_details={"reasoning_tokens": 7})
    assert verdict("stream.usage", _stream(too_many)) == Verdict(
        "fail", "usage says 30 completion tokens; the streamed text is 2 tokens in o200k_base (+7 reasoning)", ("s1",), metrics(30, 7))
    unknown = _stream(_usage(prompt_tokens=1, completion_tokens=2, total_tokens=3), model="mystery-model")
    assert verdict("stream.usage", unknown, model="mystery-model") == Verdict(
        "inconclusive", "usage present (completion_tokens 2); mystery-model's tokenizer is not available offline, so agreement with "
        "the text cannot be verified", ("s1",))


# --- stream.integrity -----------------------------------------------------------------------------------------

from relaycheck.checks.streamtext import doubled  # noqa: E402

COUNT_4 = {"messages": [{"role": "user", "content": "Write the integers from 1 to 4 in ascending order, one per line, with nothing else."}]}


def _counted(pieces, **kw):
    return ex("s1", probe="stream", label="stream", sse=pieces, request=COUNT_4, **kw)


def test_doubled():
    assert [doubled(p) for p in (["a", "a", "b", "b"], ["a", "a"], ["a", "a", "b", "b", "c"], ["a", "b", "a", "b"], ["a", "a", "b", "c"])] == [
        True, False, False, False, False]


def test_stream_integrity():
    assert verdict("stream.integrity") == Verdict("inconclusive", "no stream to judge (see stream.sse)")
    assert verdict("stream.integrity", _counted([chunk("1\n2\n")], status=500)) == Verdict("inconclusive", "no stream to judge (see stream.sse)")
    other = ex("s1", probe="stream", sse=[chunk("a")], request={"messages": [{"role": "user", "content": "hi"}]})
    assert verdict("stream.integrity", other) == Verdict("inconclusive", "the stream request does not say what it asked for", ("s1",))
    assert verdict("stream.integrity", _counted([chunk("1\n2\n"), chunk("3\n4"), chunk(None, "stop"), DONE])) == Verdict(
        "pass", "the streamed text holds the integers 1 to 4 once each, in order (2 content chunks)", ("s1",))
    assert verdict("stream.integrity", _counted([chunk("1\n2\n"), chunk("1\n2\n"), chunk("3\n4"), chunk("3\n4"), chunk(None, "stop"), DONE])) == Verdict(
        "fail", "every one of the 4 content chunks arrived twice, so the text is doubled: “1 2 1 2 3 43 4”; SDKs concatenate deltas, "
        "so users see every word twice", ("s1",), {"content_chunks": 4})
    assert verdict("stream.integrity", _counted([chunk("1\n1\n2\n2\n3\n3\n4\n4"), chunk(None, "stop"), DONE])) == Verdict(
        "fail", "every line arrived twice: “1 1 2 2 3 3 4 4”", ("s1",), {"content_chunks": 1})
    assert verdict("stream.integrity", _counted([chunk("1\n2\n"), chunk(None, "length"), DONE])).status == "pass"  # a clean start
    assert verdict("stream.integrity", _counted([chunk("1\n2\n")], error="reset", error_kind="read")).status == "pass"
    assert verdict("stream.integrity", _counted([chunk("1\n2\n"), chunk(None, "stop"), DONE])) == Verdict(
        "inconclusive", "the model did not write the integers 1 to 4 as asked (“1 2”): nothing to compare the stream with", ("s1",))
