"""Probe `chat`: a short non-stream completion asking for a fresh nonce; discovers where the key must go."""

from __future__ import annotations

from dataclasses import replace

from relaycheck.protocol import NATIVE
from relaycheck.protocol import for_target
from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, prompts, request_cost, send
from relaycheck.probes.registry import Job, Phase, ProbeSpec, Scope, Step, for_each_model
from relaycheck.config.targets import TargetKeys
from relaycheck.protocol.auth import ALTERNATIVE_AUTH, Auth

NAME = "chat"
_REFUSED = (401, 403)


def cost(model: str, discover_auth: bool = False, protocol=CHAT) -> ProbeCost:
    """One request, plus the alternative key placements when discovering auth (only one can be billed), plus the
    placements a protocol reports on as well (Anthropic: Bearer beside x-api-key, which may both be billed)."""
    billed = request_cost(model, prompts.nonce_prompt(prompts.new_nonce()), prompts.CHAT_MAX_TOKENS, prompts.CHAT_REASONING_BUDGET)
    refused = ProbeCost(requests=len(ALTERNATIVE_AUTH) if discover_auth else 0)  # only one placement can be accepted (no protocol has more)
    reported = billed * len(protocol.report_auth) if discover_auth else ProbeCost(0)
    return billed + refused + reported


def _key_refused(exchange) -> bool:
    """A 400 that refuses the key (Google's API_KEY_INVALID): not a placement the relay accepts."""
    return exchange.status == 400 and ("API_KEY_INVALID" in exchange.body[:4096] or "api key not valid" in exchange.body[:4096].lower())


async def run(ctx: ProbeContext, model: str, discover_auth: bool = False) -> Auth:
    """Send the nonce request; with discover_auth, try other key placements after a 401/403 to Bearer."""
    body = ctx.protocol.body(
        model, prompts.nonce_prompt(prompts.new_nonce()), prompts.CHAT_MAX_TOKENS, prompts.CHAT_REASONING_BUDGET
    )
    url = ctx.endpoint()
    first = await send(ctx, "POST", url, probe=NAME, model=model, label=f"auth: {ctx.auth.value}", json_body=body, auth=ctx.auth)
    if not discover_auth:
        return ctx.auth
    if first.status not in _REFUSED:
        for placement in ctx.protocol.report_auth:  # which other placements work too, for the report
            await send(ctx, "POST", url, probe=NAME, model=model, label=f"auth: {placement.value}", json_body=body, auth=placement)
        return ctx.auth
    for placement in ctx.protocol.alternative_auth:
        exchange = await send(ctx, 
            "POST", url, probe=NAME, model=model, label=f"auth: {placement.value}", json_body=body, auth=placement
        )
        if exchange.status is not None and exchange.status not in _REFUSED and not _key_refused(exchange):
            return placement
    return ctx.auth


async def _find_auth(ctx: ProbeContext, job: Job, keys: TargetKeys) -> ProbeContext:
    """Later stages present the key where this first request found it accepted."""
    return replace(ctx, auth=await run(ctx, job.model or "", discover_auth=True))


# The first model's request discovers auth in a stage of its own; the other models' run with the rest.
PROBE = ProbeSpec(
    NAME, order=3, protocols=NATIVE, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or "", discover_auth=first, protocol=for_target(target)),
    steps=(
        Step(Phase.FIND_AUTH, _find_auth, models=(0, 1), name="auth", stage="auth", because="finds where the key is accepted, for every later request"),
        Step(Phase.CONCURRENT, for_each_model(run), models=(1, None), rank=9),
    ),
)
