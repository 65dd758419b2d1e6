"""errors.* checks on synthetic exchanges: the real-world deviations they must report precisely."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relaycheck.config.targets import RateLimitProbe
from test_checks_unit import TARGET, ex, verdict


def err(label, status, body, **kw):
    return ex(probe="errors", label=label, status=status, body=body, **kw)


def test_wrong_key_outcomes():
    assert verdict("errors.bad_key", err("wrong key", 401, {"error": {"message": "Incorrect API key"}}), model=None).status == "pass"
    assert verdict("errors.bad_key", err("wrong key", 403, {"error": {"message": "forbidden"}}), model=None).status == "warn"
    accepted = err("wrong key", 200, {"choices": [{"message": {"content": "OK"}}]})
    assert verdict("errors.bad_key", accepted, model=None).status == "fail"
    # LiteLLM without a database: a wrong key is a 400 "No connected db." -- refused, with the wrong status: a warn, never
    # the critical "anyone can get in" (issue 15, case 5), and reported precisely.
    litellm = verdict("errors.bad_key", err("wrong key", 400, {"error": {"message": "No connected db.", "type": "no_db_connection", "code": "400"}}), model=None)
    assert litellm.status == "warn" and "HTTP 400 instead of 401" in litellm.summary and "No connected db." in litellm.summary


@pytest.mark.parametrize("body,status", [
    ({"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}, "pass"),
    ({"error": {"message": "Incorrect API key"}}, "pass"),  # the SDKs read error.message: readable
    ({"error": "some string"}, "warn"),
    ({"status": "failure", "message": "bad key"}, "warn"),
])
def test_error_shapes_outside_every_known_dialect_warn_and_are_named(body, status):
    found = verdict("errors.shape", err("wrong key", 401, body), model=None)
    assert found.status == status, found
    if status == "warn":
        assert ('{"error": <string>}' if "error" in body else '{"message", "status"}') in found.summary


def test_missing_key_html_page_fails_even_with_401():
    page = err("no key", 401, "<html><body>Login required</body></html>", ctype="text/html")
    assert verdict("errors.missing_key", page, model=None).status == "fail"
    assert verdict("errors.missing_key", err("no key", 500, {"error": {"message": "nil pointer"}}), model=None).status == "fail"


UNKNOWN = {"model": "relaycheck-no-such-model-abc123", "messages": []}


@pytest.mark.parametrize(
    "status,body,expected",
    [
        (404, {"error": {"message": "The model `relaycheck-no-such-model-abc123` does not exist", "code": "model_not_found"}}, "pass"),
        (503, {"error": {"message": "当前分组 default 下对于模型 relaycheck-no-such-model-abc123 无可用渠道", "type": "one_api_error"}}, "pass"),
        (400, {"error": {"message": "Invalid model name passed in model=relaycheck-no-such-model-abc123"}}, "pass"),
        (503, {"error": {"message": "service temporarily unavailable", "type": "server_error"}}, "fail"),
        (400, {"error": {"message": "bad request"}}, "warn"),
        (200, {"model": "gpt-4o-mini", "choices": [{"message": {"content": "hi"}}]}, "fail"),
        (401, {"error": {"message": "invalid key"}}, "inconclusive"),
    ],
)
def test_unknown_model_outcomes(status, body, expected):
    assert verdict("errors.unknown_model", err("unknown model", status, body, request=UNKNOWN), model=None).status == expected


def test_bad_request_5xx_fails_and_empty_4xx_warns():
    good = [err("invalid JSON", 400, {"error": {"message": "bad json"}}), err("missing messages", 400, {"error": {"message": "messages"}}, xid="x2")]
    assert verdict("errors.bad_request", *good, model=None).status == "pass"
    five = [good[0], err("missing messages", 500, {"error": {"message": "panic"}}, xid="x2")]
    assert verdict("errors.bad_request", *five, model=None).status == "fail"
    empty = [good[0], err("missing messages", 422, "", xid="x2")]
    assert verdict("errors.bad_request", *empty, model=None).status == "warn"


def test_shape_lists_html_and_text_errors_and_ignores_wrong_base_pages():
    wrong_base = ex(probe="root", model=None, status=404, body="<html>not found</html>", ctype="text/html", label="configured base")
    json_error = err("wrong key", 401, {"error": {"message": "x"}}, xid="x2")
    assert verdict("errors.shape", wrong_base, json_error, model=None).status == "pass"
    text = err("invalid JSON", 400, "bad request", ctype="text/plain", xid="x3")
    failed = verdict("errors.shape", json_error, text, model=None)
    assert failed.status == "fail" and failed.evidence == ("x3",)


def test_timeouts_are_classified_by_kind():
    late = [
        ex("x1", error="c", error_kind="connect", status=None),
        ex("x2", error="r", error_kind="read", status=None),
        ex("x3", probe="stream", error="i", error_kind="stream_idle", sse=[b'data: {"a":1}\n\n']),
        ex("x4", error="d", error_kind="deadline"),
        ex("x5"),
    ]
    result = verdict("errors.timeout", *late, model=None)
    assert result.status == "fail"
    assert result.metrics == {"connect": 1, "read": 1, "stream_idle": 1, "deadline": 1}
    assert "x3 stream stream idle (gap between events) after event #0" in result.summary
    assert verdict("errors.timeout", ex("x5"), model=None).status == "pass"


def test_opt_ins_skip_without_configuration():
    assert verdict("errors.rate_limit", ex(), model=None).status == "skip"
    assert verdict("errors.insufficient_balance", ex(), model=None).status == "skip"


def test_rate_limit_burst_outcomes():
    target = replace(TARGET, rate_limit_probe=RateLimitProbe(5))
    ok = [ex(f"x{i}", probe="burst", label=f"burst #{i}") for i in range(1, 4)]
    assert verdict("errors.rate_limit", *ok, model=None, target=target).status == "inconclusive"
    bare = ex("x4", probe="burst", status=429, body={"error": {"message": "slow down", "code": "rate_limit_exceeded"}})
    assert verdict("errors.rate_limit", *ok, bare, model=None, target=target).status == "fail"
    quota = ex("x4", probe="burst", status=429, body={"error": {"message": "quota", "code": "insufficient_quota"}})
    assert verdict("errors.rate_limit", *ok, quota, model=None, target=target).status == "inconclusive"
    polite = replace(bare, response_headers=(*bare.response_headers, ("retry-after", "2")))
    result = verdict("errors.rate_limit", *ok, polite, model=None, target=target)
    assert result.status == "pass" and result.metrics["ok_before_first_429"] == 3


def test_insufficient_balance_outcomes():
    target = replace(TARGET, empty_key_env="E")

    def outcome(status, body):
        return verdict("errors.insufficient_balance", err("empty-balance key", status, body), model=None, target=target).status

    assert outcome(429, {"error": {"message": "quota", "code": "insufficient_quota"}}) == "pass"
    assert outcome(403, {"error": {"message": "用户额度不足", "type": "one_api_error", "code": "insufficient_user_quota"}}) == "pass"
    assert outcome(402, {"error": {"code": 402, "message": "Insufficient credits", "metadata": {}}}) == "pass"
    assert outcome(429, {"error": {"message": "当前分组上游负载已饱和，请稍后再试", "code": "rate_limit_exceeded"}}) == "fail"
    assert outcome(500, {"error": {"message": "upstream error"}}) == "fail"
    assert outcome(200, {"choices": []}) == "fail"
    assert outcome(401, {"error": {"message": "Incorrect API key", "code": "invalid_api_key"}}) == "inconclusive"
