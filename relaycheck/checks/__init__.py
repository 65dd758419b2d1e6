"""The check registry: pure functions from recorded exchanges to a verdict, one per checklist id."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Callable

from relaycheck.wire.exchange import Exchange
from relaycheck.config.targets import Target
from relaycheck.protocol import NATIVE as _NATIVE

PASS, WARN, FAIL, INCONCLUSIVE, SKIP = "pass", "warn", "fail", "inconclusive", "skip"
STATUSES = (PASS, WARN, FAIL, INCONCLUSIVE, SKIP)


@dataclass(frozen=True)
class Verdict:
    """A check's result: status, one-sentence summary, evidence by exchange id, and measured figures."""

    status: str
    summary: str
    evidence: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckInput:
    """Everything a check may look at: the target, the model (or None), and the run's exchanges."""

    target: Target
    model: str | None
    exchanges: tuple[Exchange, ...]

    def of(self, probe: str) -> list[Exchange]:
        """Final attempts of one probe (a politely retried 429 is superseded by its retry): target-level ones
        always, per-model ones only for this input's model."""
        superseded = {x.retry_of for x in self.exchanges if x.retry_of}
        return [
            x for x in self.exchanges
            if x.probe == probe and x.id not in superseded and (x.model is None or self.model is None or x.model == self.model)
        ]


@dataclass(frozen=True)
class CheckImpl:
    """A registered check function and the probes it reads."""

    id: str
    probes: tuple[str, ...]
    fn: Callable[[CheckInput], Verdict]
    protocols: tuple[str, ...] = ("openai",)  # the target protocols it judges; on any other it is a skip that says so


REGISTRY: dict[str, CheckImpl] = {}


NATIVE = _NATIVE  # Chat Completions, Anthropic Messages and OpenAI Responses: the protocols the core families judge


def check(check_id: str, probes: tuple[str, ...] = (), protocols: tuple[str, ...] = ("openai",)
          ) -> Callable[[Callable[[CheckInput], Verdict]], Callable[[CheckInput], Verdict]]:
    """Register `fn` as the implementation of `check_id`, reading the named probes, judging the named protocols."""

    def register(fn: Callable[[CheckInput], Verdict]) -> Callable[[CheckInput], Verdict]:
        if check_id in REGISTRY:
            raise ValueError(f"check {check_id} registered twice")
        REGISTRY[check_id] = CheckImpl(check_id, probes, fn, protocols)
        return fn

    return register


@cache  # asked for per check and per model in a run: listing the package each time cost more than the checks
def registry() -> dict[str, CheckImpl]:
    """All implemented checks (importing every module of the package registers them: a new one needs no list)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY  # the one dict: a check registered later (a test's) is in it too
