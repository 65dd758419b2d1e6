"""Run the plan: probes through one recording client per target, then the checks over its exchanges."""

from __future__ import annotations

import asyncio
import dataclasses
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import httpx

from relaycheck.core import checklist

from relaycheck.run import costcap
from relaycheck.transport.breaker import NOT_SENT, RUN_DEADLINE
from relaycheck.probes.budget import Budget
from relaycheck.checks import FAIL, INCONCLUSIVE, SKIP, CheckInput, Verdict, registry
from relaycheck.wire.exchange import Exchange
from relaycheck.core.loopback import LoopbackMapTransport, is_loopback_host
from relaycheck.run.plan import TargetPlan
from relaycheck.probes import ProbeContext
from relaycheck.protocol import for_target
from relaycheck.probes.registry import registry as probe_registry
from relaycheck.run.schedule import Job, schedule
from relaycheck.config.headers import AUTH_STYLES
from relaycheck.config.targets import TargetKeys
from relaycheck.protocol.auth import Auth
from relaycheck.transport.client import Limits, RecordingClient


CHECK_CRASHED = "relaycheck bug: this check crashed on the recorded data"


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict for one model (model None for target-level checks)."""

    check_id: str
    model: str | None
    verdict: Verdict


@dataclass(frozen=True)
class TargetRun:
    """A target's raw results, before redaction: exchanges, verdicts and what was learned."""

    plan: TargetPlan
    effective_base_url: str
    auth: Auth
    exchanges: tuple[Exchange, ...]
    results: tuple[CheckResult, ...]
    keys_used: frozenset[str]
    spent: float | None = None  # under a cost cap: what the run cost by the relay's reported usage (ceilings where it said nothing)


@dataclass(frozen=True)
class RunOptions:
    """Knobs that are not per target."""

    body_cap: int = 512 * 1024
    host_map: tuple[tuple[str, str], ...] = ()  # only ever onto loopback addresses
    debug: bool = False
    max_cost: float | None = None  # --max-cost; a target's own max_cost may be tighter


def utc_now() -> str:
    """The current UTC time as reports write it (2026-12-02T01:00:00Z)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


async def _job(ctx: ProbeContext, job: Job, keys: TargetKeys) -> ProbeContext | None:
    """Run one job through its probe's step; a new context when it learned something later stages need."""
    return await probe_registry()[job.probe].step(job.step).run(ctx, job, keys)


async def run_target(
    plan: TargetPlan, keys: TargetKeys, options: RunOptions, on_exchange: Callable[[Exchange], None] | None = None
) -> TargetRun:
    """Probe one target stage by stage (relaycheck.run.schedule), then judge the recorded exchanges."""
    target = plan.target
    limits = Limits(
        concurrency=target.concurrency, deadline_s=target.timeout_s, read_s=target.idle_timeout_s, body_cap=options.body_cap,
        retry_wait_s=target.retry_wait_s,
    )
    transport = LoopbackMapTransport(dict(options.host_map)) if options.host_map else None
    trust_env = not is_loopback_host(httpx.URL(target.base_url).host) and not options.host_map
    cap = costcap.cap_for(plan, options.max_cost)
    budget = Budget(cap, target.pricing) if cap is not None and target.pricing is not None else None
    client = RecordingClient(keys.main, limits, transport=transport, trust_env=trust_env, on_exchange=on_exchange, budget=budget,
                             run_deadline_s=target.deadline_s, headers=keys.headers)
    # The key goes where the target's auth: says (a gateway's own convention), else where its protocol puts it.
    auth = AUTH_STYLES[target.auth] if target.auth else for_target(target).auth
    ctx = ProbeContext(client, target, target.base_url, auth)
    async with client:
        for stage in schedule(plan):
            if stage.concurrent:
                await asyncio.gather(*(_job(ctx, job, keys) for job in stage.jobs))
                continue
            for job in stage.jobs:  # one after another: each stage sees what the one before learned
                ctx = await _job(ctx, job, keys) or ctx
    exchanges = tuple(sorted(client.exchanges, key=lambda x: int(x.id[1:])))
    results = evaluate(plan, exchanges, options.debug)
    return TargetRun(plan, ctx.base_url, ctx.auth, exchanges, results, frozenset(client.keys_used), budget.committed if budget else None)



def _unjudged(protocols: tuple[str, ...], protocol: str) -> str:
    """Why a check skips over a target's protocol: a family not ported to it yet, or a check of another protocol's own."""
    if "openai" in protocols:
        return f"not judged over the {protocol} protocol yet (it judges {', '.join(protocols)})"
    return f"a check of the {', '.join(protocols)} protocol only (this target speaks {protocol})"

def evaluate(plan: TargetPlan, exchanges: tuple[Exchange, ...], debug: bool = False) -> tuple[CheckResult, ...]:
    """Apply every selected check to the recorded exchanges; a crashing check becomes inconclusive."""
    impls = registry()
    cat = checklist.load()
    out: list[CheckResult] = []
    for check_id in plan.check_ids:
        models: tuple[str | None, ...] = plan.target.models if cat.get(check_id).per_model else (None,)
        for model in models:
            if plan.target.protocol not in impls[check_id].protocols:
                out.append(CheckResult(check_id, model, Verdict(SKIP, _unjudged(impls[check_id].protocols, plan.target.protocol))))
                continue
            inp = CheckInput(plan.target, model, exchanges)
            held = [x for p in impls[check_id].probes for x in inp.of(p) if x.error_kind in _HELD_BACK]
            if held:
                out.append(CheckResult(check_id, model, _judge_held_back(impls[check_id].fn, inp, tuple(held), debug)))
                continue
            out.append(CheckResult(check_id, model, _judge(impls[check_id].fn, inp, debug)))
    return tuple(out)


