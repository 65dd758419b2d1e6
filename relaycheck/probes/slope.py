"""Probe `slope`: three one-token requests with prompts of about N, 2N and 4N tokens."""

from __future__ import annotations

import asyncio

from relaycheck.protocol import for_target
from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, prompts, request_cost, send
from relaycheck.probes.errors import REASONING_MINIMUM, minimal_tokens
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "slope"


def body(model: str, units: int, nonce: str, protocol=CHAT) -> dict:
    """A one-token request (the protocol's fewest) whose prompt carries `units` blocks of filler."""
    return protocol.body(model, prompts.short_prompt(nonce, prompts.filler(units)), minimal_tokens(protocol), REASONING_MINIMUM)


def cost(model: str, protocol=CHAT) -> ProbeCost:
    """Three one-token requests."""
    nonce = prompts.new_nonce()
    total = ProbeCost(0)
    for units in prompts.SLOPE_UNITS:
        total += request_cost(model, prompts.short_prompt(nonce, prompts.filler(units)), minimal_tokens(protocol), REASONING_MINIMUM)
    return total


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the three sizes concurrently; each label names its filler units."""
    nonce = prompts.new_nonce()
    url = ctx.endpoint()
    await asyncio.gather(
        *(send(ctx, "POST", url, probe=NAME, model=model, label=f"units {u}", json_body=body(model, u, nonce, ctx.protocol), auth=ctx.auth)
          for u in prompts.SLOPE_UNITS)
    )


PROBE = ProbeSpec(NAME, order=6, protocols=("openai", "responses"), scope=Scope.EACH_MODEL, billed=True,
                  cost=lambda target, model, first: cost(model or "", for_target(target)),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=4),))
