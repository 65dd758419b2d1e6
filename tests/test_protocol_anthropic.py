"""The Anthropic Messages adapter (issue 19, part one): requests built, replies and named events read into the
same Reply the checks judge, hostile payloads read without raising; targets and flags that name the protocol."""

from __future__ import annotations

import json

import pytest

from relaycheck.config.targets import Target
from relaycheck.core.exits import UsageError
from relaycheck.probes import canaries
from relaycheck.probes.root import variants
from relaycheck.protocol import for_target, protocol_of
from relaycheck.protocol.anthropic import MESSAGES
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.wire.sse import SSEEvent

URL = "http://127.0.0.1:9/v1/messages"


def _x(body: object = None, events: tuple[tuple[str, dict], ...] = (), request: dict | None = None) -> Exchange:
    text = json.dumps(body) if body is not None else ""
    sse = tuple(SSEEvent(i, float(i), name, json.dumps(payload), None, True) for i, (name, payload) in enumerate(events))
    return Exchange(id="x1", probe="chat", model="claude-sonnet-4-5", label="", method="POST", url=URL, request_headers=(),
                    request_body=json.dumps(request or {}), status=200, response_headers=(("content-type", "application/json"),), body=text,
                    body_bytes=len(text), body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0),
                    events=sse, events_total=len(sse))


MESSAGE = {"id": "msg_01ABC", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
           "content": [{"type": "text", "text": "Hello"}, {"type": "tool_use", "id": "toolu_01", "name": "run_command", "input": {"command": "ls"}}],
           "stop_reason": "tool_use", "stop_sequence": None,
           "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 7}}


def test_a_message_reads_into_the_common_reply():
    x = _x(MESSAGE)
    assert protocol_of(x) is MESSAGES
    reply = x.reply
    assert reply.text == "Hello" and reply.model == "claude-sonnet-4-5-20250929" and reply.finish_reason == "tool_calls"
    assert [(c.id, c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("toolu_01", "run_command", {"command": "ls"})]
    # The prompt is fresh input plus cache writes plus cache reads; reads are the cached part.
    assert (reply.prompt_tokens, reply.completion_tokens, reply.total_tokens, reply.cached_tokens) == (20, 5, 25, 7)
    assert MESSAGES.shape_problems(MESSAGE) == ([], [])


@pytest.mark.parametrize("stop, finish", [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls")])
def test_stop_reasons_read_in_openais_words(stop, finish):
    assert _x({**MESSAGE, "stop_reason": stop}).reply.finish_reason == finish


def test_shape_problems_name_what_is_missing_and_what_is_tolerated():
    missing, deviations = MESSAGES.shape_problems({k: v for k, v in MESSAGE.items() if k not in ("stop_reason", "usage")} | {"id": "chatcmpl-1"})
    assert missing == ["stop_reason", "usage"] and deviations == ["id 'chatcmpl-1' is not msg_…"]  # the SDK reads any string
    assert MESSAGES.shape_problems({**MESSAGE, "code": 0})[1] == ["extra fields code"]


def test_a_stream_of_named_events_is_reassembled():
    events = (
        ("message_start", {"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_2", "name": "Bash", "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"command\": "}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "\"ls\"}"}}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}),
        ("message_stop", {"type": "message_stop"}),
    )
    reply = _x(events=events).reply
    assert reply.streamed and reply.streamed_text == "Hello" and reply.pieces == ("Hel", "lo") and reply.model == "claude-x"
    assert reply.finish_reason == "tool_calls" and (reply.prompt_tokens, reply.completion_tokens) == (12, 9)
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("Bash", {"command": "ls"})]
    assert MESSAGES.stream_ended(_x(events=events)) and not MESSAGES.stream_ended(_x(events=events[:-1]))


@pytest.mark.parametrize("body", [[], {"content": "text"}, {"content": [1, None, {"type": "tool_use", "input": "x"}]}, {"usage": {"input_tokens": "9"}},
                                  {"type": "message", "content": [{"type": "text", "text": 5}]}, {"stop_reason": {"a": 1}}])
