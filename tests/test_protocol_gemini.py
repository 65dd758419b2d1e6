"""The Gemini adapter (issue 19): the model moved from the body into the URL, replies and data-only stream chunks read
into the same Reply, hostile payloads read without raising, stream.complete and the key checks judged as Google's
API behaves (a wrong key is its 400 INVALID_ARGUMENT, a missing one its 403)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.checks._util import usage_problem
from relaycheck.config.targets import Target
from relaycheck.probes import canaries
from relaycheck.probes.root import variants
from relaycheck.protocol import for_target, protocol_of
from relaycheck.protocol.gemini import GEMINI, model_in_url
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.wire.sse import SSEEvent

MODEL = "gemini-2.5-flash"
BASE = "http://127.0.0.1:9/v1beta/models"
URL = f"{BASE}/{MODEL}:generateContent"
STREAM_URL = f"{BASE}/{MODEL}:streamGenerateContent?alt=sse"


def _x(body: object = None, events: tuple[dict, ...] = (), url: str = URL, status: int = 200, probe: str = "chat", label: str = "") -> Exchange:
    text = json.dumps(body) if body is not None else ""
    sse = tuple(SSEEvent(i, float(i), None, json.dumps(payload), None, True) for i, payload in enumerate(events))
    return Exchange(id="x1", probe=probe, model=MODEL, label=label, method="POST", url=url if not events else STREAM_URL, request_headers=(),
                    request_body="{}", status=status, response_headers=(("content-type", "text/event-stream" if events else "application/json"),),
                    body=text, body_bytes=len(text), body_truncated=False, body_utf8_ok=True,
                    timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0), events=sse, events_total=len(sse))


USAGE = {"promptTokenCount": 12, "candidatesTokenCount": 7, "thoughtsTokenCount": 3, "totalTokenCount": 22, "cachedContentTokenCount": 4}
REPLY = {"candidates": [{"content": {"role": "model", "parts": [{"text": "thinking…", "thought": True}, {"text": "Hel"}, {"text": "lo"},
                                                                 {"functionCall": {"name": "run_command", "args": {"command": "ls"}}}]},
                         "finishReason": "STOP", "index": 0}], "usageMetadata": USAGE, "modelVersion": MODEL, "responseId": "r1"}


def test_the_model_and_the_method_move_into_the_url():
    body = GEMINI.body(MODEL, "Hi", 24, 512, stream=True)
    url, wire = GEMINI.route(BASE, body, "other")
    assert url == STREAM_URL and "model" not in wire and "stream" not in wire
    assert wire["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert wire["generationConfig"] == {"maxOutputTokens": 24, "temperature": 0, "thinkingConfig": {"thinkingBudget": 0}}
    assert GEMINI.route(BASE, {"model": "relaycheck-no-such-model-1"}, MODEL)[0] == f"{BASE}/relaycheck-no-such-model-1:generateContent"
    assert GEMINI.route(BASE, None, MODEL) == (URL, None)  # a raw (unparseable) body goes to the probe's model
    assert model_in_url(STREAM_URL) == MODEL and model_in_url("http://h/v1beta/models") is None
    # Thoughts count against maxOutputTokens: 2.5 Flash turns thinking off, models that always think get the reasoning
    # budget and their least thinking, older models refuse a thinkingConfig at all.
    assert GEMINI.body("gemini-2.5-flash-lite", "Hi", 24, 512)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0}
    assert GEMINI.body("gemini-2.5-pro", "Hi", 24, 16)["generationConfig"] == {"maxOutputTokens": 152, "temperature": 0,
                                                                               "thinkingConfig": {"thinkingBudget": 128}}  # above it
    assert GEMINI.body("gemini-3-pro-preview", "Hi", 24, 512)["generationConfig"] == {"maxOutputTokens": 640, "thinkingConfig": {"thinkingLevel": "low"}}
    assert GEMINI.body("gemini-flash-latest", "Hi", 24, 512)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0}
    assert GEMINI.body("gemini-pro-latest", "Hi", 24, 512)["generationConfig"]["maxOutputTokens"] == 640
    assert "thinkingConfig" not in GEMINI.body("gemini-2.0-flash", "Hi", 24, 512)["generationConfig"]
    from relaycheck.probes.prompts import completion_ceiling
    assert completion_ceiling("gemini-2.5-pro", 24, 512) == 640 and completion_ceiling("gemini-2.0-flash", 24, 512) == 24  # priced so
    assert GEMINI.route(BASE, {"model": f"models/{MODEL}"}, None)[0] == URL  # the list's spelling of a name


def test_a_reply_reads_into_the_common_reply():
    x = _x(REPLY)
    assert protocol_of(x) is GEMINI and protocol_of(_x(events=(REPLY,))) is GEMINI
    reply = x.reply
    assert reply.shaped and reply.text == "Hello" and reply.model == MODEL and reply.finish_reason == "tool_calls" and reply.reasoning_shown
    assert (reply.prompt_tokens, reply.completion_tokens, reply.total_tokens, reply.reasoning_tokens, reply.cached_tokens) == (12, 10, 22, 3, 4)
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("run_command", {"command": "ls"})]
    assert usage_problem(USAGE, GEMINI) is None  # thoughts count in totalTokenCount
    assert usage_problem({**USAGE, "totalTokenCount": 19}, GEMINI) == "usage.totalTokenCount 19 is not prompt 12 + candidates 7 + thoughts 3"


@pytest.mark.parametrize("reason, finish", [("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter"),
                                            ("OTHER", "other"), ("FINISH_REASON_UNSPECIFIED", None), (None, None), (7, None)])
def test_finish_reasons_read_in_chat_completions_words(reason, finish):
    body = {**REPLY, "candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": reason}]}
    assert _x(body).reply.finish_reason == finish


def test_a_stream_of_chunks_is_reassembled():
    chunks = ({"candidates": [{"content": {"parts": [{"text": "Hel"}]}}], "modelVersion": MODEL},
              {"candidates": [{"content": {"parts": [{"text": "lo"}]}}], "modelVersion": MODEL},
              {"candidates": [{"content": {"parts": [{"functionCall": {"name": "Bash", "args": {"command": "ls"}}}]}, "finishReason": "STOP"}],
               "usageMetadata": USAGE, "modelVersion": MODEL})
    x = _x(events=chunks)
    reply = x.reply
    assert reply.streamed and reply.pieces == ("Hel", "lo") and reply.finish_reason == "tool_calls" and reply.completion_tokens == 10
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("Bash", {"command": "ls"})]
    assert GEMINI.stream_ended(x) and not GEMINI.stream_ended(_x(events=chunks[:2]))


@pytest.mark.parametrize("body", [[], {"candidates": "x"}, {"candidates": [None, 1]}, {"candidates": [{"content": {"parts": "x"}}]},
                                  {"candidates": [{"content": {"parts": [{"text": 5}, {"functionCall": "x"}, {"functionCall": {"args": 1}}]}}]},
                                  {"usageMetadata": {"promptTokenCount": "9"}}, {"error": {"code": 400}}])
def test_hostile_bodies_read_without_raising(body):
    reply = _x(body).reply
    assert reply.prompt_tokens is None or isinstance(reply.prompt_tokens, int)


def test_requests_are_built_as_the_google_genai_sdk_sends_them():
    tool = canaries.RUN_COMMAND
    body = GEMINI.with_tools(GEMINI.with_system(GEMINI.body(MODEL, "Hi", 24, 512), "sys"), (tool,), tool.name)
    assert body["systemInstruction"] == {"parts": [{"text": "sys"}]}
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["run_command"]}}
    assert GEMINI.tools_of(body) == ((tool.name, tool.description),) and GEMINI.tool_choice_of(body) == "run_command"
    assert GEMINI.tool_choice_of(GEMINI.with_tools(body, (tool,), "none")) == "none" and GEMINI.system_of(body) == "sys"
    assert GEMINI.user_prompt_of(body) == "Hi" and GEMINI.budget_of(body) == 24 and GEMINI.auth.value == "header x-goog-api-key"
    # Google refuses additionalProperties in a function's parameters: it is removed at every level.
    assert "additionalProperties" in json.dumps(tool.parameters) and "additionalProperties" not in json.dumps(body["tools"])


def test_the_base_url_doctor_knows_the_gemini_root():
    assert variants("https://relay.example/google/v1beta", "gemini")[0] == ("drop /v1beta (the Gemini SDK adds /v1beta)", "https://relay.example/google")
    assert ("append /google", "https://relay.example/google") in variants("https://relay.example", "gemini")
    assert for_target(Target("t", "https://relay.example/google", "K", (MODEL,), protocol="gemini")) is GEMINI


def _verdict(check_id: str, *exchanges: Exchange):
    target = Target("t", "http://127.0.0.1:9", "K", (MODEL,), protocol="gemini")
    return registry()[check_id].fn(CheckInput(target, MODEL, exchanges))


FINAL = {"candidates": [{"content": {"parts": [{"text": "!"}]}, "finishReason": "STOP"}], "usageMetadata": USAGE, "modelVersion": MODEL}
PIECE = {"candidates": [{"content": {"parts": [{"text": "x"}]}}], "modelVersion": MODEL}


@pytest.mark.parametrize("events, status, words", [
    ((PIECE, FINAL), "pass", "finishReason read as 'stop' at event #1"),
    ((PIECE, PIECE), "fail", "no chunk stated a finishReason"),
    (({"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}},), "fail", "no chunk carried candidates"),
    ((PIECE, {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}), "inconclusive", "UNAVAILABLE"),
])
def test_a_gemini_stream_is_complete_when_a_chunk_states_its_end(events, status, words):
    verdict = _verdict("stream.complete", _x(events=events, probe="stream"))
    assert verdict.status == status and words in verdict.summary, verdict.summary


def _error(status: int, message: str, grpc: str) -> dict:
    return {"error": {"code": status, "message": message, "status": grpc}}


@pytest.mark.parametrize("label, status, body, verdict", [
    ("wrong key", 400, _error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT"), "pass"),
    ("wrong key", 401, _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"), "pass"),
    ("wrong key", 400, _error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"), "warn"),  # no key refusal at all
    ("wrong key", 200, REPLY, "fail"),
    ("no key", 403, _error(403, "Method doesn't allow unregistered callers", "PERMISSION_DENIED"), "pass"),
])
def test_key_refusals_are_judged_as_google_answers_them(label, status, body, verdict):
    check_id = "errors.bad_key" if label == "wrong key" else "errors.missing_key"
    assert _verdict(check_id, _x(body, status=status, probe="errors", label=label)).status == verdict


@pytest.mark.parametrize("goog, other, verdict, words", [
    (200, None, "pass", "x-goog-api-key accepted"),
    (403, ("auth: query parameter key", 200), "fail", "the google-genai SDK sends x-goog-api-key"),
    (400, ("auth: bearer", 400), "inconclusive", "may be invalid"),
])
def test_which_key_placement_a_gemini_relay_takes(goog, other, verdict, words):
    found = [_x(REPLY if goog == 200 else _error(goog, "no", "PERMISSION_DENIED"), status=goog, label="auth: header x-goog-api-key")]
    if other:
        found.append(_x(REPLY if other[1] == 200 else _error(other[1], "no", "INVALID_ARGUMENT"), status=other[1], label=other[0]))
    result = _verdict("base.auth_bearer", *[dataclasses.replace(x, id=f"x{i}") for i, x in enumerate(found)])
    assert result.status == verdict and words in result.summary, result.summary


@pytest.mark.parametrize("protocol, body, ids, more, problem, deviation", [
    ("gemini", {"models": [{"name": "models/gemini-2.5-flash"}, {"name": "models/gemini-2.5-pro"}], "nextPageToken": "x"},
     ("gemini-2.5-flash", "gemini-2.5-pro"), True, None, None),
    ("gemini", {}, (), False, None, "the list is empty"),  # proto3 JSON omits an empty list
    ("gemini", {"models": "x"}, None, False, "no models array", None),
    ("gemini", {"models": [{"displayName": "x"}]}, None, False, "lack a string name", None),
    ("anthropic", {"data": [{"type": "model", "id": "claude-sonnet-4-5-20250929"}], "has_more": True}, ("claude-sonnet-4-5-20250929",), True, None, None),
    ("anthropic", {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}, ("gpt-4o-mini",), False, None, "not of type 'model'"),
    ("anthropic", [], None, False, "no data array", None),
    ("openai", {"object": "list", "data": [{"id": "m"}]}, ("m",), False, None, None),
    ("responses", {"object": "x", "data": []}, (), False, None, "the list is empty"),
])
def test_each_protocol_reads_its_own_model_list(protocol, body, ids, more, problem, deviation):
    listed = for_target(Target("t", "http://r", "K", ("m",), protocol=protocol)).model_list(body)
    assert listed.ids == ids and listed.more == more
    assert (problem is None) == (not listed.problems) and (problem is None or problem in listed.problems[0])
    assert deviation is None or any(deviation in d for d in listed.deviations)


def test_a_model_missing_from_a_first_page_is_not_a_fail():
    def listing(body: dict) -> Exchange:
        return dataclasses.replace(_x(body), probe="root", method="GET", url="http://127.0.0.1:9/v1beta/models")

    assert _verdict("models.listed", listing({"models": [{"name": "models/gemini-1.5-pro"}], "nextPageToken": "p2"})).status == "inconclusive"
    assert _verdict("models.listed", listing({"models": [{"name": "models/gemini-1.5-pro"}]})).status == "fail"
    assert _verdict("models.listed", listing({"models": [{"name": f"models/{MODEL}"}]})).status == "pass"


def test_google_omits_counts_of_zero():
    spent = {"candidates": [{"finishReason": "MAX_TOKENS", "index": 0}], "modelVersion": MODEL,
             "usageMetadata": {"promptTokenCount": 9, "thoughtsTokenCount": 24, "totalTokenCount": 33}}
    reply = _x(spent).reply
    assert (reply.completion_tokens, reply.reasoning_tokens, reply.finish_reason) == (24, 24, "length")
    assert usage_problem(spent["usageMetadata"], GEMINI) is None and GEMINI.shape_problems(spent) == ([], [])
    assert GEMINI.shape_problems({"candidates": [{"finishReason": "STOP"}], "modelVersion": MODEL})[0] == ["candidates[0].content"]


def test_googles_per_minute_quota_is_a_rate_limit_and_an_empty_one_a_balance():
    from relaycheck.wire import errorclass as ec

    quota = "You exceeded your current quota, please check your plan and billing details."
    limited = {"error": {"code": 429, "message": quota, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}]}}
    assert ec.classify(_x(limited, status=429)).category == ec.RATE_LIMITED
    assert ec.classify(_x({"error": {"code": 429, "message": quota, "status": "RESOURCE_EXHAUSTED"}}, status=429)).category == ec.INSUFFICIENT_BALANCE
