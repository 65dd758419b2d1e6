"""Probe `params` (deep profile): a small output limit, a stop sequence tested against a baseline without it, and
temperature tested against its own noise floor, in the target's protocol."""

from __future__ import annotations

import asyncio
from typing import Any

from relaycheck.protocol import NATIVE, for_target
from relaycheck.protocol.chat import CHAT
from relaycheck.text import tokens
from relaycheck.probes import ProbeContext, ProbeCost, prompts, reply_cost, send, send_reply
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "params"
SMALL_LIMIT = 10  # far below the ~79 tokens of "1..40": an honoured limit cuts the reply with finish_reason length
NEEDED = 79  # about what the counting reply "1..40" takes: a limit at or above it cuts nothing
STOP_MARKER = "7"  # the counting reply "1..12" contains it once, after six lines
STOP_COUNT_TO = 12
STOP_VISIBLE = 60  # room for the whole baseline (23 tokens)
REASONING_BUDGET = 1024
OPEN_PROMPT = "Write one short sentence about the sea."  # open-ended: many right answers, so sampling shows
OPEN_VISIBLE = 40
HIGH_TEMPERATURE = 1.5  # or the protocol's highest, when lower (Messages: 1.0)


def limit_body(model: str, protocol: Any = CHAT) -> dict:
    """The counting request with a small limit (for reasoning models the limit of reasoning and answer together)."""
    return protocol.body(model, prompts.count_prompt(), SMALL_LIMIT, SMALL_LIMIT)


def stop_bodies(model: str, protocol: Any = CHAT) -> tuple[dict, dict | None]:
    """The baseline and the same request with the marker as a stop sequence (None: the protocol has no stop)."""
    baseline = protocol.body(model, prompts.count_prompt(STOP_COUNT_TO), STOP_VISIBLE, REASONING_BUDGET)
    return baseline, protocol.with_param(baseline, "stop", [STOP_MARKER])


def high_temperature(protocol: Any = CHAT) -> float:
    """The high temperature sent: HIGH_TEMPERATURE, or the protocol's highest when that is lower."""
    return min(HIGH_TEMPERATURE, protocol.max_temperature)


def temperature_body(model: str, temperature: float, protocol: Any = CHAT) -> dict:
    """The open-ended request at a given temperature (reasoning models take no temperature: sent without it)."""
    body = protocol.body(model, OPEN_PROMPT, OPEN_VISIBLE, REASONING_BUDGET)
    if tokens.is_reasoning_model(model):
        return body
    return protocol.with_param(body, "temperature", temperature) or body


def cost(model: str, protocol: Any = CHAT) -> ProbeCost:
    """Seven requests: the limit (at most its limit billed), the stop pair (where the protocol has stop) and two
    temperature pairs."""
    body = limit_body(model, protocol)
    limited = ProbeCost(1, prompts.prompt_ceiling(model, prompts.count_prompt()), int(protocol.budget_of(body) or SMALL_LIMIT))
    # The limit request alone is never retried: its empty reply at the limit is what it asks for.
    stop = reply_cost(model, prompts.count_prompt(STOP_COUNT_TO), STOP_VISIBLE, REASONING_BUDGET)
    sampled = reply_cost(model, OPEN_PROMPT, OPEN_VISIBLE, REASONING_BUDGET)
    return limited + stop * (2 if stop_bodies(model, protocol)[1] is not None else 0) + sampled * 4


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the independent requests together."""
    url, protocol = ctx.endpoint(), ctx.protocol
    baseline, with_stop = stop_bodies(model, protocol)
    jobs = [send(ctx, "POST", url, probe=NAME, model=model, label="max_tokens", json_body=limit_body(model, protocol), auth=ctx.auth)]
    if with_stop is not None:  # the pair, or nothing: a baseline alone tells nothing
        jobs.append(send_reply(ctx, url, probe=NAME, model=model, label="stop baseline", json_body=baseline, auth=ctx.auth))
        jobs.append(send_reply(ctx, url, probe=NAME, model=model, label="stop", json_body=with_stop, auth=ctx.auth))
    for temperature, name in ((0.0, "temperature 0"), (high_temperature(protocol), "temperature high")):
        for i in (1, 2):
            body = temperature_body(model, temperature, protocol)
            jobs.append(send_reply(ctx, url, probe=NAME, model=model, label=f"{name} #{i}", json_body=body, auth=ctx.auth))
    await asyncio.gather(*jobs)


PROBE = ProbeSpec(NAME, order=8, protocols=NATIVE, scope=Scope.EACH_MODEL, billed=True,
                  cost=lambda target, model, first: cost(model or "", for_target(target)),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=6),))
