"""The OpenAI Responses adapter (issue 19): requests built as the openai SDK's client.responses sends them,
response objects and typed events read into the same Reply the checks judge, hostile payloads read without
raising, and stream.complete judged by the protocol's own grammar."""

from __future__ import annotations

import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.config.targets import Target
from relaycheck.probes import canaries
from relaycheck.probes.errors import minimal_body
from relaycheck.probes.root import variants
from relaycheck.protocol import for_target, protocol_of
from relaycheck.protocol.responses import RESPONSES
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.wire.sse import SSEEvent

URL = "http://127.0.0.1:9/v1/responses"
MODEL = "gpt-4o-mini"


def _x(body: object = None, events: tuple[tuple[str, dict], ...] = (), request: dict | None = None, probe: str = "chat") -> Exchange:
    text = json.dumps(body) if body is not None else ""
    sse = tuple(SSEEvent(i, float(i), name, json.dumps(payload), None, True) for i, (name, payload) in enumerate(events))
    ctype = "text/event-stream" if events else "application/json"
    return Exchange(id="x1", probe=probe, model=MODEL, label="", method="POST", url=URL, request_headers=(),
                    request_body=json.dumps(request or {}), status=200, response_headers=(("content-type", ctype),), body=text,
                    body_bytes=len(text), body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0),
                    events=sse, events_total=len(sse))


USAGE = {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 9,
         "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 21}
RESPONSE = {"id": "resp_01", "object": "response", "created_at": 1, "status": "completed", "error": None, "incomplete_details": None,
            "model": "gpt-4o-mini-2024-07-18", "usage": USAGE,
            "output": [{"type": "reasoning", "id": "rs_1", "summary": []},
                       {"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "Hel"},
                                                                                         {"type": "output_text", "text": "lo"}]},
                       {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "run_command", "arguments": "{\"command\": \"ls\"}"}]}


