"""Probes: the requests relaycheck sends. Each declares its maximum requests and tokens for the plan."""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

import httpx

from relaycheck.exchange import Exchange
from relaycheck.targets import Target
from relaycheck.transport import Auth, RecordingClient, retry_after_seconds


@dataclass(frozen=True)
class ProbeContext:
    """What a probe needs: the recording client, the target, and the base URL and auth in effect."""

    client: RecordingClient
    target: Target
    base_url: str
    auth: Auth = Auth.BEARER

    def url(self, path: str) -> str:
        """Join the effective base URL and an API path."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class ProbeCost:
    """The planned ceiling of one probe for one model: requests and tokens (prompt + max completion)."""

    requests: int
    max_tokens: int


async def send(ctx: ProbeContext, method: str, url: str, **kwargs: Any) -> Exchange:
    """Send through the recording client; a rate-limited 429 with Retry-After is retried once after the wait.

    The retry is the probe's policy, recorded as its own exchange (retry_of names the 429), so the transport
    itself never retries and the 429 stays in the evidence.
    """
    from relaycheck.errorclass import INSUFFICIENT_BALANCE, classify

    first = await ctx.client.request(method, url, **kwargs)
    assert first is not None  # only requests with `unless` can be skipped
    if first.status != 429:
        return first
    info = classify(first)
    if info is not None and info.category == INSUFFICIENT_BALANCE:
        return first  # waiting does not refill a balance
    wait = retry_after_seconds(httpx.Headers(list(first.response_headers)))
    if wait is None or wait > ctx.client.limits.max_retry_after_s:
        return first
    # The client's polite gate holds every request until Retry-After has passed, this one included.
    retried = await ctx.client.request(method, url, retry_of=first.id, **kwargs)
    assert retried is not None
    return retried
