"""The order probes run in, as data: stages one after another, the jobs inside a stage concurrently.

The run's wall time is then about the sum over stages of each stage's longest job (the critical path), never the
sum of all requests: a regression test pins this structure, and benchmarks/run.py measures it. Each probe declares
its steps and their phases (relaycheck.probes.registry); this module only arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck.run.plan import TargetPlan
from relaycheck.probes.registry import Job, Phase, Step
from relaycheck.probes.registry import registry as probe_registry

__all__ = ["Job", "Stage", "schedule"]

CONCURRENT_STAGE = "probes"


@dataclass(frozen=True)
class Stage:
    """Jobs that may run together; why the stage must wait for the one before it."""

    name: str
    jobs: tuple[Job, ...]
    after_because: str
    concurrent: bool = False  # its jobs run together; otherwise one after another, each seeing what the last learned


def schedule(plan: TargetPlan) -> tuple[Stage, ...]:
    """Stages for a plan: each depends on what the previous ones learned or must not be disturbed by what follows."""
    by_phase: dict[Phase, list[tuple[Step, tuple[Job, ...]]]] = {}
    for name, spec in probe_registry().items():
        if name not in plan.probes:
            continue
        for step in spec.steps:
            jobs = spec.jobs(step, plan.target)
            if jobs:
                by_phase.setdefault(step.phase, []).append((step, jobs))
    stages: list[Stage] = []
    for phase in sorted(by_phase):
        # Longest first (the steps' rank): the semaphore admits requests in the order they ask, so the long replies
        # must not queue behind a dozen short ones (that would add their wait to the stage's longest chain).
        steps = sorted(by_phase[phase], key=lambda entry: entry[0].rank)
        if phase is Phase.CONCURRENT:
            jobs = tuple(job for _, step_jobs in steps for job in step_jobs)
            stages.append(Stage(CONCURRENT_STAGE, jobs, "independent of each other: run together under the concurrency cap", concurrent=True))
        else:
            stages += [Stage(step.stage, step_jobs, step.because) for step, step_jobs in steps]
    return tuple(stages)
