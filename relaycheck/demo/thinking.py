"""The demo relay's extended thinking (its Anthropic Messages face): signed thinking blocks, verified when they come
back in a later turn, and the refusals Anthropic's API gives a malformed thinking request. Under forged_thinking
the relay writes signatures it cannot verify and accepts any that come back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from relaycheck.demo.behaviour import Behaviour

_SECRET = secrets.token_bytes(32)  # the demo's signing key: nothing outside the process can make a valid signature
MIN_BUDGET = 1024
TEXT = "The user wants the current time in Paris. The get_time tool answers that, so I will call it with the city."


def requested(body: Any) -> bool:
    """The request turns thinking on."""
    spec = body.get("thinking") if isinstance(body, dict) else None
    return isinstance(spec, dict) and spec.get("type") == "enabled"


def _sign(text: str) -> str:
    # Anthropic's signatures are long base64 strings; an HMAC twice over looks alike and verifies the same way.
    mac = hmac.new(_SECRET, text.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac + hashlib.sha256(mac).digest()).decode()


def refusal(body: dict, behaviour: Behaviour) -> str | None:
    """Why Anthropic's API would refuse this request's thinking, or None: the budget, max_tokens above it, no other
    temperature, no forced tool, and every thinking block sent back carrying the signature it was given."""
    if requested(body):
        budget = body["thinking"].get("budget_tokens")
        if not isinstance(budget, int) or budget < MIN_BUDGET:
            return f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
        if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] <= budget:
            return "`max_tokens` must be greater than `thinking.budget_tokens`"
        if body.get("temperature", 1) != 1:
            return "`temperature` may only be set to 1 when thinking is enabled"
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
            return "Thinking may not be enabled when tool_choice forces tool use."
    if behaviour.forged_thinking:
        return None  # a relay that made its signatures up cannot tell an altered one either
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content") if isinstance(message, dict) else None
        for j, block in enumerate(content if isinstance(content, list) else []):
            if isinstance(block, dict) and block.get("type") == "thinking" and \
                    not hmac.compare_digest(str(block.get("signature", "")), _sign(str(block.get("thinking", "")))):
                return f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
    return None


def calls_tool(body: Any) -> bool:
    """A thinking request offering tools, asked in a user turn that is no tool result: the stand-in decides to call
    the first tool, as the model asked to use it does (thinking allows only tool_choice auto)."""
    if not requested(body) or not body.get("tools") or not isinstance(body.get("messages"), list) or not body["messages"]:
        return False
    last = body["messages"][-1]
    content = last.get("content") if isinstance(last, dict) else None
    return not (isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content))


def block(behaviour: Behaviour) -> dict:
    """The reply's thinking block: signed by the demo, or under forged_thinking a signature nothing can verify."""
    signature = base64.b64encode(secrets.token_bytes(64)).decode() if behaviour.forged_thinking else _sign(TEXT)
    return {"type": "thinking", "thinking": TEXT, "signature": signature}