_HELD_BACK = ("cost_cap", NOT_SENT, RUN_DEADLINE)


def _judge(fn: Callable[[CheckInput], Verdict], inp: CheckInput, debug: bool) -> Verdict:
    """Apply one check; a crash on the relay's data becomes inconclusive, never a crashed run."""
    try:
        return fn(inp)
    except Exception as exc:  # a relay's data must never crash the run: record it instead
        detail = traceback.format_exc(limit=3) if debug else f"{type(exc).__name__}: {exc}"
        return Verdict(INCONCLUSIVE, f"{CHECK_CRASHED}: {detail}")


def _judge_held_back(fn: Callable[[CheckInput], Verdict], inp: CheckInput, held: tuple[Exchange, ...], debug: bool) -> Verdict:
    """A check some of whose requests were not sent: a fail on what was received stands, the rest does not judge.

    The cost cap most often trips because a relay bills absurd usage; that usage is already evidence, and skipping
    the checks that would judge it would hide the over-billing behind the cap. Likewise a dead relay's first
    answers are evidence. A pass (or anything short of a fail) on part of the evidence would be a guess: those
    skip (cost cap) or are inconclusive (the relay stopped being asked), and say why.
    """
    ids = tuple(x.id for x in held)
    received = CheckInput(inp.target, inp.model, tuple(x for x in inp.exchanges if x.error_kind not in _HELD_BACK))
    verdict = _judge(fn, received, debug)
    capped = held[0].error_kind == "cost_cap"
    were = "was" if len(held) == 1 else "were"
    stopped = (f"the cost cap stopped {len(held)} of its requests" if capped else
               f"{len(held)} of its requests {were} not sent or cut by the run's deadline" if any(x.error_kind == RUN_DEADLINE for x in held) else
               f"{len(held)} of its requests {were} not sent")
    # Only a fail that cites a received exchange is judged on evidence; one that rests on absence is not.
    if verdict.status == FAIL and set(verdict.evidence) - set(ids):
        return dataclasses.replace(verdict, summary=f"{verdict.summary} ({stopped}; judged on the replies received)")
    if capped:
        return Verdict(SKIP, f"cost cap: {stopped}, so it was not judged", ids)
    reason = next((x.error for x in held if x.error_kind == NOT_SENT), held[0].error) or ""
    return Verdict(INCONCLUSIVE, f"{stopped}: {reason.removeprefix('not sent: ')}", ids)


async def run_all(
    plans: tuple[TargetPlan, ...], keys: dict[str, TargetKeys], options: RunOptions,
    on_exchange: Callable[[str, Exchange], None] | None = None,
) -> tuple[str, str, tuple[TargetRun, ...]]:
    """Run targets in parallel (each under its own cap); return start, finish and the runs."""
    started = utc_now()

    def callback(name: str) -> Callable[[Exchange], None] | None:
        return (lambda ex: on_exchange(name, ex)) if on_exchange else None

    async def one_after_another(group: tuple[TargetPlan, ...]) -> list[TargetRun]:
        return [await run_target(p, keys[p.target.name], options, callback(p.target.name)) for p in group]

    groups = billing_groups(plans, keys)
    done = await asyncio.gather(*(one_after_another(group) for group in groups))
    by_name = {run.plan.target.name: run for runs in done for run in runs}
    return started, utc_now(), tuple(by_name[p.target.name] for p in plans)


def billing_groups(plans: tuple[TargetPlan, ...], keys: dict[str, TargetKeys]) -> tuple[tuple[TargetPlan, ...], ...]:
    """Targets that may run together. One whose balance is read (billing:) shares no time with another spending
    the same key: its balance would move by both runs (as with one relay's protocols, each a target). Targets of
    one key run one after another when any of them reads the balance; all others run in parallel."""
    by_key: dict[str, list[TargetPlan]] = {}
    for p in plans:
        by_key.setdefault(keys[p.target.name].main, []).append(p)
    groups: list[tuple[TargetPlan, ...]] = []
    for same_key in by_key.values():
        if any(p.target.billing is not None for p in same_key):
            groups.append(tuple(same_key))
        else:
            groups.extend((p,) for p in same_key)
    return tuple(groups)


def run_all_sync(
    plans: tuple[TargetPlan, ...], keys: dict[str, TargetKeys], options: RunOptions,
    on_exchange: Callable[[str, Exchange], None] | None = None,
) -> tuple[str, str, tuple[TargetRun, ...]]:
    """`run_all` under `asyncio.run`, with the result handed back outside the main task."""
    box: list[tuple[str, str, tuple[TargetRun, ...]]] = []

    async def main() -> None:
        box.append(await run_all(plans, keys, options, on_exchange))

    # The main task must not hold the runs as its result: on exit, Python 3.11's asyncio.Runner restores the
    # SIGINT handler through enum conversion, whose error message reprs the handler, hence the task and its
    # result. With 50,000 recorded SSE events that repr alone took 80 MB.
    asyncio.run(main())
    return box[0]

