"""Check cases written against surviving mutmut mutants of relaycheck/checks/ (see /tmp/mut/RESULT.md).

They pin the whole verdict (status, summary, evidence, metrics): the summary is what a report shows, so a
changed word there is a changed result. Synthetic exchanges only (tests/test_checks_unit.py's builders).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from relaycheck.checks import Verdict
from relaycheck.checks._util import describe, usage_problem
from relaycheck.checks.long import _path_verdict
from test_checks_unit import TARGET, chunk, ex, verdict

# --- _util.describe and usage_problem -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exchange,expected",
    [
        (ex(status=None, error="refused", error_kind=None), "transport error: refused"),
        (ex(status=None, error="refused", error_kind="connect"), "connect error: refused"),
        (replace(ex(status=302), response_headers=(("location", "https://x/login"),)), "HTTP 302, redirect to https://x/login"),
        (ex(status=301), "HTTP 301, redirect to (no Location)"),
        (ex(status=399), "HTTP 399, redirect to (no Location)"),
        (ex(status=400, body="plain"), "HTTP 400, “plain”"),
        (ex(status=200, body="<html>", ctype="text/html"), "HTTP 200, an HTML page"),
        (ex(status=400, body={"error": {"message": "bad thing " + "x" * 200}}), "HTTP 400, “bad thing " + "x" * 109 + "…”"),
        (ex(status=200, body={"error": {"message": "odd"}}), "HTTP 200, “odd”"),
        (ex(status=200, body={"ok": 1}), "HTTP 200"),
        (ex(status=500, body=""), "HTTP 500"),
        (ex(status=200, body={"ok": 1}, error="reset", error_kind="read"), "HTTP 200, then read error: reset"),
        (ex(status=429, body={"error": {"message": "slow"}}, notes=("Retry-After: 900 s exceeds budget", "other note", "retry-after unreadable")),
         "HTTP 429, “slow”, Retry-After: 900 s exceeds budget, retry-after unreadable"),
        (ex(status=503, body="", notes=("retry-after x",)), "HTTP 503, retry-after x"),
        (ex(status=500, body="", notes=("retry-after x",)), "HTTP 500"),
    ],
)
def test_describe(exchange, expected):
    assert describe(exchange) == expected


@pytest.mark.parametrize(
    "usage,expected",
    [
        (None, "no usage object"),
        (5, "no usage object"),
        ({}, "usage.prompt_tokens is missing"),
        ({"prompt_tokens": 1}, "usage.completion_tokens is missing"),
        ({"prompt_tokens": 1, "completion_tokens": 1}, "usage.total_tokens is missing"),
        ({"prompt_tokens": 10**20, "completion_tokens": 1, "total_tokens": 1}, "usage.prompt_tokens is not a plausible token count (a 21-digit number)"),
        ({"prompt_tokens": 1, "completion_tokens": -(10**20), "total_tokens": 3}, "usage.completion_tokens is not a plausible token count (a 21-digit number)"),
        ({"prompt_tokens": 2**53, "completion_tokens": 1, "total_tokens": 1}, "usage.prompt_tokens is not a plausible token count (a 16-digit number)"),
        ({"prompt_tokens": -1, "completion_tokens": 1, "total_tokens": 0}, "usage.prompt_tokens is not a non-negative integer (-1)"),
        ({"prompt_tokens": 1.5, "completion_tokens": 1, "total_tokens": 1}, "usage.prompt_tokens is not a non-negative integer (1.5)"),
        ({"prompt_tokens": True, "completion_tokens": 1, "total_tokens": 2}, "usage.prompt_tokens is not a non-negative integer (True)"),
        ({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 4}, "usage.total_tokens 4 is not prompt 1 + completion 2"),
        ({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}, None),
        ({"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, None),
    ],
)
def test_usage_problem(usage, expected):
    assert usage_problem(usage) == expected


# --- long.complete and long.no_stall --------------------------------------------------------------------------

LONG_REQUEST = {"messages": [{"role": "user", "content": "Write the integers from 1 to 5, one per line."}], "max_tokens": 50}
GOOD_STREAM = [chunk("1\n2\n"), chunk("3\n4\n5"), chunk(None, "stop"), b"data: [DONE]\n\n"]


def _body(text, finish="stop", usage=None):
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}]}
    if usage:
        body["usage"] = usage
    return body


def _long(xid="l1", **kw):
    return ex(xid, probe="long", label="long", request=LONG_REQUEST, **kw)


def _long_stream(pieces, xid="l2", **kw):
    return ex(xid, probe="long", label="long stream", request=LONG_REQUEST, sse=pieces, **kw)


USAGE_50 = {"prompt_tokens": 5, "completion_tokens": 50, "total_tokens": 55}
USAGE_49 = {"prompt_tokens": 5, "completion_tokens": 49, "total_tokens": 54}


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda: _long(body=_body("1\n2\n3\n4\n5")), ("pass", "non-stream: all 5 lines in order, finish_reason 'stop'")),
        (lambda: _long(body=_body("1\n2"), error="reset", error_kind="read"), ("fail", "non-stream: the answer broke off after 105 bytes: read error: reset")),
        (lambda: _long(body=_body("1\n2"), error_kind="protocol"), ("fail", "non-stream: the answer broke off after 105 bytes: protocol error: connection closed")),
        (lambda: _long_stream([chunk("1\n2\n")], error="reset", error_kind="stream_idle"),
         ("fail", "stream: the answer broke off after event #0 (0 bytes): stream_idle error: reset; data: [DONE] never came")),
        (lambda: _long_stream([chunk("1\n2\n"), b"data: [DONE]\n\n"], error="reset", error_kind="read"),
         ("fail", "stream: the answer broke off after event #1 (0 bytes): read error: reset")),
        (lambda: _long(status=500, body={"error": {"message": "boom"}}), ("inconclusive", "non-stream: HTTP 500, “boom”")),
        (lambda: _long(status=500, body="", error="reset", error_kind="read"), ("inconclusive", "non-stream: HTTP 500, then read error: reset")),
        (lambda: _long(body={"choices": []}), ("inconclusive", "non-stream: no reply text")),
        (lambda: _long_stream([chunk("1\n"), chunk("1\n"), chunk("2\n"), chunk("2\n"), chunk(None, "stop"), b"data: [DONE]\n\n"]),
         ("fail", "stream: every content chunk arrived twice, so the text is doubled (“1 1 2 2”)")),
        (lambda: _long(body=_body("Sure!\n1\n2\n3\n4\n5\nDone.")),
         ("pass", "non-stream: all 5 lines in order, finish_reason 'stop', with added text before them “Sure!”; after them “Done.”")),
        (lambda: _long(body=_body("Sure!\n1\n2\n3\n4\n5")), ("pass", "non-stream: all 5 lines in order, finish_reason 'stop', with added text before them “Sure!”")),
        (lambda: _long(body=_body("1\n2\nfoo\n4")),
         ("inconclusive", "non-stream: the model did not write the lines exactly as asked (first 2 correct, then “foo”)")),
        (lambda: _long(body=_body("1\n\n2\nfoo")),
         ("inconclusive", "non-stream: the model did not write the lines exactly as asked (first 2 correct, then “foo”)")),
        (lambda: _long(body=_body("1\n2\n3", "length", USAGE_50)),
         ("inconclusive", "non-stream: the model used all 50 max_tokens after 3 of 5 lines (finish_reason length)")),
        (lambda: _long(body=_body("1\n2\n3", "length", USAGE_49)), ("fail", "non-stream: cut short after 3 of 5 lines with finish_reason 'length'")),
        (lambda: _long(body=_body("1\n2\n3", "stop", USAGE_50)), ("fail", "non-stream: cut short after 3 of 5 lines with finish_reason 'stop'")),
        (lambda: _long(body=_body("1\n2\n3", None)), ("fail", "non-stream: cut short after 3 of 5 lines with no finish_reason")),
        (lambda: _long_stream(GOOD_STREAM), ("pass", "stream: all 5 lines in order, finish_reason 'stop'")),
        (lambda: _long_stream([chunk("1\n2\n3"), chunk(None, "length"), chunk(None, None, usage={"completion_tokens": 50}), b"data: [DONE]\n\n"]),
         ("inconclusive", "stream: the model used all 50 max_tokens after 3 of 5 lines (finish_reason length)")),
        (lambda: _long_stream([chunk("1\n2\n3"), chunk(None, "length"), chunk(None, None, usage={"completion_tokens": 49}), b"data: [DONE]\n\n"]),
         ("fail", "stream: cut short after 3 of 5 lines with finish_reason 'length'")),
    ],
)
def test_long_path_verdicts(make, expected):
    assert _path_verdict(make(), 5) == expected


def _completion_tokens(x):
    return x.reply.completion_tokens  # the protocol's reading: the last usage a stream carried, or the body's


def test_long_completion_tokens_reads_the_last_usage():
    assert _completion_tokens(_long(body=_body("1", "stop", USAGE_50))) == 50
    assert _completion_tokens(_long(body=_body("1", "stop"))) is None
    assert _completion_tokens(_long(body=_body("1", "stop", {"completion_tokens": "50"}))) is None
    stream = _long_stream([chunk("1", usage={"completion_tokens": 7}), chunk(None, "stop", usage={"completion_tokens": 9}), b"data: [DONE]\n\n"])
    assert _completion_tokens(stream) == 9
    assert _completion_tokens(_long_stream([chunk("1"), b"data: [DONE]\n\n"])) is None


def test_long_complete_verdicts():
    assert verdict("long.complete") == Verdict("inconclusive", "the long probe did not run")
    assert verdict("long.complete", ex(probe="long", label="long", request={"messages": []}, body=_body("1"))) == Verdict(
        "inconclusive", "the long request does not say how many lines it asked for")
    assert verdict("long.complete", _long(body=_body("1\n2\n3\n4\n5")), _long_stream(GOOD_STREAM)) == Verdict(
        "pass", "non-stream: all 5 lines in order, finish_reason 'stop'; stream: all 5 lines in order, finish_reason 'stop'; "
        "the stream and non-stream replies agree", ("l1", "l2"), {"lines_expected": 5})
    assert verdict("long.complete", _long(body=_body("1\n2\n3\n4\n5"))) == Verdict(
        "pass", "non-stream: all 5 lines in order, finish_reason 'stop'", ("l1",), {"lines_expected": 5})
    assert verdict("long.complete", _long(body=_body("1\n2")), _long_stream(GOOD_STREAM, status=500, body="")) == Verdict(
        "fail", "non-stream: cut short after 2 of 5 lines with finish_reason 'stop'", ("l1", "l2"), {"lines_expected": 5})
    assert verdict("long.complete", _long(body=_body("1\nx")), _long_stream(GOOD_STREAM)) == Verdict(
        "inconclusive", "non-stream: the model did not write the lines exactly as asked (first 1 correct, then “x”)", ("l1", "l2"),
        {"lines_expected": 5})
    assert verdict("long.complete", _long(body=_body("1\nx")), _long_stream(GOOD_STREAM, status=500, body="")) == Verdict(
        "inconclusive", "non-stream: the model did not write the lines exactly as asked (first 1 correct, then “x”); stream: HTTP 500",
        ("l1", "l2"), {"lines_expected": 5})


def test_long_no_stall_verdicts():
    metrics = {"max_gap_ms": 10.0, "last_byte_ms": 50.0, "events": 4, "threshold_ms": 10000.0}
    assert verdict("long.no_stall") == Verdict("inconclusive", "the long stream was not sent")
    assert verdict("long.no_stall", _long(body=_body("1"))) == Verdict("inconclusive", "the long stream was not sent")
    assert verdict("long.no_stall", _long_stream(GOOD_STREAM, status=500)) == Verdict(
        "inconclusive", "the long stream did not succeed (HTTP 500)", ("l2",))
    assert verdict("long.no_stall", _long_stream([chunk("1")])) == Verdict(
        "inconclusive", "the long stream had 1 event(s): no gaps to measure", ("l2",))
    assert verdict("long.no_stall", _long_stream(GOOD_STREAM, error="idle 30 s", error_kind="stream_idle")) == Verdict(
        "fail", "the stream went silent after event #3 until the idle timeout (idle 30 s)", ("l2",), metrics)
    assert verdict("long.no_stall", _long_stream(GOOD_STREAM)) == Verdict(
        "pass", "longest gap 10 ms between events #2 and #3 (threshold 10 s); last byte after 50 ms", ("l2",), metrics)
    tight = replace(TARGET, stall_threshold_s=0.009)
    assert verdict("long.no_stall", _long_stream(GOOD_STREAM), target=tight) == Verdict(
        "fail", "a 0.01 s gap between events #2 and #3 (threshold 0.009 s)", ("l2",), {**metrics, "threshold_ms": 9.0})


# --- errors.bad_key / errors.missing_key ------------------------------------------------------------------------

def _err(label, status, body=None, **kw):
    return ex(probe="errors", label=label, status=status, body=body, **kw)


@pytest.mark.parametrize("check_id,label,what", [("errors.bad_key", "wrong key", "a wrong key"), ("errors.missing_key", "no key", "no key")])
def test_key_refusal_verdicts(check_id, label, what):
    def judge(x):
        return verdict(check_id, *([x] if x is not None else []), model=None)

    assert judge(None) == Verdict("inconclusive", "the errors probe did not run")
    assert judge(_err("other label", 401, "")) == Verdict("inconclusive", "the errors probe did not run")
    assert judge(_err(label, None, error="refused", error_kind="connect")) == Verdict(
        "inconclusive", f"the request with {what} got no answer: connect error: refused", ("x1",))
    assert judge(_err(label, 302)) == Verdict(
        "inconclusive", f"the request with {what} was redirected, not answered: HTTP 302, redirect to (no Location)", ("x1",))
    assert judge(_err(label, 200, {"choices": [{"message": {"content": "hi"}}]})) == Verdict(
        "fail", f"a request with {what} was served (HTTP 200): the relay lets anyone in", ("x1",))
    assert judge(_err(label, 429, {"error": {"message": "slow"}})) == Verdict(
        "inconclusive", f"rate limited (HTTP 429) even after waiting: the refusal of {what} cannot be judged", ("x1",))
    assert judge(_err(label, 401, "<html>x</html>", ctype="text/html")) == Verdict(
        "fail", f"{what} was answered with an HTML page (HTTP 401), which no API client can read", ("x1",))
    assert judge(_err(label, 401, "")) == Verdict("warn", "refused with 401 but without an error body", ("x1",))
    assert judge(_err(label, 401, {"error": {"message": "Incorrect API key provided"}})) == Verdict(
        "pass", "refused with 401: “Incorrect API key provided”", ("x1",))
    assert judge(_err(label, 403, {"error": {"message": "forbidden"}})) == Verdict(
        "warn", "refused with 403 (401 expected): “forbidden”", ("x1",))
    assert judge(_err(label, 403, {"error": {}})) == Verdict("warn", "refused with 403 (401 expected): no error message", ("x1",))
    assert judge(_err(label, 400, {"error": {"message": "bad"}})) == Verdict(
        "warn", f"{what} was refused, but with HTTP 400 instead of 401 (clients do not read it as an authentication failure): “bad”",
        ("x1",), {"status": 400})
    assert judge(_err(label, 499, {"error": {"message": "bad"}})).status == "warn"
    assert judge(_err(label, 500, {"error": {"message": "oops"}})) == Verdict(
        "fail", f"{what} got HTTP 500 instead of 401: “oops”", ("x1",), {"status": 500})


# --- params.tools and the stream's tool-call reassembly ---------------------------------------------------------



def _streamed_calls(x):
    """The stream's tool calls as the protocol reassembles them, in the shape these tests compare."""
    return [{"function": {"name": c.name, "arguments": c.arguments}} for c in x.reply.tool_calls]


