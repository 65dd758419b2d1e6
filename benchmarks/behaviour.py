"""models.behaviour in simulation: false accusations of honest relays, and requests to catch a substitution.

Pure Python, no HTTP: the demo relay's own answer distributions (relaycheck.demo.model.categorical_distribution)
stand in for the trusted endpoint and the relay; the reference, the probe's prompts, rounds and waves, and the test
are relaycheck's own (relaycheck.probes.behaviour, relaycheck.core.sequential). tests/test_behaviour_stats.py runs
the same simulation, seeded, with fewer audits.

    python benchmarks/behaviour.py                  # 2,000 honest audits per alpha, 500 per substitution
    python benchmarks/behaviour.py --audits 300     # quicker
"""

from __future__ import annotations

import argparse
import functools
import itertools
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relaycheck.core import reference as ref  # noqa: E402
from relaycheck.core.reference import BehaviourSpec, Reference  # noqa: E402
from relaycheck.demo.model import categorical_distribution  # noqa: E402
from relaycheck.probes import behaviour as probe  # noqa: E402

HONEST, CHEAPER = "gpt-4.1-mini", "gpt-4o-mini"


@functools.lru_cache(maxsize=None)
def _options(model: str, prompt: ref.CategoricalPrompt) -> tuple[tuple[str | None, ...], tuple[float, ...]]:
    """The model's answers to a prompt, already normalised as relaycheck reads them, and their weights."""
    options = categorical_distribution(model, prompt.id, prompt.kind, prompt.lang)
    return tuple(ref.normalise(prompt.kind, o) for o, _ in options), tuple(itertools.accumulate(w for _, w in options))


def _draw(rng: random.Random, model: str, prompt: ref.CategoricalPrompt, n: int) -> list[str | None]:
    answers, cumulative = _options(model, prompt)
    return rng.choices(answers, cum_weights=cumulative, k=n)


def reference_sample(rng: random.Random, model: str, samples: int) -> Reference:
    """What `relaycheck enroll --samples N` would record from an endpoint serving `model`."""
    counts: dict[str, dict[str, int]] = {}
    for prompt in ref.PROMPTS:
        found: dict[str, int] = {}
        for answer in _draw(rng, model, prompt, samples):
            if answer is not None:
                found[answer] = found.get(answer, 0) + 1
        counts[prompt.id] = found
    return Reference(model, "2026-01-01T00:00:00Z", "simulated", samples, counts, {p.id: 0 for p in ref.PROMPTS})


@dataclass(frozen=True)
class Outcome:
    """One simulated audit: whether the test rejected, and how many requests the probe had sent by then."""

    rejected: bool
    requests: int


def audit(rng: random.Random, reference_model: str, relay_model: str, samples: int = 50, requests: int = 60, alpha: float = 0.01,
          share: float = 1.0, width: int = probe.WAVE) -> Outcome:
    """Enrol `reference_model`, then audit a relay that answers with `relay_model` on a `share` of its requests.

    The probe asks in waves of `width` and stops at the end of the first wave after which the test rejects; the
    test is prefix-consistent, so that is the wave holding the answer where the martingale first crossed 1/alpha.
    """
    spec = BehaviourSpec(reference_sample(rng, reference_model, samples), "simulated", alpha, requests, rng.getrandbits(62))
    todo = probe.slots(spec)
    found: dict[str, list[str | None]] = {p.id: [] for p in probe.plan(spec)[0]}
    for _, prompt in todo:
        model = relay_model if rng.random() < share else reference_model
        found[prompt.id].append(_draw(rng, model, prompt, 1)[0])
    result = probe.judge(found, spec)
    if not result.rejected:
        return Outcome(False, len(todo))
    order = [p.id for p in probe.plan(spec)[0]]
    crossing = result.steps[result.crossed_at - 1]
    position = crossing.index * len(order) + order.index(crossing.prompt_id) + 1
    width = max(1, min(width, len(order)))
    return Outcome(True, min(-(-position // width) * width, len(todo)))


def honest_rate(audits: int, seed: int, alpha: float = 0.01, samples: int = 50, requests: int = 60) -> float:
    """Share of honest audits (the relay serves the reference's model) that were accused."""
    rng = random.Random(seed)
    return sum(audit(rng, HONEST, HONEST, samples, requests, alpha).rejected for _ in range(audits)) / audits


def substitution(audits: int, seed: int, samples: int = 50, requests: int = 60, share: float = 1.0,
                 pair: tuple[str, str] = (HONEST, CHEAPER)) -> list[Outcome]:
    """Audits of a relay serving the cheaper model under the claimed name on a `share` of requests."""
    rng = random.Random(seed)
    return [audit(rng, pair[0], pair[1], samples, requests, share=share) for _ in range(audits)]


def _summary(outcomes: list[Outcome]) -> str:
    caught = [o.requests for o in outcomes if o.rejected]
    if not caught:
        return f"caught 0 of {len(outcomes)}"
    return (f"caught {len(caught)} of {len(outcomes)} ({len(caught) / len(outcomes):.1%}); requests to catch: mean {statistics.mean(caught):.1f}, "
            f"median {statistics.median(caught):.0f}, max {max(caught)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=2000, help="honest audits per alpha (substitution runs a quarter as many)")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"models.behaviour simulation: {len(ref.PROMPTS)} prompts, reference of 50 answers per prompt, budget 60 requests, waves of {probe.WAVE}")
    for alpha in (0.01, 0.05, 0.2):
        rate = honest_rate(args.audits, args.seed, alpha)
        print(f"honest relay, alpha {alpha:g}: accused in {rate:.2%} of {args.audits} audits (bound {alpha:.0%})")
    quarter = max(args.audits // 4, 50)
    for samples in (20, 50, 100):
        print(f"full substitution ({HONEST} served by {CHEAPER}), reference of {samples}: {_summary(substitution(quarter, args.seed, samples))}")
    print(f"full substitution ({CHEAPER} served by {HONEST}), reference of 50: "
          f"{_summary(substitution(quarter, args.seed, pair=(CHEAPER, HONEST)))}")
    for share, budget in ((0.5, 60), (0.2, 60), (0.2, 240)):
        outcomes = substitution(quarter, args.seed, samples=max(50, budget // 12 * 10), requests=budget, share=share)
        print(f"partial substitution, {share:.0%} of requests, budget {budget}: {_summary(outcomes)}")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
