"""Probe `burst` (opt-in, runs last): minimal requests until the first 429, to see how a rate limit answers."""

from __future__ import annotations

import asyncio
from typing import Any

from relaycheck.protocol import NATIVE, for_target
from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, request_cost
from relaycheck.probes.errors import PROMPT, REASONING_MINIMUM, minimal_body, minimal_tokens
from relaycheck.probes.registry import Job, Phase, ProbeSpec, Scope, Step
from relaycheck.config.targets import RateLimitProbe, TargetKeys

NAME = "burst"


def cost(model: str, spec: RateLimitProbe, protocol: Any = CHAT) -> ProbeCost:
    """At most spec.requests minimal completions."""
    return request_cost(model, PROMPT, minimal_tokens(protocol), REASONING_MINIMUM) * spec.requests


async def run(ctx: ProbeContext, model: str, spec: RateLimitProbe) -> None:
    """Up to spec.requests requests, spec.concurrency at a time (never above the target's cap); stop at a 429."""
    url, body = ctx.protocol.route(ctx.endpoint(), minimal_body(model, ctx.protocol), model)
    headers = ctx.protocol.headers()  # sent without probes.send (no retry while measuring): the protocol's headers here
    stop = asyncio.Event()
    sent = 0

    async def worker() -> None:
        nonlocal sent
        while not stop.is_set() and sent < spec.requests:
            sent += 1
            exchange = await ctx.client.request(
                "POST", url, probe=NAME, model=model, label=f"burst #{sent}", json_body=body, auth=ctx.auth, unless=stop, measuring=True,
                headers=headers,
            )
            if exchange is not None and exchange.status == 429:
                stop.set()  # measuring, not hammering: the first 429 answers the question

    await asyncio.gather(*(worker() for _ in range(min(spec.concurrency, ctx.target.concurrency))))


async def _burst(ctx: ProbeContext, job: Job, keys: TargetKeys) -> None:
    assert ctx.target.rate_limit_probe is not None  # the probe runs only on targets with rate_limit_probe:
    await run(ctx, job.model or "", ctx.target.rate_limit_probe)


PROBE = ProbeSpec(
    NAME, order=14, protocols=NATIVE, scope=Scope.FIRST_MODEL, billed=True, when=lambda target: target.rate_limit_probe is not None,
    cost=lambda target, model, first: cost(model or "", target.rate_limit_probe, for_target(target)),  # type: ignore[arg-type]  # `when` holds it set
    steps=(Step(Phase.PROVOKE_LIMIT, _burst, stage=NAME, because="last but billing: a limit it provokes must not spoil other verdicts"),),
)
