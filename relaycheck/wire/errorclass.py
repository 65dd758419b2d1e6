"""Error classification: what kind of failure an exchange is and which relay dialect said so."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from relaycheck.wire.exchange import Exchange
from relaycheck.text.excerpt import excerpt

AUTHENTICATION = "authentication"
PERMISSION = "permission"
MODEL_NOT_FOUND = "model_not_found"
RATE_LIMITED = "rate_limited"
INSUFFICIENT_BALANCE = "insufficient_balance"
BAD_REQUEST = "bad_request"
SERVER_ERROR = "server_error"
UPSTREAM_TIMEOUT = "upstream_timeout"
UNKNOWN = "unknown"

LABELS = {
    AUTHENTICATION: "authentication", PERMISSION: "permission", MODEL_NOT_FOUND: "model not found / no channel",
    RATE_LIMITED: "rate limited", INSUFFICIENT_BALANCE: "insufficient balance", BAD_REQUEST: "bad request",
    SERVER_ERROR: "server error", UPSTREAM_TIMEOUT: "upstream timeout", UNKNOWN: "unclassified",
}

# Machine-readable codes and types decide first: relays rewrite messages (one-api's 429 text) but keep codes.
_BY_CODE = {
    INSUFFICIENT_BALANCE: {"insufficient_quota", "insufficient_user_quota", "pre_consume_token_quota_failed", "budget_exceeded",
                           "billing_hard_limit_reached", "insufficient_balance", "insufficient_credits", "payment_required",
                           "quota_exceeded_for_key"},
    RATE_LIMITED: {"rate_limit_exceeded", "rate_limit_error", "rate_limited", "too_many_requests", "resource_exhausted",
                   "requests", "tokens", "concurrency_limit_exceeded"},
    AUTHENTICATION: {"invalid_api_key", "authentication_error", "invalid_authentication", "unauthorized", "unauthenticated",
                     "missing_api_key", "invalid_token", "token_expired"},
    PERMISSION: {"permission_denied", "permission_error", "forbidden", "model_not_allowed", "access_denied"},
    MODEL_NOT_FOUND: {"model_not_found", "not_found_error", "model_not_available", "no_available_channel", "invalid_model"},
    UPSTREAM_TIMEOUT: {"timeout", "upstream_timeout", "request_timeout", "deadline_exceeded", "gateway_timeout"},
    SERVER_ERROR: {"server_error", "internal_error", "internal_server_error", "api_error", "overloaded_error", "upstream_error", "bad_response_status_code"},
    BAD_REQUEST: {"invalid_request_error", "bad_request", "invalid_argument", "bad_request_body", "invalid_json", "context_length_exceeded"},
}
# Fallback only, when status, code and type leave the category open.
_BY_MESSAGE = (
    (INSUFFICIENT_BALANCE, re.compile(r"额度已用尽|额度不足|余额不足|insufficient (quota|balance|credits?)|exceeded your current quota|credit balance is too low|credits are depleted|prepayment|budget", re.I)),
    (MODEL_NOT_FOUND, re.compile(r"无可用渠道|no available channel|model .*(does not exist|not found|not supported)|invalid model", re.I)),
    (RATE_LIMITED, re.compile(r"负载已饱和|rate limit|too many requests|请求过于频繁", re.I)),
    (AUTHENTICATION, re.compile(r"无效的令牌|未提供令牌|令牌.*(过期|禁用)|incorrect api key|invalid api key|api key|unauthori[sz]ed", re.I)),
)
_EXHAUSTED = re.compile(r"credit balance is too low|insufficient (quota|balance|credits?)|余额不足|额度不足", re.I)
_DEPLETED = re.compile(r"credits are depleted|prepayment|limit: 0\b", re.I)  # Google's empty balance, and a quota of none
_RATE_QUOTA = re.compile(r"google\.rpc\.RetryInfo|retryDelay|Per(Minute|Day|Second)", re.I)
_NO_CHANNEL = re.compile(r"无可用渠道|no available channel|distributor", re.I)
_BAD_PATH = re.compile(r"invalid url|no route|unknown (url|endpoint|path)|page not found", re.I)
_ONE_API_ID = re.compile(r"\(request id: [^)]+\)", re.I)


@dataclass(frozen=True)
class ErrorInfo:
    """One error response, classified."""

    category: str
    dialect: str
    status: int | None
    type: str | None
    code: str | None
    message: str | None
    shape: str  # json-error, json-other, html, text, empty, none

    @property
    def label(self) -> str:
        """Human name of the category."""
        return LABELS[self.category]

    @property
    def parseable(self) -> bool:
        """A JSON error object a client can read a message from."""
        return self.shape == "json-error"


def _lower(value: Any) -> str | None:
    return str(value).strip().lower() if value not in (None, "") else None


def _fields(body: Any) -> tuple[str | None, str | None, str | None, str, str | None]:
    """(type, code, message, shape, grpc status) from the known error dialects."""
    if not isinstance(body, dict):
        return None, None, None, "json-other", None
    err = body.get("error")
    if isinstance(err, dict):
        message = err.get("message") if isinstance(err.get("message"), str) else None
        return _lower(err.get("type")), _lower(err.get("code")), message, "json-error" if message else "json-other", _lower(err.get("status"))
    if isinstance(err, str):
        return _lower(body.get("type")), _lower(body.get("code")), err, "json-error", None
    if body.get("object") == "error" and isinstance(body.get("message"), str):  # vLLM's flat error
        return _lower(body.get("type")), _lower(body.get("code")), body["message"], "json-error", None
    for key in ("message", "msg", "detail"):
        if isinstance(body.get(key), str) and body.get("success") is not True:
            return _lower(body.get("type")), _lower(body.get("code")), body[key], "json-error", None
    return None, None, None, "json-other", None


def _shape_of(exchange: Exchange) -> str:
    if not exchange.body.strip():
        return "empty"
    if exchange.content_type == "text/html" or exchange.body.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        return "html"
    return "json-other" if exchange.json is not None else "text"


def dialect_of(exchange: Exchange, etype: str | None, body: Any) -> str:
    """Which relay software's error dialect this looks like."""
    headers = {k.lower() for k, _ in exchange.response_headers}
    err = body.get("error") if isinstance(body, dict) else None
    if etype in ("one_api_error", "new_api_error") or "x-oneapi-request-id" in headers or _ONE_API_ID.search(exchange.body[:2048]):
        return "one-api/new-api"
    if any(h.startswith("x-litellm") for h in headers) or etype == "budget_exceeded" or "litellm" in exchange.body[:2048].lower():
        return "litellm"
    if isinstance(body, dict) and body.get("type") == "error" and isinstance(err, dict):
        return "anthropic"
    if isinstance(err, dict) and isinstance(err.get("status"), str) and isinstance(err.get("code"), int):
        return "gemini"
    if isinstance(err, dict) and isinstance(err.get("code"), int) and ("metadata" in err or "x-generation-id" in headers):
        return "openrouter"
    if isinstance(body, dict) and body.get("object") == "error":
        return "vllm"
    if isinstance(err, dict) and "message" in err and ("type" in err or "code" in err):
        return "openai"
    return "unknown"


