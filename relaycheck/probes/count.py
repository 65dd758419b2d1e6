"""Probe `count` (Anthropic Messages, Gemini): one short billed request and the same request sent to the relay's own
token counter (Anthropic's /v1/messages/count_tokens, Gemini's :countTokens), concurrently. Their tokenizers are not
public, so the relay's counter is the only count to hold the bill against."""

from __future__ import annotations

import asyncio

from relaycheck.probes import ProbeContext, ProbeCost, request_cost, send
from relaycheck.probes.errors import REASONING_MINIMUM, minimal_tokens
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model
from relaycheck.protocol import for_target

NAME = "count"
# About a hundred tokens of ordinary prose: enough that a hidden prompt shows as a share, short enough to cost little.
PROMPT = ("Here is a short note about bread. Flour, water, salt and yeast are mixed, kneaded until smooth, left to rise "
          "for an hour, shaped, risen again and baked in a hot oven until the crust is brown and the loaf sounds hollow "
          "when tapped underneath. Reply with the word OK.")


def cost(model: str, protocol) -> ProbeCost:
    """One short billed request; counting is free (Anthropic and Google do not bill it)."""
    return request_cost(model, PROMPT, minimal_tokens(protocol), REASONING_MINIMUM) + ProbeCost(1)


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the billed request and the count of the same request together."""
    body = ctx.protocol.body(model, PROMPT, minimal_tokens(ctx.protocol), REASONING_MINIMUM)
    count_url, count_body = ctx.protocol.count_request(ctx.base_url, body)
    await asyncio.gather(
        send(ctx, "POST", ctx.endpoint(), probe=NAME, model=model, label="billed", json_body=body, auth=ctx.auth),
        send(ctx, "POST", count_url, probe=NAME, model=model, label="counted", json_body=count_body, auth=ctx.auth),
    )


PROBE = ProbeSpec(NAME, order=21, protocols=("anthropic", "gemini"), scope=Scope.EACH_MODEL, billed=True,
                  cost=lambda target, model, first: cost(model or "", for_target(target)),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=16),))
