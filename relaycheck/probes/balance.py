"""Probe `balance`: read the balance before the run and, polling with backoff, after it (GETs only, no spend)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import httpx

from relaycheck.config.balances import Adapter, Reading, adapters_for, moved
from relaycheck.probes import ProbeContext, ProbeCost, send
from relaycheck.protocol import NATIVE
from relaycheck.protocol.auth import Auth
from relaycheck.probes.registry import Job, Phase, ProbeSpec, Scope, Step
from relaycheck.config.targets import TargetKeys

NAME = "balance"
MAX_POLLS = 8
SETTLED_S = 1.0  # a balance unchanged this long after it moved has settled
_MARGIN_S = 0.02  # a timer may fire a hair early: aim just past the settling moment


def cost(choice: str | dict) -> ProbeCost:
    """GETs: every candidate once before, then the answering one polled at most MAX_POLLS times after."""
    candidates = adapters_for(choice)
    before = sum(len(a.paths) for a in candidates)
    return ProbeCost(requests=before + MAX_POLLS * max(len(a.paths) for a in candidates))


# Balance endpoints are the relay's own, beside its OpenAI base (one-api's /v1/dashboard/..., new-api's /api/...).
# A Messages or Gemini base has no /v1 (https://relay, https://relay/v1beta): their base-relative endpoints are read
# at the origin's /v1, where every one-api descendant serves them.
OPENAI_BASE_OF = {"anthropic": "v1", "gemini": "v1"}


def _url(ctx: ProbeContext, root: str, path: str) -> str:
    origin = str(httpx.URL(ctx.base_url).copy_with(path="/", query=None, fragment=None)).rstrip("/")
    if root == "base":
        beside = OPENAI_BASE_OF.get(ctx.target.protocol)
        return f"{origin}/{beside}/{path}" if beside else ctx.url(path)
    return origin + "/" + path


async def read(ctx: ProbeContext, adapter: Adapter, label: str, probe: str = NAME) -> Reading | None:
    """One reading through `adapter`, recorded as exchanges of `probe` labelled `label: name`."""
    bodies = []
    # OpenAI-side endpoints take the key as Bearer; one-api's descendants read x-api-key or x-goog-api-key only on
    # their Messages and Gemini paths.
    auth = Auth.BEARER if ctx.target.protocol in OPENAI_BASE_OF and ctx.target.auth is None else ctx.auth
    for root, path in adapter.paths:
        exchange = await send(ctx, "GET", _url(ctx, root, path), probe=probe, label=f"{label}: {adapter.name}", auth=auth)
        bodies.append(exchange.json if exchange.ok else None)
    return adapter.parse(bodies) if all(b is not None for b in bodies) else None


async def before(ctx: ProbeContext, choice: str | dict) -> tuple[Adapter, Reading] | None:
    """The first adapter that answers, with its reading."""
    for adapter in adapters_for(choice):
        reading = await read(ctx, adapter, "before")
        if reading is not None:
            return adapter, reading
    return None


async def after(ctx: ProbeContext, adapter: Adapter, first: Reading, settle_s: float) -> None:
    """Poll until a non-zero change has held for SETTLED_S (billing settled) or settle_s has passed."""
    await settle(ctx, adapter, first, settle_s, "after")


async def settle(ctx: ProbeContext, adapter: Adapter, first: Reading, settle_s: float, label: str, probe: str = NAME,
                 max_polls: int = MAX_POLLS) -> Reading | None:
    """Readings labelled `label #n` until a change from `first` has held for SETTLED_S or settle_s has passed;
    returns the last reading (None when the last poll could not be read)."""
    deadline = time.monotonic() + settle_s
    wait, last, since = 0.25, None, 0.0
    reading = None
    for poll in range(1, max_polls + 1):
        reading = await read(ctx, adapter, f"{label} #{poll}", probe)
        delta = moved(first, reading) if reading else None
        now = time.monotonic()
        if delta is None or last is None or abs(delta.amount - last.amount) > first.step / 2:
            last, since = delta, now  # moved (or not yet): the clock of stability restarts
        elif now - since >= SETTLED_S:
            return reading
        if now + wait > deadline:
            return reading
        # Back off, but never past the moment the change will have held for SETTLED_S: polling then ends the wait at
        # once (doubling alone overshot it by most of a second, on every run that reads a balance).
        pause = wait if last is None else min(wait, max(since + SETTLED_S + _MARGIN_S - now, _MARGIN_S))
        await asyncio.sleep(pause)
        wait = min(wait * 2, 4.0)
    return reading


async def _before(ctx: ProbeContext, job: Job, keys: TargetKeys) -> ProbeContext | None:
    """Later stages (balance after, cache) read on from the adapter that answered."""
    assert ctx.target.billing is not None  # the probe runs only on targets with billing:
    found = await before(ctx, ctx.target.billing)
    return replace(ctx, billing=found) if found else None


async def _after(ctx: ProbeContext, job: Job, keys: TargetKeys) -> None:
    if ctx.billing is not None:  # no reading before the run: nothing to compare with
        await after(ctx, ctx.billing[0], ctx.billing[1], ctx.target.billing_settle_s)


PROBE = ProbeSpec(
    NAME, order=2, protocols=NATIVE, scope=Scope.TARGET, billed=False, when=lambda target: target.billing is not None,
    cost=lambda target, model, first: cost(target.billing), steps=(  # type: ignore[arg-type]  # `when` holds it set
        Step(Phase.BEFORE_SPEND, _before, name="before", stage=f"{NAME} before", because="before anything is spent"),
        Step(Phase.AFTER_SPEND, _after, name="after", stage=f"{NAME} after", because="after the last billed request"),
    ),
)
