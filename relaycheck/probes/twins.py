"""Probe `twins` (deep profile, two or more models): open-ended prompts at temperature 0, each asked twice per model."""

from __future__ import annotations

import asyncio

from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, reply_cost, send_reply
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "twins"
# Open-ended on purpose: a question with one right answer would make two honest models agree.
PROMPTS = (
    "Write one sentence describing a lighthouse in a storm, in your own words.",
    "Invent a name for a small cafe and describe it in one sentence.",
)
ASKS = 2  # each prompt twice: only a model that reproduces itself can be compared with another
VISIBLE, REASONING_BUDGET = 60, 512


def label(prompt_index: int, ask: int) -> str:
    """The exchange label of one ask (the check groups by it)."""
    return f"prompt {prompt_index + 1} ask {ask + 1}"


def body(model: str, prompt: str) -> dict:
    """One open-ended request (chat_body sets temperature 0 wherever the model takes one)."""
    return CHAT.body(model, prompt, VISIBLE, REASONING_BUDGET)


def cost(model: str) -> ProbeCost:
    """Every prompt, ASKS times."""
    total = ProbeCost(0)
    for prompt in PROMPTS:
        total = total + reply_cost(model, prompt, VISIBLE, REASONING_BUDGET) * ASKS
    return total


async def run(ctx: ProbeContext, model: str) -> None:
    """All asks of one model together under the concurrency cap."""
    url = ctx.endpoint()
    await asyncio.gather(*(
        send_reply(ctx, url, probe=NAME, model=model, label=label(i, k), json_body=body(model, prompt), auth=ctx.auth)
        for i, prompt in enumerate(PROMPTS) for k in range(ASKS)
    ))


PROBE = ProbeSpec(NAME, order=11, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  when=lambda target: len(target.models) > 1,  # nothing to compare with one model
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=8),))