def test_hostile_bodies_read_without_raising(body):
    reply = _x(body).reply
    assert reply.prompt_tokens is None or isinstance(reply.prompt_tokens, int)


def test_hostile_events_read_without_raising():
    events = tuple((str(i), payload) for i, payload in enumerate([
        {"type": "content_block_delta", "delta": "x"}, {"type": "message_start", "message": []}, {"type": "message_delta", "delta": {"stop_reason": 7}},
        {"type": "content_block_start", "index": "a", "content_block": {"type": "tool_use"}}, {"type": "error", "error": {"type": "overloaded_error"}},
    ]))
    reply = _x(events=events).reply
    assert reply.streamed and reply.text == ""


def test_requests_are_built_as_the_anthropic_sdk_sends_them():
    body = MESSAGES.body("claude-sonnet-4-5", "Hi", 16, 16, stream=True)
    assert body == {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 16, "temperature": 0, "stream": True}
    tool = canaries.RUN_COMMAND
    forced = MESSAGES.with_tools(MESSAGES.with_system(body, "sys"), (tool,), tool.name)
    assert forced["system"] == "sys" and forced["tool_choice"] == {"type": "tool", "name": "run_command"}
    assert forced["tools"][0]["input_schema"] == tool.parameters
    assert MESSAGES.tool_choice_of(forced) == "run_command" and MESSAGES.system_of(forced) == "sys"
    assert MESSAGES.tool_choice_of(MESSAGES.with_tools(body, (tool,), "none")) == "none"
    assert MESSAGES.headers() == {"anthropic-version": "2023-06-01"} and MESSAGES.auth.value == "header x-api-key"


def test_the_base_url_doctor_knows_the_anthropic_root():
    assert variants("https://relay.example/anthropic/v1", "anthropic")[0] == ("drop /v1 (the Anthropic SDK adds it)", "https://relay.example/anthropic")
    assert ("append /anthropic", "https://relay.example/anthropic") in variants("https://relay.example", "anthropic")
    assert all(not url.endswith("/v1") for _, url in variants("https://relay.example/anthropic/v1", "anthropic"))


def test_a_target_names_its_protocol(tmp_path):
    from relaycheck.config.targets import load_targets

    path = tmp_path / "t.yaml"
    path.write_text("targets:\n  - {name: r, base_url: 'https://relay.example/anthropic', api_key_env: K, models: [claude-sonnet-4-5], protocol: anthropic}\n")
    (target,) = load_targets(path)
    assert target.protocol == "anthropic" and for_target(target) is MESSAGES
    assert for_target(Target("t", "https://relay.example/v1", "K", ("gpt-4o",))).name == "chat"
    path.write_text("targets:\n  - {name: r, base_url: 'https://relay.example', api_key_env: K, models: [m], protocol: soap}\n")
    with pytest.raises(UsageError, match="protocol must be one of openai, anthropic, responses, gemini"):
        load_targets(path)


@pytest.mark.parametrize("stop", [["end_turn"], {"a": 1}, 7, None, ""])
def test_a_stop_reason_of_any_type_in_a_stream_reads_without_raising(stop):
    events = (("message_start", {"type": "message_start", "message": {"model": "m"}}),
              ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 1}}))
    assert _x(events=events).reply.finish_reason is None


def test_pause_turn_is_no_finished_reply_and_a_refusal_is_filtered():
    assert _x({**MESSAGE, "stop_reason": "pause_turn"}).reply.finish_reason == "pause_turn"
    assert _x({**MESSAGE, "stop_reason": "refusal"}).reply.finish_reason == "content_filter"


