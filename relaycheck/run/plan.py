"""The plan: which probes run for which models, and the most requests and tokens they may spend."""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck.checks import registry
from relaycheck.probes import ProbeCost
from relaycheck.probes.registry import Scope
from relaycheck.protocol import for_target
from relaycheck.probes.registry import registry as probe_registry
from relaycheck.config.targets import Target

# Every probe, in the order the plan lists them (each module declares its place: relaycheck.probes.registry).
PROBE_ORDER = tuple(probe_registry())


@dataclass(frozen=True)
class ProbeStep:
    """One probe for one model (model None for target-level probes) with its ceiling."""

    probe: str
    model: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    max_cost: float | None  # None when the model has no advertised price

    @property
    def max_tokens(self) -> int:
        """Prompt plus completion ceiling."""
        return self.prompt_tokens + self.completion_tokens


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

    @property
    def currency(self) -> str | None:
        """The pricing currency, when prices are configured."""
        return self.target.pricing.currency if self.target.pricing else None

    @property
    def max_cost(self) -> float | None:
        """Upper bound on spend; None when some billable step has no price."""
        if any(s.max_cost is None and s.max_tokens for s in self.steps):
            return None
        return sum(s.max_cost or 0.0 for s in self.steps)

    def unpriced_models(self) -> list[str]:
        """Models with billable steps but no advertised price."""
        return sorted({s.model for s in self.steps if s.max_cost is None and s.max_tokens and s.model})


def for_protocol(check_ids: tuple[str, ...], protocol: str, named: bool) -> tuple[str, ...]:
    """The selected checks a target's protocol can have. A check of another protocol's own (models.thinking over Chat
    Completions) is left out of a profile's run, where it could only ever skip; named with --check, it stays and its
    skip says why. A family not ported to the protocol yet stays either way: its skip says what is not judged."""
    if named:
        return check_ids
    impls = registry()
    return tuple(c for c in check_ids if protocol in impls[c].protocols or "openai" in impls[c].protocols)


def plan_target(target: Target, check_ids: tuple[str, ...]) -> TargetPlan:
    """Derive the probes from the selected checks; ceilings come from each probe's own cost()."""
    impls = registry()
    needed = {p for cid in check_ids if target.protocol in impls[cid].protocols for p in impls[cid].probes}
    specs = [spec for name, spec in probe_registry().items() if name in needed and spec.when(target) and target.protocol in spec.protocols]
    costs: list[tuple[str, str | None, ProbeCost]] = []
    # Listed by scope: the target-level probes, every model's own, then those run once with the first model.
    for spec in specs:
        if spec.scope is Scope.TARGET:
            costs.append((spec.name, None, spec.cost(target, None, True)))
    for i, model in enumerate(target.models):
        costs += [(spec.name, model, spec.cost(target, model, i == 0)) for spec in specs if spec.scope is Scope.EACH_MODEL]
    first = target.models[0]
    for spec in specs:
        if spec.scope is Scope.FIRST_MODEL:
            costs.append((spec.name, first, spec.cost(target, first, True)))
    # A protocol's least output limit (Responses: 16) is what a request asking for less is sent with, and may be billed.
    floor = for_target(target).min_output_tokens - 1
    costs = [(n, m, ProbeCost(c.requests, c.prompt_tokens, c.completion_tokens + c.requests * floor) if floor and c.completion_tokens else c)
             for n, m, c in costs]
    steps = tuple(ProbeStep(name, model, c.requests, c.prompt_tokens, c.completion_tokens, _price(target, model, c)) for name, model, c in costs)
    return TargetPlan(target=target, check_ids=check_ids, steps=steps)


def _price(target: Target, model: str | None, cost: ProbeCost) -> float | None:
    """The most a step can cost at the advertised prices (0 for steps that bill nothing)."""
    if not cost.max_tokens:
        return 0.0
    price = target.pricing.for_model(model) if target.pricing and model else None
    if price is None:
        return None
    return (cost.prompt_tokens * price.input + cost.completion_tokens * price.output) / 1_000_000
