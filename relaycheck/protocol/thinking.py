"""Anthropic extended thinking on the wire: the request that enables it, the thinking blocks a reply carries, and the
next turn that sends them back (unchanged, or with one signature altered) after answering the reply's tool calls.

Anthropic's servers sign every thinking block; with tool use the block must come back in the next request, and the
API verifies its signature there (an altered one is refused with a 400). A backend that is not Anthropic's cannot
make or verify those signatures: that is what models.thinking tests.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

BUDGET_TOKENS = 1024  # the smallest thinking budget Anthropic accepts
MAX_TOKENS = 1280  # must exceed the budget: room for a short answer or a tool call after thinking
_BASE64 = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class Thought:
    """One thinking block of a reply: its type, and the signature it carries ("" when none)."""

    kind: str  # "thinking" or "redacted_thinking" (encrypted by Anthropic, sent back as is)
    signature: str


def claude(model: str) -> bool:
    """A Claude model name: only Anthropic's models carry Anthropic's signatures (GLM, Kimi or MiniMax served over
    Messages make none)."""
    return model.rsplit("/", 1)[-1].strip().lower().startswith("claude")


def enabled(body: dict) -> dict:
    """The body with thinking on: a budget, max_tokens above it, and no temperature (thinking allows only its default)."""
    out = {k: v for k, v in body.items() if k != "temperature"}
    return {**out, "max_tokens": MAX_TOKENS, "thinking": {"type": "enabled", "budget_tokens": BUDGET_TOKENS}}


def _content(body: Any) -> list:
    content = body.get("content") if isinstance(body, dict) else None
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def thoughts(body: Any) -> tuple[Thought, ...]:
    """The thinking blocks of a Messages reply, in order (a signature that is not a string counts as none)."""
    found = []
    for block in _content(body):
        if block.get("type") == "thinking":
            signature = block.get("signature")
            found.append(Thought("thinking", signature if isinstance(signature, str) else ""))
        elif block.get("type") == "redacted_thinking":
            found.append(Thought("redacted_thinking", block["data"] if isinstance(block.get("data"), str) else ""))
    return tuple(found)


def tool_uses(body: Any) -> tuple[str, ...]:
    """The ids of the reply's tool_use blocks (each needs a tool_result in the next turn)."""
    return tuple(b["id"] for b in _content(body) if b.get("type") == "tool_use" and isinstance(b.get("id"), str))


def altered(signature: str) -> str:
    """The signature with one character in its middle changed to another base64 character (same length, still
    base64): any verifier refuses it, nothing that does not verify notices."""
    if not signature:
        return "A"
    at = len(signature) // 2
    current = signature[at]
    replacement = _BASE64[(_BASE64.index(current) + 1) % len(_BASE64)] if current in _BASE64 else "A"
    return signature[:at] + replacement + signature[at + 1:]


def next_turn(request: dict, reply: dict, result: str, alter: bool = False) -> dict:
    """The request's conversation continued: the reply's content as the assistant turn (its first signed thinking
    block altered when `alter`), then a user turn with `result` for every tool call the reply made."""
    content, done = [], False
    for block in _content(reply):
        if alter and not done and block.get("type") == "thinking" and isinstance(block.get("signature"), str):
            block, done = {**block, "signature": altered(block["signature"])}, True
        content.append(block)
    results = [{"type": "tool_result", "tool_use_id": tid, "content": result} for tid in tool_uses(reply)]
    messages = [*request.get("messages", []), {"role": "assistant", "content": content}, {"role": "user", "content": results}]
    return {**request, "messages": messages}
