"""The watch loop: one task per target on its own schedule, each cycle probed, sealed, recorded, exported, alerted."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass, replace
from typing import IO, Callable

from relaycheck.config.targets import TargetKeys
from relaycheck.history.drift import Rules
from relaycheck.history.record import record
from relaycheck.history.signals import SUCCESS, signals, tokens_reported
from relaycheck.history.store import History
from relaycheck.redaction.redact import Redactor, forget_known_tokens
from relaycheck.report.seal import build_report
from relaycheck.run.plan import TargetPlan
from relaycheck.text.sanitize import visible
from relaycheck.text.tokens import forget_pieces
from relaycheck.run.runner import RunOptions, billing_groups, run_target, utc_now
from relaycheck.watch.alerts import DriftHook
from relaycheck.watch.metrics import WatchMetrics
from relaycheck.watch.schedule import Schedule
from relaycheck.watch.spend import DailySpend
from relaycheck.watch.trim import FreedMemory


@dataclass(frozen=True)
class WatchSettings:
    """How the watch runs: its schedule, how many cycles (None: until stopped), its profile and verdict floor."""

    interval_s: float
    jitter: float = 0.1
    cycles: int | None = None
    profile: str = "quick"
    fail_on: str = "medium"
    metrics_textfile: str | None = None
    rules: Rules = Rules()


class Watch:
    """The state one watch shares between its targets' tasks: history, spend, metrics, the hook, billing locks."""

    def __init__(self, plans: tuple[TargetPlan, ...], keys: dict[str, TargetKeys], run_options: RunOptions, settings: WatchSettings,
                 history: History, spend: DailySpend, metrics: WatchMetrics, hook: DriftHook | None, redactor: Redactor,
                 err: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.plans, self.keys, self.run_options, self.settings = plans, keys, run_options, settings
        self.history, self.spend, self.metrics, self.hook = history, spend, metrics, hook
        self.redactor, self.err, self.clock = redactor, err, clock
        self.stop = asyncio.Event()
        self.trim = FreedMemory(clock)
        self.ran: dict[str, int] = {p.target.name: 0 for p in plans}
        self.skipped: dict[str, int] = {p.target.name: 0 for p in plans}
        # Targets of one key whose balance is read never run at the same time (the balance would move by both).
        self.locks: dict[str, asyncio.Lock] = {}
        for group in billing_groups(plans, keys):
            lock = asyncio.Lock()
            self.locks.update({p.target.name: lock for p in group})

    def say(self, line: str) -> None:
        """One redacted line on stderr, with a relay's text (model names in drift) made visible, never obeyed."""
        self.err.write(visible(self.redactor.text(f"watch: {line}"), lines=False) + "\n")
        self.err.flush()

    async def _sleep_until(self, due: float) -> None:
        delay = due - self.clock()
        if delay > 0:
            try:
                await asyncio.wait_for(self.stop.wait(), delay)
            except asyncio.TimeoutError:
                pass

    async def cycle(self, plan: TargetPlan, attempt: int) -> None:
        """Run one cycle of one target (its `attempt`-th, from 1), or say why it was skipped."""
        name = plan.target.name
        refusal, left = self.spend.reserve(name, plan.max_cost)
        if refusal:
            self.skipped[name] += 1
            self.metrics.skipped(name)
            self.say(f"{name} cycle {attempt} skipped: {refusal}")
            return
        # Written before the first request: a cycle stopped half-way (Ctrl-C, SIGTERM) stays charged after a restart.
        try:
            row = self.history.reserve_spend(self.spend.day, name, plan.max_cost) if plan.max_cost is not None else None
        except sqlite3.Error as exc:  # the reservation still holds in memory for this watch
            self.say(f"{name} cycle {attempt}: its reservation was not written to the history: {exc}")
            row = None
        async with self.locks[name]:
            started, t0 = utc_now(), self.clock()
            run = await run_target(plan, self.keys[name], replace(self.run_options, max_cost=left))
            duration = self.clock() - t0
        report = await asyncio.to_thread(build_report, (run,), {name: self.keys[name]}, started, utc_now(), self.settings.profile,
                                         self.settings.fail_on, self.redactor)
        charged = self.spend.settle(name, plan.max_cost, run.spent)
        (target,) = report.targets  # its name as the report shows it (redacted, were it ever key-like)
        try:
            if row is not None:
                self.history.settle_spend(row, charged)
            run_id, events, by_target = record(self.history, report, "watch", self.settings.rules,
                                               charged={name: charged} if row is not None else None, redactor=self.redactor)
            measured = by_target[target.name]
        except sqlite3.Error as exc:  # a locked or broken database costs this record, not the watch
            self.say(f"{name} cycle {attempt}: not recorded in the history: {exc}")
            run_id, events, measured = 0, [], signals(target)
        success = next((float(s.value) for s in measured if s.name == SUCCESS), None)
        self.metrics.observe(target, duration, time.time(), charged, target.currency, success, tokens_reported(target))
        self.metrics.drifted(events)
        if self.settings.metrics_textfile:
            self.metrics.write_textfile(self.settings.metrics_textfile)
        if self.hook is not None:
            self.hook.fire(name, run_id, report.finished_at, events)
        self.ran[name] += 1
        # Memory stays flat cycle over cycle (BENCHMARKS.md, section 9): every cycle's nonces are new tokens, and
        # the bounded caches keyed by them would otherwise fill to their ceilings and stay there.
        self.redactor.forget_tokens()
        forget_known_tokens()
        forget_pieces()
        self.trim.maybe()
        counts = ", ".join(f"{n} {s}" for s, n in target.counts().items() if n)
        drift = "; drift: " + "; ".join(e.detail for e in events) if events else ""
        self.say(f"{name} cycle {attempt} (run {run_id}): {counts}{drift}")

    async def target_loop(self, plan: TargetPlan, start: float) -> None:
        """A target's cycles on its own schedule: its slowness never delays another target's."""
        schedule = Schedule(start, self.settings.interval_s, self.settings.jitter, plan.target.name)
        slot, done = 0, 0
        while not self.stop.is_set() and (self.settings.cycles is None or done < self.settings.cycles):
            await self._sleep_until(schedule.due(slot))
            if self.stop.is_set():
                break
            done += 1
            await self.cycle(plan, done)
            slot = schedule.next_cycle(slot, self.clock())

    async def run(self) -> None:
        """Every target's loop, until each has run its cycles or the watch is stopped."""
        start = self.clock()
        tasks = [asyncio.create_task(self.target_loop(plan, start)) for plan in self.plans]
        stopping = asyncio.create_task(self.stop.wait())
        pending = set(tasks)
        while pending and not self.stop.is_set():
            done, pending = await asyncio.wait(pending | {stopping}, return_when=asyncio.FIRST_COMPLETED)
            pending.discard(stopping)
            for task in done - {stopping}:
                task.result()  # a bug in a cycle surfaces, it is not swallowed
        for task in pending:  # stopped: a cycle in flight is abandoned (its client closes), nothing half-recorded
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        stopping.cancel()