def _category(status: int | None, etype: str | None, code: str | None, grpc: str | None, message: str | None) -> str:
    for token in (code, etype, grpc):
        for category, names in _BY_CODE.items():
            if token in names:
                # OpenAI sends type invalid_request_error with a 401 bad key; a specific status wins over a generic type.
                if category == BAD_REQUEST and status in (401, 402, 403, 404, 429):
                    break
                # Anthropic refuses an exhausted credit balance as a 400 invalid_request_error: the message tells
                # (narrowly: a bad request may well name a budget, as thinking's budget_tokens does).
                if category == BAD_REQUEST and message and _EXHAUSTED.search(message):
                    return INSUFFICIENT_BALANCE
                if category == RATE_LIMITED and token == "resource_exhausted" and message and _BY_MESSAGE[0][1].search(message):
                    return INSUFFICIENT_BALANCE
                return category
    if status == 503 and message and _NO_CHANNEL.search(message):
        return MODEL_NOT_FOUND
    if message:
        for category, pattern in _BY_MESSAGE:
            if pattern.search(message) and (status is None or status >= 400):
                return category
    if status is None:
        return UNKNOWN
    if status == 404 and message and _BAD_PATH.search(message):
        return BAD_REQUEST
    return {401: AUTHENTICATION, 402: INSUFFICIENT_BALANCE, 403: PERMISSION, 404: MODEL_NOT_FOUND, 408: UPSTREAM_TIMEOUT,
            413: BAD_REQUEST, 422: BAD_REQUEST, 429: RATE_LIMITED, 504: UPSTREAM_TIMEOUT, 524: UPSTREAM_TIMEOUT}.get(
        status, BAD_REQUEST if 400 <= status < 500 else SERVER_ERROR if status >= 500 else UNKNOWN)


def classify(exchange: Exchange) -> ErrorInfo | None:
    """Classify an error response (status >= 400, or a 2xx whose JSON body is an error); None otherwise."""
    body = exchange.json
    in_band = exchange.status is not None and exchange.status < 400 and isinstance(body, dict) and bool(body.get("error"))
    if exchange.status is None or (exchange.status < 400 and not in_band):
        return None
    etype, code, message, shape, grpc = _fields(body)
    if body is None or shape != "json-error":
        shape = _shape_of(exchange) if body is None else shape
    category = _category(exchange.status, etype, code, grpc, message)
    if category == INSUFFICIENT_BALANCE and isinstance(grpc, str) and grpc.lower() == "resource_exhausted" and _RATE_QUOTA.search(exchange.body[:8192]) \
            and not _DEPLETED.search(message or ""):
        # Google's ordinary rate limit says "You exceeded your current quota" too; its RetryInfo and its per-minute
        # or per-day quota id tell it from an exhausted balance.
        category = RATE_LIMITED
    return ErrorInfo(
        category=category,
        dialect=dialect_of(exchange, etype, body),
        status=exchange.status,
        type=etype,
        code=code,
        message=message,
        shape=shape,
    )


def error_text(exchange: Exchange) -> str:
    """The error message a relay returned, from the usual JSON shapes, else the body excerpt."""
    body = exchange.json
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        if isinstance(err, str):
            return err
        for key in ("message", "msg", "detail"):
            if isinstance(body.get(key), str):
                return body[key]
    return excerpt(exchange.body)
