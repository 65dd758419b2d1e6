"""Helpers shared by checks: describing an exchange, reading error text, comparing model names."""

from __future__ import annotations

import re
from typing import Any

from relaycheck.wire.exchange import MAX_SAFE_INT, Exchange, is_int  # noqa: F401  (re-exported for the checks)
from relaycheck.wire.errorclass import error_text  # noqa: F401  (re-exported for the checks)
from relaycheck.text.excerpt import excerpt  # noqa: F401
from relaycheck.protocol import protocol_of
from relaycheck.text.tokens import base_model_name

_SNAPSHOT_SUFFIX = re.compile(
    r"^(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|\d{2}-\d{2}|latest|preview|preview-\d{2}-\d{2}|exp-\d{2}-\d{2}|v\d+(:\d+)?)$"
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
    # Anthropic's aliases name a family, and the reply its dated snapshot: claude-3-7-sonnet-latest is answered as
    # claude-3-7-sonnet-20250219, claude-sonnet-4-0 as claude-sonnet-4-20250514.
    if want.startswith("gemini-") and want.endswith("-latest"):
        # Google's gemini-flash-latest and gemini-pro-latest answer with the concrete model they point at today.
        tier = want.removeprefix("gemini-").removesuffix("-latest")
        return got.startswith("gemini-") and (got.endswith("-" + tier) or f"-{tier}-" in got) and ("lite" in tier) == ("lite" in got)
    stem = lambda name: _ALIAS.sub("", name)  # noqa: E731
    return want.startswith("claude") and stem(want) == stem(got) and stem(want) != want or \
        got.startswith("claude") and stem(want) == stem(got) and stem(got) != got


_ALIAS = re.compile(r"-(?:latest|0|\d{8})$")


def _absurd(value: Any) -> str | None:
    """How to name an integer too large to be a count ("a 401-digit number"), or None for anything else."""
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) < MAX_SAFE_INT:
        return None
    return f"a {len(str(abs(value)))}-digit number"  # json.loads caps integers at 4,300 digits, so str() cannot fail


def best(exchanges: list[Exchange]) -> Exchange | None:
    """The first successful exchange, else the first one."""
    return next((x for x in exchanges if x.ok), exchanges[0] if exchanges else None)


def usage_problem(usage: Any, protocol: Any = None) -> str | None:
    """Why a usage object is unusable, or None when it has its protocol's integers and adds up (Chat Completions'
    prompt/completion/total unless `protocol` names others; Anthropic reports no total)."""
    if not isinstance(usage, dict):
        return "no usage object"
    prompt, completion, total = ((protocol.usage_prompt, protocol.usage_completion, protocol.usage_total) if protocol is not None
                                 else ("prompt_tokens", "completion_tokens", "total_tokens"))
    optional = getattr(protocol, "usage_optional", ())  # Gemini omits a count of zero
    usage = {**{k: 0 for k in optional if k not in usage}, **usage}
    for key in (prompt, completion, total):
        if not key:
            continue
        if key not in usage:
            return f"usage.{key} is missing"
        if (absurd := _absurd(usage[key])) is not None:
            return f"usage.{key} is not a plausible token count ({absurd})"
        if not is_int(usage[key]) or usage[key] < 0:
            return f"usage.{key} is not a non-negative integer ({usage[key]!r})"
    # What the total adds up: the prompt and the completion, and for Gemini its thoughts and tool-use prompt too.
    parts = [p for p in getattr(protocol, "usage_parts", (prompt, completion)) if p in (prompt, completion) or is_int(usage.get(p))]
    if total and usage[total] != sum(usage[p] for p in parts):
        added = " + ".join(f"{_short(p)} {usage[p]}" for p in parts)
        return f"usage.{total} {usage[total]} is not {added}"
    return None


def _short(field: str) -> str:
    """A usage field as a finding names it in a sum: prompt_tokens as prompt, promptTokenCount as prompt."""
    return re.split(r"_|(?=[A-Z])", field)[0]


def prompt_tokens(exchange: Exchange) -> int | None:
    """The prompt tokens a successful non-stream reply reports, or None."""
    return exchange.reply.prompt_tokens if exchange.ok and not exchange.reply.streamed else None


def own_budget(exchange: Exchange) -> int | None:
    """The completion budget relaycheck set on this request (max_completion_tokens or max_tokens), if any."""
    value = protocol_of(exchange).budget_of(exchange.request_json)
    return value if is_int(value) else None


def cut_by_own_budget(exchange: Exchange) -> str | None:
    """Why a reply is no evidence of its content: it ended with finish_reason length at relaycheck's own budget."""
    budget = own_budget(exchange)
    if budget is not None and exchange.reply.finish_reason == "length":
        return f"{exchange.id} was cut at relaycheck's own budget of {budget} tokens (finish_reason length): a cut reply is not evidence"
    return None


def completion_beside(models: Exchange, chats: list[Exchange], models_path: str = "models") -> Exchange | None:
    """A successful completion sent to the base URL whose GET {base}/models this is: the API is there."""
    base = models.url.split("?", 1)[0].removesuffix("/" + models_path)
    return next((x for x in chats if x.ok and not x.reply.streamed and x.reply.shaped
                 and x.url.split("?", 1)[0] == f"{base}/{protocol_of(x).path}"), None)
