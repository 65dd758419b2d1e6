"""Probe `tokenizer`: two one-token requests whose prompts differ only by a text the tokenizers count apart."""

from __future__ import annotations

import asyncio

from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, prompts, request_cost, send
from relaycheck.probes.errors import MINIMAL_TOKENS, REASONING_MINIMUM
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "tokenizer"


def bodies(model: str, nonce: str) -> tuple[dict, dict]:
    """The base request and the one with the probe text appended."""
    base = CHAT.body(model, prompts.short_prompt(nonce), MINIMAL_TOKENS, REASONING_MINIMUM)
    probe = CHAT.body(model, prompts.short_prompt(nonce, prompts.TOKENIZER_PROBE_TEXT), MINIMAL_TOKENS, REASONING_MINIMUM)
    return base, probe


def cost(model: str) -> ProbeCost:
    """Two one-token requests."""
    nonce = prompts.new_nonce()
    return request_cost(model, prompts.short_prompt(nonce), MINIMAL_TOKENS, REASONING_MINIMUM) + request_cost(
        model, prompts.short_prompt(nonce, prompts.TOKENIZER_PROBE_TEXT), MINIMAL_TOKENS, REASONING_MINIMUM
    )


async def run(ctx: ProbeContext, model: str) -> None:
    """Send both requests (the nonce is shared: only the probe text differs)."""
    base, probe = bodies(model, prompts.new_nonce())
    url = ctx.endpoint()
    await asyncio.gather(
        send(ctx, "POST", url, probe=NAME, model=model, label="base", json_body=base, auth=ctx.auth),
        send(ctx, "POST", url, probe=NAME, model=model, label="with probe text", json_body=probe, auth=ctx.auth),
    )


PROBE = ProbeSpec(NAME, order=5, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=5),))
