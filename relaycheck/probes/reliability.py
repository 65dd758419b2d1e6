"""Probe `reliability` (deep profile): N minimal requests with no retries, for a success rate and latency spread."""

from __future__ import annotations

import asyncio

from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, request_cost
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "reliability"
SAMPLES = 8
PROMPT = "Reply with the single word OK."
VISIBLE, REASONING_BUDGET = 2, 256


def cost(model: str) -> ProbeCost:
    """SAMPLES one-word requests."""
    return request_cost(model, PROMPT, VISIBLE, REASONING_BUDGET) * SAMPLES


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the samples together under the concurrency cap, straight through the client: a retry would hide failures."""
    body = CHAT.body(model, PROMPT, VISIBLE, REASONING_BUDGET)
    url = ctx.endpoint()
    await asyncio.gather(*(
        ctx.client.request("POST", url, probe=NAME, model=model, label=f"sample #{i + 1}", json_body=body, auth=ctx.auth)
        for i in range(SAMPLES)
    ))


PROBE = ProbeSpec(NAME, order=12, scope=Scope.FIRST_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=10),))
