"""Boundary tests for the streaming checks: [DONE] and finish order, incrementality, stalls, cut long replies."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from relaycheck.checks.stream import BUFFERED_SPAN_MS, MIN_TOKENS_TO_JUDGE
from relaycheck.wire.sse import SSEReader
from test_checks_unit import TARGET, chunk, ex, stream_ex, verdict

DONE = b"data: [DONE]\n\n"


def test_the_pinned_constants_are_the_documented_ones():
    assert (MIN_TOKENS_TO_JUDGE, BUFFERED_SPAN_MS, TARGET.stall_threshold_s) == (50, 20.0, 10.0)


def timed(frames_at: list[tuple[bytes, float]], **kw):
    """A stream exchange whose frames arrived at the given milliseconds."""
    reader = SSEReader()
    for frame, t in frames_at:
        reader.feed(frame, t)
    return replace(stream_ex([f for f, _ in frames_at], **kw), events=tuple(reader.events), events_total=reader.events_total)


# stream.complete: [DONE] is a prefix match, the finish chunk must come before it, and a cut stream fails.
def test_done_is_matched_as_a_prefix_as_the_sdk_does():
    frames = [chunk("a"), chunk(finish="stop"), b"data: [DONE] extra\n\n"]
    assert verdict("stream.complete", stream_ex(frames)).status == "pass"
    assert verdict("stream.sse", stream_ex(frames)).status == "pass"  # not read as a non-JSON data event


def test_what_follows_done_is_never_read_by_stream_sse():
    assert verdict("stream.sse", stream_ex([chunk("a"), chunk(finish="stop"), DONE, b"data: not json\n\n"])).status == "pass"


def test_a_finish_chunk_after_done_is_named_and_fails():
    v = verdict("stream.complete", stream_ex([chunk("a"), DONE, chunk(finish="stop")]))
    assert v.status == "fail"
    assert "no chunk before [DONE] carried a finish_reason; event #2 after [DONE] carries 'stop'" in v.summary


def test_a_finish_chunk_both_before_and_after_done_passes():
    v = verdict("stream.complete", stream_ex([chunk("a"), chunk(finish="stop"), DONE, chunk(finish="length")]))
    assert v.status == "pass" and v.metrics["finish_reason"] == "stop"


def test_no_finish_anywhere_keeps_its_plain_words():
    v = verdict("stream.complete", stream_ex([chunk("a"), DONE, b'data: {"choices": 5}\n\n', b"data: [1]\n\n"]))
    assert v.status == "fail" and v.summary == "no chunk carried a finish_reason"


def test_missing_done_or_a_cut_fails_and_names_the_tail():
    v = verdict("stream.complete", stream_ex([chunk("a"), chunk(finish="stop"), b"data: {\"partial"]))
    assert v.status == "fail" and v.summary.startswith("no data: [DONE]; the stream ended with")
    cut = verdict("stream.complete", stream_ex([chunk("a"), chunk(finish="stop"), DONE], error="reset", error_kind="read"))
    assert cut.status == "fail" and cut.summary.startswith("the stream broke off")


# stream.incremental: 50+ tokens to judge; content spread over at least 20 ms in more than one chunk.
def _usage(n: int) -> bytes:
    return b"data: " + json.dumps({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": n, "total_tokens": 3 + n}}).encode() + b"\n\n"


def _spread(n_tokens: int, times: list[float]):
    frames = [(chunk(f"w{i} "), t) for i, t in enumerate(times)]
    end = times[-1]
    return timed(frames + [(chunk(finish="stop"), end), (_usage(n_tokens), end), (DONE, end)])


@pytest.mark.parametrize("n,status", [(49, "inconclusive"), (50, "pass")])
def test_incremental_needs_fifty_tokens(n, status):
    assert verdict("stream.incremental", _spread(n, [0.0, 100.0, 200.0])).status == status


@pytest.mark.parametrize("span,status", [(19.9, "fail"), (20.0, "pass")])
def test_incremental_buffered_span_boundary(span, status):
    v = verdict("stream.incremental", _spread(60, [5.0, 5.0 + span / 2, 5.0 + span]))
    assert v.status == status and v.metrics["span_ms"] == round(span, 1)


def test_one_content_chunk_fails_however_late_it_came():
    v = verdict("stream.incremental", _spread(60, [300.0]))
    assert v.status == "fail" and "as one chunk" in v.summary


# long.no_stall: a gap equal to the threshold passes, one past it fails; an idle timeout fails; one event cannot judge.
def _long_stream(gaps_ms: list[float], **kw):
    t, frames = 0.0, [(chunk("1\n"), 0.0)]
    for i, gap in enumerate(gaps_ms):
        t += gap
        frames.append((chunk(f"{i + 2}\n"), t))
    return replace(timed(frames + [(DONE, t)], **kw), probe="long", label="long stream")


@pytest.mark.parametrize("gap,status", [(100.0, "pass"), (100.5, "fail")])
def test_stall_threshold_boundary(gap, status):
    target = replace(TARGET, stall_threshold_s=0.1)
    v = verdict("long.no_stall", _long_stream([10.0, gap, 10.0]), target=target)
    assert v.status == status and v.metrics["max_gap_ms"] == gap and v.metrics["threshold_ms"] == 100.0


def test_stall_default_threshold_is_ten_seconds():
    assert verdict("long.no_stall", _long_stream([10_000.0])).status == "pass"
    assert verdict("long.no_stall", _long_stream([10_001.0])).status == "fail"


def test_stall_idle_timeout_and_too_few_events():
    idle = _long_stream([10.0], error="no event for 30 s", error_kind="stream_idle")
    assert verdict("long.no_stall", idle).status == "fail"
    one = replace(timed([(chunk("1"), 0.0)]), probe="long", label="long stream")
    assert verdict("long.no_stall", one).status == "inconclusive"


# long.complete: a prefix cut with finish_reason length is inconclusive only when the budget was really used up.
ASK_40 = "Write the integers from 1 to 40 in ascending order, one per line, with nothing else."


def _long(content: str, finish: str, completion: int, limit: int = 100):
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 20, "completion_tokens": completion, "total_tokens": 20 + completion}}
    return ex(probe="long", label="long", body=body, request={"messages": [{"role": "user", "content": ASK_40}], "max_tokens": limit})


@pytest.mark.parametrize("finish,completion,status", [
    ("length", 100, "inconclusive"),  # the whole budget used: the model ran out, the relay cut nothing
    ("length", 101, "inconclusive"),
    ("length", 99, "fail"),  # said to be cut at the limit without reaching it
    ("stop", 100, "fail"),
])
def test_long_cut_at_the_budget_boundary(finish, completion, status):
    assert verdict("long.complete", _long("1\n2\n3", finish, completion)).status == status


def test_long_complete_reply_passes():
    assert verdict("long.complete", _long("\n".join(str(i) for i in range(1, 41)), "stop", 79)).status == "pass"
