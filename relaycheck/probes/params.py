"""Probe `params` (deep profile): a small output limit, and a stop sequence tested against a baseline without it."""

from __future__ import annotations

import asyncio

from relaycheck.protocol.chat import CHAT
from relaycheck.text import tokens
from relaycheck.probes import ProbeContext, ProbeCost, prompts, reply_cost, send, send_reply
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "params"
SMALL_LIMIT = 10  # far below the ~79 tokens of "1..40": an honoured limit cuts the reply with finish_reason length
STOP_MARKER = "7"  # the counting reply "1..12" contains it once, after six lines
STOP_COUNT_TO = 12
STOP_VISIBLE = 60  # room for the whole baseline (23 tokens)
REASONING_BUDGET = 1024
OPEN_PROMPT = "Write one short sentence about the sea."  # open-ended: many right answers, so sampling shows
OPEN_VISIBLE = 40
HIGH_TEMPERATURE = 1.5


def limit_body(model: str) -> dict:
    """The counting request with a small limit (max_completion_tokens for reasoning models, where it is the limit)."""
    body = CHAT.body(model, prompts.count_prompt(), SMALL_LIMIT, SMALL_LIMIT)
    if tokens.is_reasoning_model(model):
        body["max_completion_tokens"] = SMALL_LIMIT
    return body


def stop_bodies(model: str) -> tuple[dict, dict]:
    """The baseline and the same request with the marker as a stop sequence."""
    baseline = CHAT.body(model, prompts.count_prompt(STOP_COUNT_TO), STOP_VISIBLE, REASONING_BUDGET)
    return baseline, {**baseline, "stop": [STOP_MARKER]}


def temperature_body(model: str, temperature: float) -> dict:
    """The open-ended request at a given temperature (reasoning models take no temperature: sent without it)."""
    body = CHAT.body(model, OPEN_PROMPT, OPEN_VISIBLE, REASONING_BUDGET)
    if not tokens.is_reasoning_model(model):
        body["temperature"] = temperature
    return body


def cost(model: str) -> ProbeCost:
    """Seven requests: the limit (at most SMALL_LIMIT billed), the stop pair and two temperature pairs."""
    limited = ProbeCost(1, prompts.prompt_ceiling(model, prompts.count_prompt()), SMALL_LIMIT)
    # The limit request alone is never retried: its empty reply at the limit is what it asks for.
    stop = reply_cost(model, prompts.count_prompt(STOP_COUNT_TO), STOP_VISIBLE, REASONING_BUDGET)
    sampled = reply_cost(model, OPEN_PROMPT, OPEN_VISIBLE, REASONING_BUDGET)
    return limited + stop * 2 + sampled * 4


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the independent requests together."""
    url = ctx.endpoint()
    baseline, with_stop = stop_bodies(model)
    jobs = [
        send(ctx, "POST", url, probe=NAME, model=model, label="max_tokens", json_body=limit_body(model), auth=ctx.auth),
        send_reply(ctx, url, probe=NAME, model=model, label="stop baseline", json_body=baseline, auth=ctx.auth),
        send_reply(ctx, url, probe=NAME, model=model, label="stop", json_body=with_stop, auth=ctx.auth),
    ]
    for temperature, name in ((0.0, "temperature 0"), (HIGH_TEMPERATURE, "temperature high")):
        for i in (1, 2):
            body = temperature_body(model, temperature)
            jobs.append(send_reply(ctx, url, probe=NAME, model=model, label=f"{name} #{i}", json_body=body, auth=ctx.auth))
    await asyncio.gather(*jobs)


PROBE = ProbeSpec(NAME, order=8, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=6),))
