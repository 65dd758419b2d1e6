"""The run-time cost guard: reserve each request's ceiling before sending, settle it with the billed usage."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from relaycheck.wire.exchange import Exchange
from relaycheck.config.targets import Price, Pricing

DEFAULT_COMPLETION_CEILING = 4096  # a request without max_tokens could be billed for about this much


@dataclass
class Budget:
    """Money left under a cap: a request is only sent when its worst case still fits."""

    cap: float
    pricing: Pricing
    committed: float = 0.0  # settled spend plus the ceilings of requests in flight
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _priced_as(self, model: Any) -> tuple[str, Price]:
        """The model name to count with and its price; an unpriced name (the unknown-model probe) could be
        answered by any model, so it is counted and priced as the dearest configured one."""
        price = self.pricing.for_model(str(model)) if model else None
        if price is not None:
            return str(model), price
        return max(self.pricing.models.items(), key=lambda item: item[1].input + item[1].output)

    def _price(self, model: Any) -> Price:
        return self._priced_as(model)[1]

    def ceiling(self, body: dict, completion_ceiling: int | None = None) -> float:
        """The most this request can cost: every prompt byte a token, and its whole completion allowance (or the
        completion a probe reads at most before it closes the stream)."""
        from relaycheck.probes.canaries import TOOL_FRAMING, TOOL_PROMPT_ALLOWANCE
        from relaycheck.probes.prompts import prompt_ceiling
        from relaycheck.text import tokens

        limit = completion_ceiling or body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_COMPLETION_CEILING
        messages = body.get("messages") if isinstance(body.get("messages"), list) else []
        text = "\n".join(str(m.get("content", "")) if isinstance(m, dict) else str(m) for m in messages)
        # Tool definitions are prompt too: their JSON spends more tokens than any template's wording of them.
        tools = body.get("tools") if isinstance(body.get("tools"), list) else []
        if tools:
            text += "\n" + json.dumps(tools, ensure_ascii=False)
        # The plan's own ceiling for a single message, plus framing slack for any further ones and for each tool.
        name, price = self._priced_as(body.get("model"))
        prompt = prompt_ceiling(name, text) + 8 * max(len(messages) - 1, 0) + TOOL_FRAMING * len(tools)
        if tools and tokens.encoding_for(name) == tokens.UNKNOWN:
            prompt += TOOL_PROMPT_ALLOWANCE  # a hidden tool-use system prompt (Anthropic bills one with every tool request)
        return (prompt * price.input + int(limit) * price.output) / 1_000_000

    def reserve(self, body: dict, completion_ceiling: int | None = None) -> float | None:
        """Reserve the request's ceiling, or None when it would take the run past the cap."""
        cost = self.ceiling(body, completion_ceiling)
        with self._lock:
            if self.committed + cost > self.cap:
                return None
            self.committed += cost
        return cost

    def settle(self, reserved: float, body: dict, exchange: Exchange) -> None:
        """Replace the reservation with what the reply says it cost (the ceiling when it says nothing)."""
        actual = reserved
        if exchange.status is None or exchange.status >= 400:
            actual = 0.0  # refused or never answered: not billed
        else:
            prompt, completion = exchange.reply.prompt_tokens, exchange.reply.completion_tokens
            if prompt is not None and completion is not None:
                price = self._price(body.get("model"))
                actual = (prompt * price.input + completion * price.output) / 1_000_000
        with self._lock:
            self.committed += actual - reserved

