"""Probe `stream`: a streamed reply of about 80 tokens with stream_options.include_usage."""

from __future__ import annotations

from relaycheck.protocol import NATIVE
from relaycheck.probes import ProbeContext, ProbeCost, prompts, request_cost, send
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "stream"


def cost(model: str) -> ProbeCost:
    """One streamed request."""
    return request_cost(model, prompts.count_prompt(), prompts.STREAM_MAX_TOKENS, prompts.STREAM_REASONING_BUDGET)


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the streamed counting request."""
    body = ctx.protocol.body(
        model, prompts.count_prompt(), prompts.STREAM_MAX_TOKENS, prompts.STREAM_REASONING_BUDGET, stream=True
    )
    await send(ctx, 
        "POST", ctx.endpoint(), probe=NAME, model=model, label="stream", json_body=body,
        auth=ctx.auth, expect_sse=True,
    )


PROBE = ProbeSpec(NAME, order=4, protocols=NATIVE, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=3),))
