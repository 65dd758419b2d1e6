"""Probe `long`: the same long numbered reply, once without and once with streaming."""

from __future__ import annotations

import asyncio

from relaycheck.protocol import NATIVE
from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, prompts, request_cost, send
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "long"
REASONING_ALLOWANCE = 2048


def body(model: str, reply_tokens: int, nonce: str, stream: bool, protocol=CHAT) -> dict:
    """The long request: numbered lines 1..N, with room above the expected length."""
    lines = prompts.long_lines(reply_tokens)
    limit = prompts.long_max_tokens(reply_tokens)
    # Reasoning models think before they write: give them the same visible room plus a reasoning allowance.
    return protocol.body(model, prompts.long_prompt(nonce, lines), limit, limit + REASONING_ALLOWANCE, stream=stream)


def cost(model: str, reply_tokens: int) -> ProbeCost:
    """Two long requests."""
    limit = prompts.long_max_tokens(reply_tokens)
    prompt = prompts.long_prompt(prompts.new_nonce(), prompts.long_lines(reply_tokens))
    return request_cost(model, prompt, limit, limit + REASONING_ALLOWANCE) * 2


async def run(ctx: ProbeContext, model: str, reply_tokens: int) -> None:
    """Send both paths concurrently with the same nonce."""
    nonce = prompts.new_nonce()
    url = ctx.endpoint()
    await asyncio.gather(
        send(ctx, "POST", url, probe=NAME, model=model, label="long", json_body=body(model, reply_tokens, nonce, False, ctx.protocol),
             auth=ctx.auth),
        send(ctx, "POST", url, probe=NAME, model=model, label="long stream", json_body=body(model, reply_tokens, nonce, True, ctx.protocol),
             auth=ctx.auth, expect_sse=True),
    )


PROBE = ProbeSpec(NAME, order=7, protocols=NATIVE, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or "", target.long_reply_tokens),
                  steps=(Step(Phase.CONCURRENT, for_each_model(lambda ctx, model: run(ctx, model, ctx.target.long_reply_tokens)), rank=1),))