def test_a_response_reads_into_the_common_reply():
    x = _x(RESPONSE)
    assert protocol_of(x) is RESPONSES
    reply = x.reply
    assert reply.shaped and reply.text == "Hello" and reply.model == "gpt-4o-mini-2024-07-18" and reply.finish_reason == "tool_calls"
    assert (reply.prompt_tokens, reply.completion_tokens, reply.total_tokens, reply.cached_tokens, reply.reasoning_tokens) == (12, 9, 21, 4, 2)
    assert [(c.id, c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("call_1", "run_command", {"command": "ls"})]
    assert not reply.reasoning_shown and reply.error is None  # an empty summary shows nothing; error: null is no error


@pytest.mark.parametrize("status, details, finish", [
    ("incomplete", {"reason": "max_output_tokens"}, "length"), ("incomplete", {"reason": "content_filter"}, "content_filter"),
    ("incomplete", None, "incomplete"), ("failed", None, "failed"), ("in_progress", None, "in_progress"), (None, None, None),
])
def test_a_responses_end_reads_in_chat_completions_words(status, details, finish):
    body = {**RESPONSE, "status": status, "incomplete_details": details, "output": RESPONSE["output"][:2]}
    assert _x(body).reply.finish_reason == finish


def test_shape_problems_name_what_is_missing_and_what_is_tolerated():
    assert RESPONSES.shape_problems(RESPONSE) == ([], [])
    missing, deviations = RESPONSES.shape_problems({"id": "chatcmpl-1", "object": "chat.completion", "model": "m", "output": [{}]})
    assert missing == ["status", "output items without a type", "usage.input_tokens/output_tokens"]
    assert deviations == ["id 'chatcmpl-1' is not resp_…", "object is 'chat.completion'"]
    assert RESPONSES.shape_problems({**RESPONSE, "billing": {"payer": "developer"}}) == ([], [])  # the object grows fields often


def _event(kind: str, **fields) -> tuple[str, dict]:
    return kind, {"type": kind, **fields}


CREATED = _event("response.created", response={**RESPONSE, "status": "in_progress", "output": [], "usage": None})
COMPLETED = _event("response.completed", response=RESPONSE)
STREAM = (
    CREATED,
    _event("response.in_progress", response={**RESPONSE, "status": "in_progress", "output": [], "usage": None}),
    _event("response.output_item.added", output_index=0, item={"type": "message", "id": "msg_1", "content": []}),
    _event("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="Hel"),
    _event("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="lo"),
    _event("response.output_text.done", item_id="msg_1", output_index=0, content_index=0, text="Hello"),
    _event("response.output_item.added", output_index=1, item={"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "Bash", "arguments": ""}),
    _event("response.function_call_arguments.delta", item_id="fc_1", output_index=1, delta="{\"command\": "),
    _event("response.function_call_arguments.delta", item_id="fc_1", output_index=1, delta="\"ls\"}"),
    _event("response.function_call_arguments.done", item_id="fc_1", output_index=1, arguments="{\"command\": \"ls\"}"),
    COMPLETED,
)


def test_a_stream_of_typed_events_is_reassembled():
    reply = _x(events=STREAM).reply
    assert reply.streamed and reply.shaped and reply.streamed_text == "Hello" and reply.pieces == ("Hel", "lo")
    assert reply.model == "gpt-4o-mini-2024-07-18" and reply.finish_reason == "tool_calls"
    assert (reply.prompt_tokens, reply.completion_tokens) == (12, 9)
    assert [(c.id, c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("call_1", "Bash", {"command": "ls"})]
    assert RESPONSES.stream_ended(_x(events=STREAM)) and not RESPONSES.stream_ended(_x(events=STREAM[:-1]))


def test_a_call_whose_arguments_come_only_in_its_done_event_is_read():
    added = _event("response.output_item.added", output_index=0, item={"type": "function_call", "call_id": "c", "name": "Write", "arguments": ""})
    done = _event("response.output_item.done", output_index=0, item={"type": "function_call", "call_id": "c", "name": "Write", "arguments": "{\"a\": 1}"})
    assert [c.arguments for c in _x(events=(CREATED, added, done, COMPLETED)).reply.tool_calls] == ["{\"a\": 1}"]


@pytest.mark.parametrize("body", [[], {"output": "text"}, {"output": [1, None, {"type": "message", "content": "x"}]},
                                  {"usage": {"input_tokens": "9"}, "output": []}, {"status": {"a": 1}}, {"object": "response", "output": [
                                      {"type": "function_call", "arguments": 5}, {"type": "reasoning", "summary": "x"}]}])
def test_hostile_bodies_read_without_raising(body):
    reply = _x(body).reply
    assert reply.prompt_tokens is None or isinstance(reply.prompt_tokens, int)


def test_hostile_events_read_without_raising():
    events = tuple((str(i), payload) for i, payload in enumerate([
        {"type": "response.output_text.delta", "delta": 5}, {"type": "response.created", "response": []},
        {"type": "response.completed", "response": {"status": 7, "usage": "x"}}, {"type": "error"},
        {"type": "response.function_call_arguments.delta", "output_index": [], "delta": "x"},
        {"type": "response.output_item.added", "output_index": {"a": 1}, "item": {"type": "function_call"}},
    ]))
    reply = _x(events=events).reply
    assert reply.streamed and reply.text == ""


def test_requests_are_built_as_the_openai_sdk_sends_them():
    body = RESPONSES.body(MODEL, "Hi", 24, 512, stream=True)
    assert body == {"model": MODEL, "input": "Hi", "store": False, "max_output_tokens": 24, "temperature": 0, "stream": True}
    assert RESPONSES.body("o3-mini", "Hi", 24, 512)["max_output_tokens"] == 512 and "temperature" not in RESPONSES.body("o3-mini", "Hi", 24, 512)
    assert minimal_body(MODEL, RESPONSES)["max_output_tokens"] == 16  # OpenAI refuses fewer than 16
    tool = canaries.RUN_COMMAND
    forced = RESPONSES.with_tools(RESPONSES.with_system(body, "sys"), (tool,), tool.name)
    assert forced["instructions"] == "sys" and forced["tool_choice"] == {"type": "function", "name": "run_command"}
    assert forced["tools"][0] == {"type": "function", "name": tool.name, "description": tool.description, "parameters": tool.parameters}
    assert RESPONSES.tool_choice_of(forced) == "run_command" and RESPONSES.system_of(forced) == "sys"
    assert RESPONSES.tools_of(forced) == ((tool.name, tool.description),) and RESPONSES.budget_of(forced) == 24
    assert RESPONSES.tool_choice_of(RESPONSES.with_tools(body, (tool,), "none")) == "none"
    listed = {"input": [{"role": "developer", "content": "dev"}, {"role": "user", "content": [{"type": "input_text", "text": "Q"}]}]}
    assert RESPONSES.system_of(listed) == "dev" and RESPONSES.user_prompt_of(listed) == "Q"
    assert RESPONSES.headers() == {} and RESPONSES.auth.value == "bearer"


def test_a_target_may_name_the_protocol_and_its_base_is_the_openai_one():
    target = Target("t", "https://relay.example/v1", "K", (MODEL,), protocol="responses")
    assert for_target(target) is RESPONSES
    assert variants("https://relay.example", "responses") == [("append /v1", "https://relay.example/v1")]


def _stream_verdict(events):
    target = Target("t", "http://127.0.0.1:9/v1", "K", (MODEL,), protocol="responses")
    return registry()["stream.complete"].fn(CheckInput(target, MODEL, (_x(events=events, probe="stream"),)))


@pytest.mark.parametrize("events, status, words", [
    (STREAM, "pass", "response.completed at event #10"),
    ((CREATED, _event("response.incomplete", response={**RESPONSE, "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}})),
     "pass", "its end read as 'length'"),
    (STREAM[:-1], "fail", "no response.completed event"),
    (STREAM[1:], "fail", "the first event is 'response.in_progress'"),
    ((CREATED, _event("response.failed", response={**RESPONSE, "status": "failed", "error": {"code": "invalid_prompt", "message": "no"}})),
     "fail", "the response failed"),
    ((CREATED, _event("error", code="server_error", message="busy")), "inconclusive", "server_error"),
    # The live API nests its error event's fields under `error`.
    ((CREATED, _event("error", error={"type": "tokens", "code": "rate_limit_exceeded", "message": "slow down"})), "inconclusive", "rate_limit_exceeded"),
    ((CREATED, _event("error", code="invalid_request", message="bad"), COMPLETED), "fail", "the response failed"),
])
def test_a_responses_stream_is_complete_when_its_events_say_so(events, status, words):
    verdict = _stream_verdict(events)
    assert verdict.status == status and words in verdict.summary, verdict.summary


def test_usage_is_judged_by_each_protocols_own_fields():
    from relaycheck.checks._util import usage_problem
    from relaycheck.protocol.anthropic import MESSAGES

    assert usage_problem(USAGE, RESPONSES) is None
    assert usage_problem({**USAGE, "total_tokens": 20}, RESPONSES) == "usage.total_tokens 20 is not input 12 + output 9"
    assert usage_problem({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}, RESPONSES) == "usage.input_tokens is missing"
    assert usage_problem({"input_tokens": 3, "output_tokens": 4}, MESSAGES) is None  # Messages reports no total
    assert usage_problem({"input_tokens": 3, "output_tokens": -4}, MESSAGES) == "usage.output_tokens is not a non-negative integer (-4)"
    assert usage_problem({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3}) == "usage.total_tokens 3 is not prompt 1 + completion 1"
