"""The relay fingerprint, line by line: each header clue, each error dialect, and the first exchange cited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relaycheck.checks.fingerprint import fingerprint
from test_checks_unit import ex


def _with(headers, xid="x1", status=200, body=None):
    return replace(ex(xid, status=status, body=body if body is not None else {"ok": True}), response_headers=tuple(headers))


@pytest.mark.parametrize("headers,line", [
    ([("X-Oneapi-Request-Id", "1")], "one-api/new-api: X-Oneapi-Request-Id header (x1)"),
    ([("x-new-api-version", "v0.9")], "one-api/new-api: x-new-api-* headers (x1)"),
    ([("X-LiteLLM-Version", "1.106")], "LiteLLM: x-litellm-* headers (x1)"),
    ([("x-generation-id", "gen-1")], "OpenRouter: X-Generation-Id header (x1)"),
    ([("openai-processing-ms", "12")], "OpenAI upstream headers passed through: openai-processing-ms / openai-organization headers (x1)"),
    ([("OpenAI-Organization", "org")], "OpenAI upstream headers passed through: openai-processing-ms / openai-organization headers (x1)"),
    ([("anthropic-ratelimit-requests-limit", "50")], "Anthropic upstream headers passed through: anthropic-* headers (x1)"),
    ([("CF-RAY", "8a")], "behind Cloudflare: cf-ray header (x1)"),
    ([("Server", "nginx/1.25")], "server software: nginx/1.25: Server header (x1)"),
])
def test_each_header_clue_is_one_line_citing_its_exchange(headers, line):
    assert fingerprint((_with([("content-type", "application/json"), *headers]),)) == (line,)


def test_no_clue_no_line_and_near_misses_say_nothing():
    assert fingerprint((_with([("content-type", "application/json")]),)) == ()
    near = [("x-oneapi", "1"), ("new-api", "1"), ("litellm", "1"), ("x-generation", "1"), ("openai-model", "gpt"),
            ("x-anthropic", "1"), ("cf-cache-status", "HIT")]
    assert fingerprint((_with(near),)) == ()


def test_a_one_api_request_id_in_an_error_body_is_a_clue():
    body = {"error": {"message": "无效的令牌 (request id: 2024110112)", "type": "one_api_error"}}
    lines = fingerprint((_with([("content-type", "application/json")], status=401, body=body),))
    assert "one-api/new-api: “(request id: …)” in error messages (x1)" in lines[0]


def test_the_request_id_phrase_is_only_looked_for_at_the_start_of_a_body():
    far = {"pad": "a" * 5000, "error": {"message": "x (request id: 1)"}}
    assert not any("request id" in line for line in fingerprint((_with([("content-type", "application/json")], body=far),)))


def test_clues_group_by_what_they_suggest_and_cite_the_first_exchange():
    a = _with([("x-litellm-version", "1")], "x1")
    b = _with([("x-litellm-model-id", "m"), ("server", "uvicorn")], "x2")
    c = _with([("x-litellm-version", "1")], "x3")
    assert fingerprint((a, b, c)) == ("LiteLLM: x-litellm-* headers (x1)", "server software: uvicorn: Server header (x2)")
    two = _with([("x-oneapi-request-id", "1"), ("x-new-api-version", "2")], "x4")
    assert fingerprint((two,)) == ("one-api/new-api: X-Oneapi-Request-Id header (x4), x-new-api-* headers (x4)",)


@pytest.mark.parametrize("body,line", [
    ({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}},
     "OpenAI-style error bodies: error responses (x1)"),
    ({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
     "Anthropic-style error bodies: error responses (x1)"),
])
def test_an_error_dialect_names_its_family(body, line):
    lines = fingerprint((_with([("content-type", "application/json")], status=401, body=body),))
    assert line in lines
