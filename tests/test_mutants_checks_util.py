"""Helpers of relaycheck/checks (chat, reasoning, _util) pinned against surviving mutmut mutants (see /tmp/mut/RESULT.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relaycheck.checks._util import completion_beside, cut_by_own_budget, own_budget
from relaycheck.checks.chat import _missing_fields
from relaycheck.checks.reasoning import _reasoning_reported
from test_checks_unit import chunk, ex


@pytest.mark.parametrize(
    "body,missing",
    [
        ({}, ["id", "object", "created", "model", "choices"]),
        ({"id": 1, "object": "x", "created": "t", "model": "m", "choices": []}, ["id (not a string)", "created (not an integer)", "choices"]),
        ({"id": "a", "object": "x", "created": 1, "model": "m", "choices": [
            "s", {}, {"index": 0, "message": {"role": "assistant"}, "finish_reason": "stop"},
            {"index": 0, "message": {"tool_calls": []}, "finish_reason": "stop"}, {"index": 0, "message": "str", "finish_reason": None}]},
         ["choices[0]", "choices[1].index", "choices[1].message", "choices[1].finish_reason", "choices[2].message.content"]),
        ({"id": "a", "object": "x", "created": True, "model": "m", "choices": {"a": 1}}, ["created (not an integer)", "choices"]),
        ({"id": "a", "object": "x", "created": 1, "model": "m", "choices": [{"index": 0, "message": {"content": None}, "finish_reason": "stop"}]}, []),
    ],
)
def test_chat_missing_fields(body, missing):
    assert _missing_fields(body) == missing


@pytest.mark.parametrize(
    "body,reported",
    [
        ({"usage": {"completion_tokens_details": {"reasoning_tokens": 5}}}, True),
        ({"usage": {"completion_tokens_details": {"reasoning_tokens": 1}}}, True),
        ({"usage": {"completion_tokens_details": {"reasoning_tokens": 0}}}, False),
        ({"usage": {"completion_tokens_details": {"reasoning_tokens": "5"}}}, False),
        ({"usage": {"completion_tokens_details": [1]}}, False),
        ({"usage": "x", "choices": [{"message": {"reasoning_content": "think"}}]}, True),
        ({"choices": [{"message": {"reasoning": "think"}}]}, True),
        ({"choices": [{"message": {"reasoning": ""}}]}, False),
        ({"choices": [{"message": "text"}]}, False),
        ({"choices": ["x"]}, False),
        ({"choices": "x"}, False),
        ([1], False),
        ({"usage": None, "choices": []}, False),
    ],
)
def test_reasoning_reported(body, reported):
    assert _reasoning_reported(ex(body=body)) is reported


@pytest.mark.parametrize(
    "exchange,reason",
    [
        (ex(body={"choices": [{"finish_reason": "stop"}]}), "stop"),
        (ex(body={"choices": [{"finish_reason": "stop"}, {"finish_reason": "length"}]}), "stop"),
        (ex(body={"choices": []}), None),
        (ex(body={"choices": ["x"]}), None),
        (ex(body=[1]), None),
        (ex(sse=[chunk("a"), chunk(None, "length"), chunk(None, "stop"), b'data: {"choices":[null, {"finish_reason":"x"}]}\n\n', b"data: [1]\n\n"]), "x"),
        (ex(sse=[chunk("a"), chunk(None, "length"), chunk(None, None)]), "length"),
        (ex(sse=[chunk("a")]), None),
        (ex(sse=[b'data: {"choices": null}\n\n']), None),
    ],
)
def test_finish_reason(exchange, reason):
    assert exchange.reply.finish_reason == reason


def test_completion_beside_needs_a_working_chat_at_the_same_base():
    models = replace(ex("m1", probe="models", body={"data": []}), url="https://relay.example/v1/models?x=1")
    chats = [
        ex("c0", status=500, body=""),
        replace(ex("c1", body={"choices": []}), url="https://other/v1/chat/completions"),
        ex("c2", body={"choices": {}}),
        ex("c2b", body=[1]),
        replace(ex("c3", body={"choices": []}), url="https://relay.example/v1/chat/completions?y=2"),
        ex("c4", body={"choices": []}),
    ]
    assert completion_beside(models, chats).id == "c3"
    assert completion_beside(replace(models, url="https://relay.example/v2/models"), chats) is None
    assert completion_beside(models, []) is None


def test_own_budget_and_a_cut_reply():
    assert own_budget(ex(request={"max_completion_tokens": 7, "max_tokens": 9})) == 7
    assert own_budget(ex(request={"max_tokens": 9})) == 9
    assert own_budget(ex(request={"max_tokens": "9"})) is None
    assert own_budget(ex(request=None)) is None
    assert own_budget(ex(request={"max_completion_tokens": 0, "max_tokens": 9})) == 9
    assert cut_by_own_budget(ex(request={"max_tokens": 9}, body={"choices": [{"finish_reason": "length"}]})) == (
        "x1 was cut at relaycheck's own budget of 9 tokens (finish_reason length): a cut reply is not evidence")
    assert cut_by_own_budget(ex(request={"max_tokens": 9}, body={"choices": [{"finish_reason": "stop"}]})) is None
    assert cut_by_own_budget(ex(body={"choices": [{"finish_reason": "length"}]})) is None
