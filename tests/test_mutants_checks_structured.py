"""params.* verdicts of relaycheck/checks/structured.py pinned against surviving mutmut mutants (see /tmp/mut/RESULT.md)."""

from __future__ import annotations

import pytest

from relaycheck.checks import Verdict
from relaycheck.checks.structured import matches
from test_checks_unit import ex, verdict

PLACE = '{"city":"Paris","country":"France"}'


def _x(label, body=None, **kw):
    return ex(label.replace(" ", "_"), probe="structured", label=label, body=body, **kw)


def _msg(text, finish="stop"):
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}]}


NOT_MATCHING = ", not JSON matching what was asked"


@pytest.mark.parametrize(
    "exchanges,expected",
    [
        (lambda: (), Verdict("inconclusive", "the response_format json_object request was not sent")),
        (lambda: (_x("json_object", _msg('{"a":1}')),), Verdict("inconclusive", "the response_format json_schema request was not sent")),
        (lambda: (_x("json_object", _msg('{"a":1}')), _x("json_schema", _msg(PLACE))),
         Verdict("pass", "json_object gave a JSON object and json_schema (strict) JSON matching the schema", ("json_object", "json_schema"))),
        (lambda: (_x("json_object", _msg("[1]")), _x("json_schema", _msg('{"name":1}'))),
         Verdict("fail", "json_object answered with “[1]”" + NOT_MATCHING + "; json_schema answered with “{\"name\":1}”" + NOT_MATCHING,
                 ("json_object", "json_schema"))),
        (lambda: (_x("json_object", _msg("  ")), _x("json_schema", _msg(PLACE))),
         Verdict("inconclusive", "the json_object reply is empty", ("json_object",))),
        (lambda: (_x("json_object", {"error": {"message": "unsupported"}}, status=400), _x("json_schema", _msg(PLACE))),
         Verdict("inconclusive", "response_format json_object is not supported: refused with HTTP 400 (HTTP 400, “unsupported”), which is honest",
                 ("json_object",))),
        (lambda: (_x("json_object", _msg('{"a":', "length"), request={"max_tokens": 5}), _x("json_schema", _msg(PLACE))),
         Verdict("inconclusive", "the json_object reply: json_object was cut at relaycheck's own budget of 5 tokens (finish_reason length): "
                 "a cut reply is not evidence", ("json_object",))),
        (lambda: (_x("json_object", _msg('{"a":1}', "length"), request={"max_tokens": 5}), _x("json_schema", _msg(PLACE))),
         Verdict("pass", "json_object gave a JSON object and json_schema (strict) JSON matching the schema", ("json_object", "json_schema"))),
        (lambda: (_x("json_object", None, status=500),), Verdict("inconclusive", "the response_format json_object request did not succeed (HTTP 500)",
                                                               ("json_object",))),
        (lambda: (_x("json_object", "not json"),), Verdict("inconclusive", "the response_format json_object request did not succeed (HTTP 200)",
                                                          ("json_object",))),
    ],
)
def test_json_mode(exchanges, expected):
    assert verdict("params.json_mode", *exchanges()) == expected


def test_n_logprobs_seed():
    assert verdict("params.n") == Verdict("inconclusive", "the n=2 request was not sent")
    assert verdict("params.n", _x("n", {"choices": [{}, {}]})) == Verdict("pass", "n=2 returned two choices", ("n",), {"choices": 2})
    assert verdict("params.n", _x("n", {"choices": [{}]})) == Verdict(
        "fail", "n=2 was accepted (HTTP 200) but 1 choice(s) came back: the parameter was ignored", ("n",), {"choices": 1})
    assert verdict("params.n", _x("n", {"choices": "x"})).metrics == {"choices": 0}
    assert verdict("params.n", _x("n", {"error": "x"}, status=422)) == Verdict(
        "pass", "n=2 is not supported: refused with HTTP 422 (HTTP 422, “x”), which is honest", ("n",), {"supported": False})

    def lp(body):
        return verdict("params.logprobs", _x("logprobs", body))

    assert lp({"choices": [{"logprobs": {"content": [{"logprob": -1}, {"logprob": 0}]}}]}) == Verdict(
        "pass", "logprobs for 2 tokens came back", ("logprobs",), {"tokens": 2})
    ignored = Verdict("fail", "logprobs was accepted (HTTP 200) but the reply carries none: the parameter was ignored", ("logprobs",))
    for body in ({"choices": [{"logprobs": {"content": [{"logprob": -1}, {"x": 0}]}}]}, {"choices": [{"logprobs": {"content": []}}]},
                 {"choices": [{"logprobs": None}]}, {"choices": []}, {"choices": ["x"]}, {"choices": [{"logprobs": {"content": ["x"]}}]}):
        assert lp(body) == ignored

    def seed(*xs):
        return verdict("params.seed", *xs)

    assert seed(_x("seed #1", _msg("a")), _x("seed #2", _msg("a"))) == Verdict(
        "pass", "the same seed gave the same reply at temperature 1", ("seed_#1", "seed_#2"))
    assert seed(_x("seed #1", _msg("a")), _x("seed #2", _msg("b"))) == Verdict(
        "inconclusive", "the same seed gave different replies; seed is best effort upstream, so this does not prove it was dropped",
        ("seed_#1", "seed_#2"))
    assert seed(_x("seed #1", _msg(" ")), _x("seed #2", _msg("b"))) == Verdict(
        "inconclusive", "a seeded request gave an empty reply", ("seed_#1", "seed_#2"))
    assert seed(_x("seed #1", _msg("b")), _x("seed #2", _msg(" "))).summary == "a seeded request gave an empty reply"
    assert seed(_x("seed #1", _msg("a"))) == Verdict("inconclusive", "the seed request was not sent")


SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "object", "properties": {"c": {"type": "string"}}, "required": ["c"]}},
          "required": ["a"], "additionalProperties": False}


@pytest.mark.parametrize(
    "value,ok",
    [({"a": "x"}, True), ({"a": 1}, False), ({}, False), ({"a": "x", "z": 1}, False), ({"a": "x", "b": {}}, False),
     ({"a": "x", "b": {"c": "y"}}, True), ("s", False), ([1], False)],
)
def test_matches(value, ok):
    assert matches(value, SCHEMA) is ok


def test_matches_open_schemas():
    assert matches(1, {"type": "number"}) and matches({"z": 1}, {"type": "object"}) and matches("x", {"type": "string"})
    assert not matches(1, {"type": "string"})
    assert matches({"z": 1}, {"type": "object", "properties": {"a": {"type": "string"}}})  # extras allowed unless forbidden
