"""The demo relay's ledger and balance endpoints (one-api, LiteLLM or OpenRouter style), with billing faults."""

from __future__ import annotations

import threading
import time
from typing import Any

from relaycheck.demo.behaviour import Behaviour

# What the demo advertises per 1M tokens (USD): input, output, cached input. `probe --demo` configures the same.
PRICES = {"gpt-4o-mini": (0.15, 0.60, 0.075), "gpt-4o": (2.50, 10.00, 1.25), "gpt-4.1-mini": (0.40, 1.60, 0.10),
          "gpt-4-turbo": (10.00, 30.00, 5.00), "claude-sonnet-4-5": (3.00, 15.00, 0.30),
          "o4-mini": (1.10, 4.40, 0.275), "gemini-2.5-flash": (0.30, 2.50, 0.03)}
GRANT_USD = 10.0
CACHE_WRITE = 1.25  # Anthropic's five-minute cache write, x the input price


class Ledger:
    """Charges of the relay's main key; faults change how much is booked and when."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._lock = threading.Lock()
        self._entries: list[tuple[float, float]] = []  # (booked at, amount)

    def charge(self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0, written_tokens: int = 0) -> None:
        """Book one billed reply at the advertised price (or not, as the behaviour decides); a cache write costs
        CACHE_WRITE times the input price, as Anthropic bills it."""
        price_in, price_out, price_cached = PRICES.get(model, PRICES["gpt-4o-mini"])
        b = self.behaviour
        if b.cached_at_full_price:
            price_cached = price_in  # reports the cache hit, bills it as fresh input
        fresh = prompt_tokens - cached_tokens - written_tokens
        amount = (fresh * price_in + written_tokens * price_in * CACHE_WRITE + cached_tokens * price_cached + completion_tokens * price_out) / 1_000_000
        # Each only when set: the honest relay's figures must stay bit-for-bit what they were.
        if b.price_factor != 1.0:
            amount *= b.price_factor
        if b.drain_per_request:
            amount += b.drain_per_request
        when = time.monotonic() + b.billing_delay_s
        with self._lock:
            self._entries.append((when, amount))

    def spent(self) -> float:
        """What has been booked by now."""
        now = time.monotonic()
        with self._lock:
            return sum(amount for when, amount in self._entries if when <= now)


def endpoint(path: str, mode: str, ledger: Ledger, unlimited: bool) -> Any | None:
    """The JSON answer of a balance endpoint of this mode, or None when the path is not one."""
    spent = ledger.spent()
    limit = 1e8 if unlimited else GRANT_USD
    if mode == "oneapi" and path.removeprefix("/v1") == "/dashboard/billing/subscription":
        return {"object": "billing_subscription", "has_payment_method": True, "soft_limit_usd": limit,
                "hard_limit_usd": limit, "system_hard_limit_usd": limit, "access_until": 0}
    if mode == "oneapi" and path.removeprefix("/v1") == "/dashboard/billing/usage":
        return {"object": "list", "total_usage": spent * 100}  # cents, as one-api reports it
    if mode == "litellm" and path == "/key/info":
        return {"key": "demo", "info": {"spend": spent, "max_budget": None if unlimited else GRANT_USD}}
    if mode == "openrouter" and path == "/api/v1/key":
        remaining = None if unlimited else GRANT_USD - spent
        return {"data": {"label": "demo", "usage": spent, "limit": None if unlimited else GRANT_USD, "limit_remaining": remaining, "is_free_tier": False}}
    return None
