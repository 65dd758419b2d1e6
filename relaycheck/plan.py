"""The plan: which probes run for which models, and the most requests and tokens they may spend."""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck import catalog
from relaycheck.checks import registry
from relaycheck.probes import burst, chat, errors, long, root, slope, stream, tokenizer
from relaycheck.targets import Target

PROBE_ORDER = ("root", "chat", "stream", "tokenizer", "slope", "long", "errors", "burst")


@dataclass(frozen=True)
class ProbeStep:
    """One probe for one model (model None for target-level probes) with its ceiling."""

    probe: str
    model: str | None
    requests: int
    max_tokens: int


@dataclass(frozen=True)
class TargetPlan:
    """Everything one target's run will do, known before the first request."""

    target: Target
    check_ids: tuple[str, ...]
    steps: tuple[ProbeStep, ...]

    @property
    def probes(self) -> frozenset[str]:
        """Names of the probes this plan runs."""
        return frozenset(s.probe for s in self.steps)

    @property
    def max_requests(self) -> int:
        """Upper bound on requests sent."""
        return sum(s.requests for s in self.steps)

    @property
    def max_tokens(self) -> int:
        """Upper bound on tokens billed (prompt plus maximum completion of every billable request)."""
        return sum(s.max_tokens for s in self.steps)


def plan_target(target: Target, check_ids: tuple[str, ...]) -> TargetPlan:
    """Derive the probes from the selected checks; ceilings come from each probe's own cost()."""
    impls = registry()
    needed = {p for cid in check_ids for p in impls[cid].probes}
    steps: list[ProbeStep] = []
    if "root" in needed:
        c = root.cost("")
        steps.append(ProbeStep("root", None, c.requests, c.max_tokens))
    for i, model in enumerate(target.models):
        if "chat" in needed:
            c = chat.cost(model, discover_auth=(i == 0))
            steps.append(ProbeStep("chat", model, c.requests, c.max_tokens))
        if "stream" in needed:
            c = stream.cost(model)
            steps.append(ProbeStep("stream", model, c.requests, c.max_tokens))
        if "tokenizer" in needed:
            c = tokenizer.cost(model)
            steps.append(ProbeStep("tokenizer", model, c.requests, c.max_tokens))
        if "slope" in needed:
            c = slope.cost(model)
            steps.append(ProbeStep("slope", model, c.requests, c.max_tokens))
        if "long" in needed:
            c = long.cost(model, target.long_reply_tokens)
            steps.append(ProbeStep("long", model, c.requests, c.max_tokens))
    first = target.models[0]
    if "errors" in needed:
        c = errors.cost(first, with_empty_key=target.empty_key_env is not None)
        steps.append(ProbeStep("errors", first, c.requests, c.max_tokens))
    if "burst" in needed and target.rate_limit_probe is not None:
        c = burst.cost(first, target.rate_limit_probe)
        steps.append(ProbeStep("burst", first, c.requests, c.max_tokens))
    return TargetPlan(target=target, check_ids=check_ids, steps=tuple(steps))


def per_model(check_id: str) -> bool:
    """Whether a check runs once per configured model."""
    return catalog.load().get(check_id).per_model
