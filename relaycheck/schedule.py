"""The order probes run in, as data: stages one after another, the jobs inside a stage concurrently.

The run's wall time is then about the sum over stages of each stage's longest job (the critical path), never the
sum of all requests: a regression test pins this structure, and benchmarks/run.py measures it.
"""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck.plan import TargetPlan


@dataclass(frozen=True)
class Job:
    """One probe for one model (None for target-level probes)."""

    probe: str
    model: str | None = None
    step: str = ""  # which part of a probe that runs in two places (balance "before"/"after", chat "auth")


@dataclass(frozen=True)
class Stage:
    """Jobs that may run together; why the stage must wait for the one before it."""

    name: str
    jobs: tuple[Job, ...]
    after_because: str


def schedule(plan: TargetPlan) -> tuple[Stage, ...]:
    """Stages for a plan: each depends on what the previous ones learned or must not be disturbed by what follows."""
    target, probes, models = plan.target, plan.probes, plan.target.models
    stages: list[Stage] = []
    if "root" in probes:
        stages.append(Stage("root", (Job("root"),), "first: it finds the working base URL every later request uses"))
    if "balance" in probes and target.billing is not None:
        stages.append(Stage("balance before", (Job("balance", step="before"),), "before anything is spent"))
    if "chat" in probes and models:
        stages.append(Stage("auth", (Job("chat", models[0], step="auth"),), "finds where the key is accepted, for every later request"))
    # Longest first: the semaphore admits requests in the order they ask, so the long replies must not queue behind
    # a dozen short ones (that would add their wait to the stage's longest chain).
    parallel: list[Job] = []
    for probe in ("long", "context", "stream", "slope", "tokenizer", "params", "structured", "twins"):
        if probe in probes:
            parallel += [Job(probe, m) for m in models]
    if "chat" in probes:
        parallel += [Job("chat", m) for m in models[1:]]
    if "reliability" in probes and models:
        parallel.append(Job("reliability", models[0]))
    if "errors" in probes and models:
        parallel.append(Job("errors", models[0]))
    if parallel:
        stages.append(Stage("probes", tuple(parallel), "independent of each other: run together under the concurrency cap"))
    if "burst" in probes and target.rate_limit_probe is not None and models:
        stages.append(Stage("burst", (Job("burst", models[0]),), "last but billing: a limit it provokes must not spoil other verdicts"))
    if "balance" in probes and target.billing is not None:
        stages.append(Stage("balance after", (Job("balance", step="after"),), "after the last billed request"))
    if "cache" in probes and models:
        stages.append(Stage("cache", (Job("cache", models[0]),),
                            "alone at the end: what each of its two requests cost is read off the balance between them"))
    return tuple(stages)
