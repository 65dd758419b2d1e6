"""Helpers shared by checks: describing an exchange, reading error text, comparing model names."""

from __future__ import annotations

import re
from typing import Any

from relaycheck.exchange import MAX_SAFE_INT, Exchange, is_int, usage_of  # noqa: F401  (re-exported for the checks)
from relaycheck.errorclass import error_text  # noqa: F401  (re-exported for the checks)
from relaycheck.text import excerpt  # noqa: F401
from relaycheck.tokens import base_model_name

_SNAPSHOT_SUFFIX = re.compile(
    r"^(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{2}-\d{2}|latest|preview|preview-\d{2}-\d{2}|exp-\d{2}-\d{2}|v\d+(:\d+)?)$"
)


def describe(exchange: Exchange) -> str:
    """A short account of what came back: transport failure, redirect, status and error text."""
    if exchange.status is None:
        return f"{exchange.error_kind or 'transport'} error: {exchange.error}"
    parts = [f"HTTP {exchange.status}"]
    if 300 <= exchange.status < 400:
        parts.append(f"redirect to {exchange.header('location') or '(no Location)'}")
    elif exchange.content_type == "text/html":
        parts.append("an HTML page")
    elif exchange.status >= 400 or (isinstance(exchange.json, dict) and exchange.json.get("error")):
        text = error_text(exchange)
        if text:
            parts.append(f"“{excerpt(text, 120)}”")
    if exchange.error:
        parts.append(f"then {exchange.error_kind} error: {exchange.error}")
    if exchange.status in (429, 503):
        # The transport's word on its Retry-After (unreadable, too long, the run's wait budget spent) explains why
        # this refusal was not retried.
        parts.extend(note for note in exchange.notes if note.lower().startswith("retry-after"))
    return ", ".join(parts)


def same_model(requested: str, replied: str) -> bool:
    """True when `replied` is the requested model, a dated snapshot of it, or its alias."""
    want, got = base_model_name(requested), base_model_name(replied)
    if want == got:
        return True
    for longer, shorter in ((got, want), (want, got)):
        if longer.startswith(shorter + "-") and _SNAPSHOT_SUFFIX.match(longer[len(shorter) + 1 :]):
            return True
    return False


def _absurd(value: Any) -> str | None:
    """How to name an integer too large to be a count ("a 401-digit number"), or None for anything else."""
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) < MAX_SAFE_INT:
        return None
    return f"a {len(str(abs(value)))}-digit number"  # json.loads caps integers at 4,300 digits, so str() cannot fail


def best(exchanges: list[Exchange]) -> Exchange | None:
    """The first successful exchange, else the first one."""
    return next((x for x in exchanges if x.ok), exchanges[0] if exchanges else None)


def usage_problem(usage: Any) -> str | None:
    """Why a usage object is unusable, or None when it has the three integers and adds up."""
    if not isinstance(usage, dict):
        return "no usage object"
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        if key not in usage:
            return f"usage.{key} is missing"
        if (absurd := _absurd(usage[key])) is not None:
            return f"usage.{key} is not a plausible token count ({absurd})"
        if not is_int(usage[key]) or usage[key] < 0:
            return f"usage.{key} is not a non-negative integer ({usage[key]!r})"
    if usage["total_tokens"] != usage["prompt_tokens"] + usage["completion_tokens"]:
        return (
            f"usage.total_tokens {usage['total_tokens']} is not prompt {usage['prompt_tokens']} "
            f"+ completion {usage['completion_tokens']}"
        )
    return None


def prompt_tokens(exchange: Exchange) -> int | None:
    """usage.prompt_tokens of a successful non-stream reply, or None."""
    usage = exchange.json.get("usage") if exchange.ok and isinstance(exchange.json, dict) else None
    value = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return value if is_int(value) else None


def reasoning_tokens(usage: Any) -> int:
    """Reported reasoning tokens (`completion_tokens_details.reasoning_tokens`), 0 when none are reported."""
    details = usage.get("completion_tokens_details") if isinstance(usage, dict) else None
    value = details.get("reasoning_tokens") if isinstance(details, dict) else None
    return value if is_int(value) and value > 0 else 0


def finish_reason(exchange: Exchange) -> Any:
    """The reply's finish_reason: choice 0's in a body, or the last non-null one a stream carried."""
    if exchange.events:
        reasons = [c.get("finish_reason") for _, p in exchange.event_payloads() if isinstance(p, dict)
                   for c in (p.get("choices") or []) if isinstance(c, dict) and c.get("finish_reason")]
        return reasons[-1] if reasons else None
    choices = exchange.json.get("choices") if isinstance(exchange.json, dict) else None
    return choices[0].get("finish_reason") if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None


def own_budget(exchange: Exchange) -> int | None:
    """The completion budget relaycheck set on this request (max_completion_tokens or max_tokens), if any."""
    body = exchange.request_json if isinstance(exchange.request_json, dict) else {}
    value = body.get("max_completion_tokens") or body.get("max_tokens")
    return value if is_int(value) else None


def cut_by_own_budget(exchange: Exchange) -> str | None:
    """Why a reply is no evidence of its content: it ended with finish_reason length at relaycheck's own budget."""
    budget = own_budget(exchange)
    if budget is not None and finish_reason(exchange) == "length":
        return f"{exchange.id} was cut at relaycheck's own budget of {budget} tokens (finish_reason length): a cut reply is not evidence"
    return None


def completion_beside(models: Exchange, chats: list[Exchange]) -> Exchange | None:
    """A successful chat completion sent to the base URL whose GET {base}/models this is: the API is there."""
    base = models.url.split("?", 1)[0].removesuffix("/models")
    return next((x for x in chats if x.ok and x.url.split("?", 1)[0] == base + "/chat/completions"
                 and isinstance(x.json, dict) and isinstance(x.json.get("choices"), list)), None)