def _message_calls(x):
    return [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in x.reply.tool_calls]

import json  # noqa: E402


def _tool_chunk(parts):
    return ("data: " + json.dumps({"choices": [{"index": 0, "delta": {"tool_calls": parts}}]}) + "\n\n").encode()


def _tool_message(calls=None, content=None, finish="tool_calls"):
    message = {"role": "assistant", "content": content}
    if calls is not None:
        message["tool_calls"] = calls
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}]}


GOOD_CALL = [{"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]
GOOD_TOOL_STREAM = [
    _tool_chunk([{"index": 0, "id": "c", "function": {"name": "get_weather", "arguments": '{"ci'}}]),
    _tool_chunk([{"index": 0, "function": {"arguments": 'ty":"Paris"}'}}]),
    _tool_chunk(["junk"]),
    b"data: [DONE]\n\n",
]


def _tools(body, **kw):
    return ex("n1", probe="structured", label="tools", body=body, **kw)


def _tools_stream(pieces, **kw):
    return ex("s1", probe="structured", label="tools stream", sse=pieces, **kw)


def test_streamed_calls_are_reassembled_by_index():
    assert _streamed_calls(_tools_stream(GOOD_TOOL_STREAM)) == [{"function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]
    x = _tools_stream([
        _tool_chunk([{"index": 1, "function": {"name": "x", "arguments": "{}"}}, {"index": 0, "function": {"name": "get_weather", "arguments": '{"city":"A"}'}}]),
        _tool_chunk([{"function": {"name": "later", "arguments": ""}}]),  # no index: call 0; a further name fragment is joined, as the SDK does
        _tool_chunk([{"index": 1, "function": None}]),
        ("data: " + json.dumps({"choices": [None, {"delta": None}]}) + "\n\n").encode(),
        b"data: [1, 2]\n\n",
        b"data: [DONE]\n\n",
    ])
    assert _streamed_calls(x) == [
        {"function": {"name": "get_weatherlater", "arguments": '{"city":"A"}'}},
        {"function": {"name": "x", "arguments": "{}"}},
    ]
    assert _streamed_calls(_tools_stream([chunk("hello"), b"data: [DONE]\n\n"])) == []


def test_message_calls():
    assert _message_calls(_tools(_tool_message(GOOD_CALL + ["junk"]))) == GOOD_CALL
    assert _message_calls(_tools(_tool_message(None, "hi"))) == []
    assert _message_calls(_tools({"choices": []})) == []
    assert _message_calls(_tools({"choices": ["x"]})) == []
    assert _message_calls(_tools(_tool_message("not a list"))) == []


FAIL_PREFIX = "the forced function call was not made as asked: "


@pytest.mark.parametrize(
    "exchanges,expected",
    [
        (lambda: (_tools(_tool_message(GOOD_CALL)), _tools_stream(GOOD_TOOL_STREAM)),
         Verdict("pass", "get_weather was called with schema-valid arguments, non-stream and stream (reassembled from fragments)", ("n1", "s1"))),
        (lambda: (_tools(_tool_message(None, "It is sunny")), _tools_stream(GOOD_TOOL_STREAM)),
         Verdict("fail", FAIL_PREFIX + "tools: no tool_calls, a text reply instead (“It is sunny”)", ("n1", "s1"))),
        (lambda: (_tools(_tool_message([])), _tools_stream(GOOD_TOOL_STREAM)), Verdict("fail", FAIL_PREFIX + "tools: no tool_calls", ("n1", "s1"))),
        (lambda: (_tools(_tool_message([{"function": {"name": "other", "arguments": '{"city":"Paris"}'}}])), _tools_stream(GOOD_TOOL_STREAM)),
         Verdict("fail", FAIL_PREFIX + "tools: called 'other' with arguments '{\"city\":\"Paris\"}', not valid against the schema", ("n1", "s1"))),
        (lambda: (_tools(_tool_message([{"function": {"name": "get_weather", "arguments": '{"town":"Paris"}'}}])),
                  _tools_stream([_tool_chunk([{"index": 1, "function": {"name": "get_weather", "arguments": '{"city":1}'}}])])),
         Verdict("fail", FAIL_PREFIX + "tools: called 'get_weather' with arguments '{\"town\":\"Paris\"}', not valid against the schema; "
                 "tools stream: called 'get_weather' with arguments '{\"city\":1}', not valid against the schema", ("n1", "s1"))),
        (lambda: (_tools(_tool_message(GOOD_CALL)), _tools_stream([chunk("hello"), b"data: [DONE]\n\n"])),
         Verdict("fail", FAIL_PREFIX + "tools stream: no tool_calls", ("n1", "s1"))),
        (lambda: (_tools(_tool_message(GOOD_CALL)),), Verdict("inconclusive", "the forced tool call (tools stream) request was not sent")),
        (lambda: (_tools({"error": {"message": "tools unsupported"}}, status=400), _tools_stream(GOOD_TOOL_STREAM)),
         Verdict("pass", "forced tool call (tools) is not supported: refused with HTTP 400 (HTTP 400, “tools unsupported”), which is honest",
                 ("n1",), {"supported": False})),
        (lambda: (ex("n1", probe="structured", label="tools", body=_tool_message(GOOD_CALL, finish="length"), request={"max_tokens": 20}),
                  _tools_stream(GOOD_TOOL_STREAM)),
         Verdict("inconclusive", "the forced tool call (tools): n1 was cut at relaycheck's own budget of 20 tokens (finish_reason length): "
                 "a cut reply is not evidence", ("n1",))),
    ],
)
def test_params_tools_verdicts(exchanges, expected):
    assert verdict("params.tools", *exchanges()) == expected
