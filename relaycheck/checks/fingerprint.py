"""Relay fingerprint: what the headers and error dialects say a relay runs on (information, not a verdict)."""

from __future__ import annotations

from relaycheck.wire.errorclass import classify
from relaycheck.wire.exchange import Exchange

_DIALECT_NAMES = {
    "one-api/new-api": "one-api/new-api", "litellm": "LiteLLM", "openrouter": "OpenRouter", "vllm": "vLLM",
    "anthropic": "Anthropic-style", "gemini": "Gemini-style", "openai": "OpenAI-style",
}


def _header_clues(x: Exchange) -> list[tuple[str, str]]:
    names = {k.lower(): v for k, v in x.response_headers}
    clues = []
    if "x-oneapi-request-id" in names:
        clues.append(("one-api/new-api", "X-Oneapi-Request-Id header"))
    if any(n.startswith("x-new-api") for n in names):
        clues.append(("one-api/new-api", "x-new-api-* headers"))
    if any(n.startswith("x-litellm") for n in names):
        clues.append(("LiteLLM", "x-litellm-* headers"))
    if "x-generation-id" in names:
        clues.append(("OpenRouter", "X-Generation-Id header"))
    if "openai-processing-ms" in names or "openai-organization" in names:
        clues.append(("OpenAI upstream headers passed through", "openai-processing-ms / openai-organization headers"))
    if any(n.startswith("anthropic-") for n in names):
        clues.append(("Anthropic upstream headers passed through", "anthropic-* headers"))
    if "cf-ray" in names:
        clues.append(("behind Cloudflare", "cf-ray header"))
    if "server" in names:
        clues.append((f"server software: {names['server']}", "Server header"))
    if "(request id: " in x.body[:4096]:
        clues.append(("one-api/new-api", "“(request id: …)” in error messages"))
    return clues


def fingerprint(exchanges: tuple[Exchange, ...]) -> tuple[str, ...]:
    """One line per thing the evidence suggests, each clue citing the first exchange that shows it."""
    found: dict[str, dict[str, str]] = {}
    for x in exchanges:
        clues = _header_clues(x)
        info = classify(x)
        if info is not None and info.dialect in _DIALECT_NAMES:
            clues.append((f"{_DIALECT_NAMES[info.dialect]} error bodies", "error responses"))
        for what, clue in clues:
            found.setdefault(what, {}).setdefault(clue, x.id)
    return tuple(f"{what}: {', '.join(f'{clue} ({xid})' for clue, xid in clues.items())}" for what, clues in found.items())
