"""The plan: which probes run for which models, and the most requests and tokens they may spend."""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck import catalog
from relaycheck.checks import registry
from relaycheck.probes import (ProbeCost, balance, burst, cache, chat, context, errors, long, params, reliability, root, slope, stream, structured,
                               tokenizer, twins)
from relaycheck.targets import Target

PROBE_ORDER = ("root", "balance", "chat", "stream", "tokenizer", "slope", "long", "params", "structured", "context", "twins", "reliability", "errors",
               "burst", "cache")


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


def plan_target(target: Target, check_ids: tuple[str, ...]) -> TargetPlan:
    """Derive the probes from the selected checks; ceilings come from each probe's own cost()."""
    impls = registry()
    needed = {p for cid in check_ids for p in impls[cid].probes}
    costs: list[tuple[str, str | None, ProbeCost]] = []
    if "root" in needed:
        costs.append(("root", None, root.cost("")))
    if "balance" in needed and target.billing is not None:
        costs.append(("balance", None, balance.cost(target.billing)))
    for i, model in enumerate(target.models):
        if "chat" in needed:
            costs.append(("chat", model, chat.cost(model, discover_auth=(i == 0))))
        if "stream" in needed:
            costs.append(("stream", model, stream.cost(model)))
        if "tokenizer" in needed:
            costs.append(("tokenizer", model, tokenizer.cost(model)))
        if "slope" in needed:
            costs.append(("slope", model, slope.cost(model)))
        if "long" in needed:
            costs.append(("long", model, long.cost(model, target.long_reply_tokens)))
        if "params" in needed:
            costs.append(("params", model, params.cost(model)))
        if "structured" in needed:
            costs.append(("structured", model, structured.cost(model)))
        if "context" in needed:
            costs.append(("context", model, context.cost(model, target.context_depths)))
        if "twins" in needed and len(target.models) > 1:
            costs.append(("twins", model, twins.cost(model)))
    first = target.models[0]
    if "reliability" in needed:
        costs.append(("reliability", first, reliability.cost(first)))
    if "errors" in needed:
        costs.append(("errors", first, errors.cost(first, with_empty_key=target.empty_key_env is not None)))
    if "burst" in needed and target.rate_limit_probe is not None:
        costs.append(("burst", first, burst.cost(first, target.rate_limit_probe)))
    if "cache" in needed:
        costs.append(("cache", first, cache.cost(first, target.billing)))
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

def per_model(check_id: str) -> bool:
    """Whether a check runs once per configured model."""
    return catalog.load().get(check_id).per_model
