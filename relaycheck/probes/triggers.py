"""Probe `triggers` (the `agent` profile): the integrity tool asks repeated under popular agents' tool names.

A router that rewrites only agent traffic keys on what agent traffic looks like: a tool named `Bash` or `shell`,
an `apply_patch` call. These asks carry their own fresh canaries; integrity.conditional compares them with the
neutral asks of the `integrity` probe. Opted in (agent_user_agent), the neutral install ask is also sent with the
User-Agent strings of common agent clients.
"""

from __future__ import annotations

import asyncio

from relaycheck.protocol import NATIVE
from relaycheck.probes import ProbeContext, ProbeCost, send
from relaycheck.probes import canaries as c
from relaycheck.probes.integrity import ask_cost, call_ask
from relaycheck.probes.registry import Job, Phase, ProbeSpec, Scope, Step
from relaycheck.config.targets import Target, TargetKeys

NAME = "triggers"


def asks(target: Target) -> tuple[tuple[c.CallAsk, str | None], ...]:
    """Every trigger's ask with the User-Agent it is sent as (None: relaycheck's own); agent clients' when opted in."""
    named = tuple((ask, None) for ask in c.trigger_asks())
    return named + (c.user_agent_asks() if target.agent_user_agent else ())


def cost(target: Target, model: str) -> ProbeCost:
    """One request per trigger."""
    total = ProbeCost(0)
    for ask, _ in asks(target):
        total = total + ask_cost(model, call_ask(model, ask))
    return total


async def run(ctx: ProbeContext, job: Job, keys: TargetKeys) -> None:
    """Send every trigger's ask together."""
    url, model = ctx.endpoint(), job.model or ""
    await asyncio.gather(*(
        send(ctx, "POST", url, probe=NAME, model=model, label=ask.label, json_body=call_ask(model, ask, ctx.protocol).body, auth=ctx.auth,
             expect_sse=ask.stream, headers={"user-agent": agent} if agent else None)
        for ask, agent in asks(ctx.target)
    ))


PROBE = ProbeSpec(NAME, order=19, protocols=NATIVE, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(target, model or ""),
                  steps=(Step(Phase.CONCURRENT, run, rank=14),))
