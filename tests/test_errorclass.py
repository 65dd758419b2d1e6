"""Error classification by status and code/type (message only as a fallback), with the relay dialect."""

from __future__ import annotations

import json

import pytest

from relaycheck.wire import errorclass as ec
from relaycheck.wire.exchange import Exchange, Timings


def response(status, body, headers=()):
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    ctype = "text/html" if text.lstrip().startswith("<") else "application/json"
    return Exchange(
        id="x1", probe="errors", model="m", label="", method="POST", url="https://r/v1/chat/completions",
        request_headers=(), request_body=None, status=status, response_headers=(("content-type", ctype), *headers),
        body=text, body_bytes=len(text), body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="t"),
    )


CASES = [
    # OpenAI
    (401, {"error": {"message": "Incorrect API key provided: sk-abc***xyz.", "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}, ec.AUTHENTICATION, "openai"),
    (429, {"error": {"message": "Rate limit reached for gpt-4o", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}, ec.RATE_LIMITED, "openai"),
    (429, {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}, ec.INSUFFICIENT_BALANCE, "openai"),
    (404, {"error": {"message": "The model `x` does not exist", "type": "invalid_request_error", "param": None, "code": "model_not_found"}}, ec.MODEL_NOT_FOUND, "openai"),
    (400, {"error": {"message": "'messages' is a required property", "type": "invalid_request_error", "param": "messages", "code": None}}, ec.BAD_REQUEST, "openai"),
    # one-api / new-api: rewritten 429 messages keep their code
    (429, {"error": {"message": "当前分组上游负载已饱和，请稍后再试", "type": "new_api_error", "code": "rate_limit_exceeded"}}, ec.RATE_LIMITED, "one-api/new-api"),
    (429, {"error": {"message": "当前分组上游负载已饱和，请稍后再试", "type": "new_api_error", "code": "insufficient_quota"}}, ec.INSUFFICIENT_BALANCE, "one-api/new-api"),
    (403, {"error": {"message": "用户额度不足 (request id: 2024111911)", "type": "one_api_error", "code": "insufficient_user_quota"}}, ec.INSUFFICIENT_BALANCE, "one-api/new-api"),
    (403, {"error": {"message": "pre-consume failed", "type": "new_api_error", "code": "pre_consume_token_quota_failed"}}, ec.INSUFFICIENT_BALANCE, "one-api/new-api"),
    (401, {"error": {"message": "该令牌额度已用尽 (request id: 20241119)", "type": "one_api_error"}}, ec.INSUFFICIENT_BALANCE, "one-api/new-api"),
    (401, {"error": {"message": "无效的令牌 (request id: 1)", "type": "one_api_error", "param": ""}}, ec.AUTHENTICATION, "one-api/new-api"),
    (503, {"error": {"message": "当前分组 default 下对于模型 x 无可用渠道 (request id: 1)", "type": "one_api_error"}}, ec.MODEL_NOT_FOUND, "one-api/new-api"),
    (503, {"error": {"message": "No available channel for model x under group default (distributor)", "type": "new_api_error", "code": "model_not_found"}}, ec.MODEL_NOT_FOUND, "one-api/new-api"),
    # LiteLLM, OpenRouter, vLLM, Anthropic, Gemini
    (400, {"error": {"message": "Budget has been exceeded! Current cost: 1.0", "type": "budget_exceeded", "param": None, "code": "400"}}, ec.INSUFFICIENT_BALANCE, "litellm"),
    (429, {"error": {"message": "litellm.RateLimitError: No deployments available", "type": None, "param": None, "code": "429"}}, ec.RATE_LIMITED, "litellm"),
    (402, {"error": {"code": 402, "message": "Insufficient credits", "metadata": {}}}, ec.INSUFFICIENT_BALANCE, "openrouter"),
    (404, {"object": "error", "message": "The model `x` does not exist.", "type": "NotFoundError", "param": None, "code": 404}, ec.MODEL_NOT_FOUND, "vllm"),
    (429, {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}}, ec.RATE_LIMITED, "anthropic"),
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, ec.SERVER_ERROR, "anthropic"),
    # Anthropic's exhausted credit balance is a 400 invalid_request_error; a bad request naming a budget stays one.
    (400, {"type": "error", "error": {"type": "invalid_request_error", "message": "Your credit balance is too low to access the Anthropic API. "
                                      "Please go to Plans & Billing to upgrade or purchase credits."}}, ec.INSUFFICIENT_BALANCE, "anthropic"),
    (400, {"type": "error", "error": {"type": "invalid_request_error", "message": "thinking.budget_tokens: Input should be greater than or "
                                      "equal to 1024"}}, ec.BAD_REQUEST, "anthropic"),
    (429, {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}, ec.RATE_LIMITED, "gemini"),
    (403, {"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}}, ec.PERMISSION, "gemini"),
    # Status only
    (429, "", ec.RATE_LIMITED, "unknown"),
    (502, "<html><body>Bad Gateway</body></html>", ec.SERVER_ERROR, "unknown"),
    (504, "upstream timed out", ec.UPSTREAM_TIMEOUT, "unknown"),
    (404, {"error": {"message": "Invalid URL (POST /v1/x)", "type": "invalid_request_error"}}, ec.BAD_REQUEST, "openai"),
]


@pytest.mark.parametrize("status,body,category,dialect", CASES)
def test_classification(status, body, category, dialect):
    info = ec.classify(response(status, body))
    assert info is not None
    assert (info.category, info.dialect) == (category, dialect)


def test_every_429_is_told_apart_by_code_not_message():
    rewritten = "当前分组上游负载已饱和，请稍后再试"
    for code, category in (("rate_limit_exceeded", ec.RATE_LIMITED), ("insufficient_quota", ec.INSUFFICIENT_BALANCE)):
        info = ec.classify(response(429, {"error": {"message": rewritten, "type": "new_api_error", "code": code}}))
        assert info.category == category


def test_shapes():
    assert ec.classify(response(401, {"error": {"message": "x"}})).parseable
    assert ec.classify(response(500, "<html>oops</html>")).shape == "html"
    assert ec.classify(response(500, "oops")).shape == "text"
    assert ec.classify(response(429, "")).shape == "empty"
    assert ec.classify(response(400, {"status": "bad"})).shape == "json-other"


def test_successes_are_not_errors_but_in_band_errors_are():
    assert ec.classify(response(200, {"choices": []})) is None
    in_band = ec.classify(response(200, {"error": {"message": "upstream failed", "type": "upstream_error"}}))
    assert in_band is not None and in_band.category == ec.SERVER_ERROR


def test_one_api_request_id_header_marks_the_dialect():
    info = ec.classify(response(500, {"error": {"message": "x", "type": "t"}}, headers=(("X-Oneapi-Request-Id", "abc"),)))
    assert info.dialect == "one-api/new-api"
