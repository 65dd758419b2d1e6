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

    def ceiling(self, body: dict, completion_ceiling: int | None = None, url: str = "") -> float:
        """The most this request can cost: every prompt byte a token, and its whole completion allowance (or the
        completion a probe reads at most before it closes the stream). Its protocol, told by the URL, says where
        the prompt and the limit are."""
        from relaycheck.probes.canaries import TOOL_FRAMING, TOOL_PROMPT_ALLOWANCE
        from relaycheck.probes.prompts import prompt_ceiling
        from relaycheck.protocol import protocol_for_url
        from relaycheck.text import tokens

        proto = protocol_for_url(url)
        limit = completion_ceiling or proto.budget_of(body) or DEFAULT_COMPLETION_CEILING
        texts, tools = proto.prompt_parts(body)
        text = "\n".join(texts)
        # Tool definitions are prompt too: their JSON spends more tokens than any template's wording of them.
        if tools:
            text += "\n" + json.dumps(list(tools), ensure_ascii=False)
        # The plan's own ceiling for a single message, plus framing slack for any further ones and for each tool.
        name, price = self._priced_as(proto.model_asked(url, body))
        prompt = prompt_ceiling(name, text) + 8 * max(len(texts) - 1, 0) + TOOL_FRAMING * len(tools)
        if tools and tokens.encoding_for(name) == tokens.UNKNOWN:
            prompt += TOOL_PROMPT_ALLOWANCE  # a hidden tool-use system prompt (Anthropic bills one with every tool request)
        return (prompt * price.input + int(limit) * price.output) / 1_000_000

    @staticmethod
    def billable(method: str, url: str, body: object) -> bool:
        """A completion request (a POST of a JSON object to a protocol's completion path): the only kind billed."""
        from relaycheck.protocol import completion_protocol

        return method == "POST" and isinstance(body, dict) and completion_protocol(url) is not None

    def reserve(self, body: dict, completion_ceiling: int | None = None, url: str = "") -> float | None:
        """Reserve the request's ceiling, or None when it would take the run past the cap."""
        cost = self.ceiling(body, completion_ceiling, url)
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
            reply = exchange.reply
            prompt, completion = reply.prompt_tokens, reply.completion_tokens
            if prompt is not None and completion is not None:
                from relaycheck.protocol import protocol_of

                proto = protocol_of(exchange)
                # No discount for cache reads here: the cap must hold even against a relay that bills them whole.
                actual = self._price(proto.model_asked(exchange.url, body)).cost(prompt, completion, 0, reply.cache_written_tokens)
        with self._lock:
            self.committed += actual - reserved

