"""Probe `tokenizer`: two one-token requests whose prompts differ only by a text the tokenizers count apart."""

from __future__ import annotations

import asyncio

from typing import Any

from relaycheck.protocol import for_target
from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, prompts, request_cost, send
from relaycheck.probes.errors import REASONING_MINIMUM, minimal_tokens
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "tokenizer"


def bodies(model: str, nonce: str, protocol: Any = CHAT) -> tuple[dict, dict]:
    """The base request and the one with the probe text appended."""
    fewest = minimal_tokens(protocol)
    base = protocol.body(model, prompts.short_prompt(nonce), fewest, REASONING_MINIMUM)
    probe = protocol.body(model, prompts.short_prompt(nonce, prompts.TOKENIZER_PROBE_TEXT), fewest, REASONING_MINIMUM)
    return base, probe


def cost(model: str, protocol: Any = CHAT) -> ProbeCost:
    """Two one-token requests (the protocol's fewest)."""
    nonce, fewest = prompts.new_nonce(), minimal_tokens(protocol)
    return request_cost(model, prompts.short_prompt(nonce), fewest, REASONING_MINIMUM) + request_cost(
        model, prompts.short_prompt(nonce, prompts.TOKENIZER_PROBE_TEXT), fewest, REASONING_MINIMUM
    )


async def run(ctx: ProbeContext, model: str) -> None:
    """Send both requests (the nonce is shared: only the probe text differs)."""
    base, probe = bodies(model, prompts.new_nonce(), ctx.protocol)
    url = ctx.endpoint()
    await asyncio.gather(
        send(ctx, "POST", url, probe=NAME, model=model, label="base", json_body=base, auth=ctx.auth),
        send(ctx, "POST", url, probe=NAME, model=model, label="with probe text", json_body=probe, auth=ctx.auth),
    )


PROBE = ProbeSpec(NAME, order=5, protocols=("openai", "responses"), scope=Scope.EACH_MODEL, billed=True,
                  cost=lambda target, model, first: cost(model or "", for_target(target)),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=5),))
