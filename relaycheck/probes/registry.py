"""The probe registry: every probe module declares one ProbeSpec, and plan, schedule, runner and billing read them."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from enum import Enum, IntEnum
from functools import cache
from typing import Awaitable, Callable

from relaycheck.probes import ProbeContext, ProbeCost
from relaycheck.config.targets import Target, TargetKeys

# Modules of relaycheck/probes that are shared helpers, not probes (tests/test_probe_registry.py holds them to it).
HELPERS = ("prompts", "registry", "budget", "canaries")


class Phase(IntEnum):
    """Where a step runs: a run goes through the phases in this order, each after the one before has finished."""

    FIND_BASE = 1  # the working base URL every later request uses
    BEFORE_SPEND = 2  # the balance before anything is spent
    FIND_AUTH = 3  # where the key is accepted, for every later request
    CONCURRENT = 4  # independent jobs together under the concurrency cap
    PROVOKE_LIMIT = 5  # a rate limit it provokes must not spoil other verdicts
    AFTER_SPEND = 6  # the balance after the last billed request
    ALONE_LAST = 7  # after the bill, with no other request in between its own


class Scope(Enum):
    """Which models a probe runs for."""

    TARGET = "target"  # once, with no model
    EACH_MODEL = "each model"
    FIRST_MODEL = "first model"  # once, with the first configured model


@dataclass(frozen=True)
class Job:
    """One step of a probe for one model (None for target-level probes)."""

    probe: str
    model: str | None = None
    step: str = ""  # which part of a probe that runs in two places (balance "before"/"after", chat "auth")


# Every step runs the same way: it may hand the later stages a context with what it learned (base URL, auth, balance).
RunFn = Callable[[ProbeContext, Job, TargetKeys], Awaitable["ProbeContext | None"]]


@dataclass(frozen=True)
class Step:
    """One part of a probe: the phase it runs in, which of the probe's models it takes, and what it does."""

    phase: Phase
    run: RunFn
    # Which of the probe's models (by its scope) it takes, as a slice's (start, stop): chat's auth step takes the first
    # (0, 1), its other step the rest (1, None).
    models: tuple[int, int | None] = (0, None)
    name: str = ""  # Job.step: tells apart the steps of a probe that runs in two places
    stage: str = ""  # its stage's name, for a step in a phase of its own (the concurrent stage has one name for all)
    because: str = ""  # why its stage waits for the one before
    rank: int = 0  # place in the concurrent stage, longest first: the cap admits requests in the order they ask


def _always(target: Target) -> bool:
    return True


@dataclass(frozen=True)
class ProbeSpec:
    """A probe's registration: its name, place in the plan, scope, billing, cost ceiling and steps."""

    name: str
    order: int  # its place in the plan's listing (by scope first: target, each model, first model)
    scope: Scope
    billed: bool  # its completions are billed to the run's key
    cost: Callable[[Target, "str | None", bool], ProbeCost]  # (target, model, first model?) -> ceiling
    steps: tuple[Step, ...]
    when: Callable[[Target], bool] = _always  # the target opted in (or, for twins, has something to compare)
    protocols: tuple[str, ...] = ("openai",)  # the target protocols it can speak (relaycheck.protocol.TARGET_PROTOCOLS)

    @property
    def per_model(self) -> bool:
        """Whether it runs once for every configured model."""
        return self.scope is Scope.EACH_MODEL

    def models(self, target: Target) -> tuple[str | None, ...]:
        """The models it runs for on a target (None: the target itself)."""
        if self.scope is Scope.TARGET:
            return (None,)
        return target.models if self.scope is Scope.EACH_MODEL else target.models[:1]

    def jobs(self, step: Step, target: Target) -> tuple[Job, ...]:
        """One job per model the step takes."""
        return tuple(Job(self.name, model, step.name) for model in self.models(target)[slice(*step.models)])

    def step(self, name: str) -> Step:
        """The step a job names."""
        return next(s for s in self.steps if s.name == name)


def for_each_model(run: Callable[[ProbeContext, str], Awaitable[object]]) -> RunFn:
    """A step that runs `run(ctx, model)` and learns nothing later stages need."""

    async def step(ctx: ProbeContext, job: Job, keys: TargetKeys) -> ProbeContext | None:
        await run(ctx, job.model or "")
        return None

    return step


@cache
def registry() -> dict[str, ProbeSpec]:
    """Every probe, in plan order (importing each module of the package reads its PROBE)."""
    import relaycheck.probes as package

    specs = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in HELPERS:
            continue
        spec = importlib.import_module(f"{package.__name__}.{info.name}").PROBE
        assert isinstance(spec, ProbeSpec) and spec.name == info.name, info.name  # a probe's name is its module's
        specs.append(spec)
    return {spec.name: spec for spec in sorted(specs, key=lambda s: s.order)}


def _runs_after(spec: ProbeSpec, phase: Phase) -> bool:
    return any(step.phase > phase for step in spec.steps)


def billed_in_the_delta() -> tuple[str, ...]:
    """Billed probes that run before the balance is read after the run: the balance change covers them."""
    return tuple(s.name for s in registry().values() if s.billed and not _runs_after(s, Phase.AFTER_SPEND))


def billed_after_the_bill() -> tuple[str, ...]:
    """Billed probes that run after that reading (they read the balance themselves): not in its change."""
    return tuple(s.name for s in registry().values() if s.billed and _runs_after(s, Phase.AFTER_SPEND))
