"""Probe `errors`: provoke the error paths (wrong key, no key, unknown model, malformed requests, empty balance)."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from relaycheck.protocol import NATIVE, for_target
from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, request_cost, send
from relaycheck.probes.registry import Job, Phase, ProbeSpec, Scope, Step
from relaycheck.config.targets import TargetKeys
from relaycheck.protocol.auth import Auth

NAME = "errors"
UNKNOWN_MODEL_PREFIX = "relaycheck-no-such-model-"
PROMPT = "Reply with OK."
MINIMAL_TOKENS = 1
REASONING_MINIMUM = 16  # reasoning models refuse a budget too small to answer at all


def wrong_key() -> str:
    """A fresh key no relay can know, shaped like a real one so relays parse it as a key."""
    return "sk-relaycheck-wrong-" + secrets.token_hex(16)


def minimal_tokens(protocol: Any = CHAT) -> int:
    """The fewest completion tokens a request of `protocol` may ask for (Responses refuses fewer than 16)."""
    return max(MINIMAL_TOKENS, protocol.min_output_tokens)


def minimal_body(model: str, protocol=CHAT) -> dict:
    """The cheapest request: one short message, the fewest completion tokens the protocol accepts."""
    return protocol.body(model, PROMPT, minimal_tokens(protocol), REASONING_MINIMUM)


def _without_messages(model: str, protocol: Any) -> dict:
    limits = protocol.limit_params(model, minimal_tokens(protocol), REASONING_MINIMUM)
    return {"model": model, **{k: v for k, v in limits.items() if k != "temperature"}}


def cost(model: str, with_empty_key: bool, protocol=CHAT) -> ProbeCost:
    """Five requests (six with the empty-balance key); only an answer that should have been a refusal is billed."""
    return request_cost(model, PROMPT, minimal_tokens(protocol), REASONING_MINIMUM) * (5 + int(with_empty_key))


async def run(ctx: ProbeContext, model: str, keys: TargetKeys) -> None:
    """Send the error-provoking requests concurrently; each is labelled for the checks."""
    url = ctx.endpoint()
    body = minimal_body(model, ctx.protocol)
    unknown = UNKNOWN_MODEL_PREFIX + secrets.token_hex(3)
    truncated = json.dumps(body)[:-20].encode()  # cut mid-way: not JSON any more
    common = {"probe": NAME, "model": model}
    jobs = [
        send(ctx, "POST", url, label="wrong key", json_body=body, auth=ctx.auth, key=keys.wrong, **common),
        send(ctx, "POST", url, label="no key", json_body=body, auth=Auth.NONE, **common),
        send(ctx, "POST", url, label="unknown model", json_body={**body, "model": unknown}, auth=ctx.auth, **common),
        send(ctx, "POST", url, label="invalid JSON", raw_body=truncated, auth=ctx.auth, **common),
        # No messages (no input): the model and the protocol's limit field only, so nothing else in the body is wrong.
        send(ctx, "POST", url, label="missing messages", json_body=_without_messages(model, ctx.protocol), auth=ctx.auth, **common),
    ]
    if keys.empty:
        jobs.append(send(ctx, "POST", url, label="empty-balance key", json_body=body, auth=ctx.auth, key=keys.empty, **common))
    await asyncio.gather(*jobs)


async def _provoke(ctx: ProbeContext, job: Job, keys: TargetKeys) -> None:
    await run(ctx, job.model or "", keys)


PROBE = ProbeSpec(NAME, order=13, protocols=NATIVE, scope=Scope.FIRST_MODEL, billed=True,
                  cost=lambda target, model, first: cost(model or "", target.empty_key_env is not None, for_target(target)),
                  steps=(Step(Phase.CONCURRENT, _provoke, rank=11),))