def test_a_tool_input_sent_whole_in_its_start_block_is_read():
    events = (("message_start", {"type": "message_start", "message": {"model": "m"}}),
              ("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}}),
              ("content_block_stop", {"type": "content_block_stop", "index": 0}))
    assert [json.loads(c.arguments) for c in _x(events=events).reply.tool_calls] == [{"command": "ls"}]


def test_many_input_fragments_are_joined_in_linear_time():
    import time

    from timing import load_factor

    parts = tuple(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "x" * 300}})
                  for _ in range(20_000))
    events = (("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "name": "t", "input": {}}}),
              *parts)
    start = time.perf_counter()
    (call,) = _x(events=events).reply.tool_calls
    # Quadratic joining took minutes; linear takes well under a second, stretched by the machine's load.
    assert len(call.arguments) == 6_000_000 and time.perf_counter() - start < 10 * load_factor()


def _stream_verdict(events):
    from relaycheck.checks import CheckInput, registry

    target = Target("t", "http://127.0.0.1:9", "K", ("claude-sonnet-4-5",), protocol="anthropic")
    x = Exchange(**{**_x(events=events).__dict__, "probe": "stream", "response_headers": (("content-type", "text/event-stream"),)})
    return registry()["stream.complete"].fn(CheckInput(target, "claude-sonnet-4-5", (x,)))


START = ("message_start", {"type": "message_start", "message": {"model": "m", "usage": {"input_tokens": 3}}})
DELTA = ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}})
STOP = ("message_stop", {"type": "message_stop"})
PING = ("ping", {"type": "ping"})


@pytest.mark.parametrize("events, status, words", [
    ((START, DELTA, STOP), "pass", "then message_stop"),
    ((PING, START, PING, DELTA, STOP), "pass", "then message_stop"),  # pings may come first (the SDK drops them)
    ((START, DELTA), "fail", "no message_stop event"),
    ((START, STOP), "fail", "no message_delta carried a stop_reason"),
    ((DELTA, STOP), "fail", "the first event is 'message_delta'"),
    ((START, ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})), "inconclusive", "overloaded_error"),
    ((START, ("error", {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}), DELTA, STOP), "fail", "an error event"),
])
def test_a_messages_stream_is_complete_when_its_events_say_so(events, status, words):
    verdict = _stream_verdict(events)
    assert verdict.status == status and words in verdict.summary, verdict.summary


@pytest.mark.parametrize("asked, replied, same", [
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219", True), ("claude-sonnet-4-0", "claude-sonnet-4-20250514", True),
    ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", True), ("claude-sonnet-4-0", "claude-opus-4-20250514", False),
    ("claude-3-7-sonnet-latest", "claude-3-5-sonnet-20241022", False), ("gpt-4o-0", "gpt-4o-20240806", False),
])
def test_anthropic_aliases_match_their_dated_snapshots(asked, replied, same):
    from relaycheck.checks._util import same_model

    assert same_model(asked, replied) is same


def _auth_verdict(xkey_status: int | None, bearer_status: int | None):
    from relaycheck.checks import CheckInput, registry

    target = Target("t", "http://127.0.0.1:9", "K", ("claude-sonnet-4-5",), protocol="anthropic")
    found = []
    for label, status in (("auth: header x-api-key", xkey_status), ("auth: bearer", bearer_status)):
        if status is not None:
            body = MESSAGE if status == 200 else {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            found.append(Exchange(**{**_x(body).__dict__, "id": f"x{len(found) + 1}", "label": label, "status": status}))
    return registry()["base.auth_bearer"].fn(CheckInput(target, None, tuple(found)))


@pytest.mark.parametrize("xkey, bearer, status, words", [
    (200, 200, "pass", "Bearer too"), (200, 401, "pass", "need ANTHROPIC_API_KEY here"), (200, None, "pass", "x-api-key accepted"),
    (401, 200, "fail", "only auth_token"), (401, 401, "inconclusive", "may be invalid"), (None, 200, "inconclusive", "no request"),
])
def test_which_key_placements_a_messages_relay_takes(xkey, bearer, status, words):
    verdict = _auth_verdict(xkey, bearer)
    assert verdict.status == status and words in verdict.summary, verdict.summary
