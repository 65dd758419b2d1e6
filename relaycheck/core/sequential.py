"""A sequential two-sample test: does a relay answer like the reference sample, or like another model?

The question. A reference holds, per categorical prompt, m answers a trusted endpoint gave (relaycheck.core.reference).
The relay is asked the same prompts one request at a time. H0 ("the relay serves the reference's model"): for
each prompt, the relay's answers and the reference's answers are independent draws from one distribution P, which
nobody knows. The reference is itself a finite sample of P, so a test that treated its frequencies as P (a
plug-in likelihood ratio) would accuse an honest relay whenever it says something the reference happened to see
rarely or never: its false-accusation rate is not bounded by anything.

The construction (exchangeability, no estimate of P is trusted).
1. Before any answer is seen, each prompt's reference answers are shuffled with the run's seed and cut into
   `rounds` disjoint blocks of k = m // rounds answers. Under H0 the shuffled reference is an i.i.d. sample of P,
   so each block is k fresh i.i.d. draws of P, independent of every other block and of the relay.
2. The relay's t-th usable answer s to a prompt joins that prompt's t-th block: a bag B of k + 1 answers. Under
   H0 the k + 1 answers are i.i.d., hence exchangeable: whatever P is, s is equally likely to be any of the k + 1
   members of B (ties counted with multiplicity), given B and everything that came before.
3. Any positive weight w(x), fixed before s is known (from earlier blocks, earlier relay answers and the bag B as
   an unordered multiset), gives the factor  e = (k + 1) w(s) / sum over z in B of w(z),  whose mean under H0 is
   exactly 1: averaging over which member of B is the relay's gives (k + 1) * (1 / (k + 1)) = 1. The weight bets
   on answers the reference rarely gives (w ∝ 1 / (earlier reference count + count in B + 1/2)) and, once the
   relay has repeated itself, on the answers it favours (times (relay's earlier count + BETA)).
4. The factors, in a fixed order (round by round, prompts in catalogue order), multiply into a nonnegative
   martingale with mean 1 under H0, whatever P is. Each of a few betting fractions λ gives the martingale
   Π (1 − λ + λ e); their average is one too (a test martingale). By Ville's inequality, the probability that it
   EVER reaches 1 / alpha is at most alpha. So the test may look after every answer and stop as soon as it
   crosses (optional stopping is free), and "reject H0" is a false accusation with probability at most alpha.

What it costs: the reference is used up (each reference answer is compared once), so a reference of m answers per
prompt supports `rounds` relay answers per prompt with blocks of m // rounds; more reference answers make each
comparison sharper. What it buys: a substituted model whose favourite answers the reference rarely gives
multiplies the martingale by about (k + 1) / (distinct answers in the bag) per answer, so a full substitution is
caught in a few dozen one-token requests; a relay that serves the claimed model is accused with probability at
most alpha, at any stopping point, for any P, with a finite reference. Everything here is pure: the same inputs
(reference counts, the relay's answers in order, the seed) give the same verdict, so anyone can recompute it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping, Sequence

LAMBDAS = (0.25, 0.5, 0.75, 1.0)  # betting fractions; the test martingale is their average
BETA = 1.0  # prior weight of "any answer" against the relay's own earlier answers
SMOOTH = 0.5  # added to every reference count in the weight's denominator
MIN_BLOCK = 3  # reference answers per block below which a prompt is not asked (its comparisons say too little)


def block_size(reference_usable: int, rounds: int) -> int:
    """Reference answers per block when a prompt's reference is cut for `rounds` relay answers."""
    return reference_usable // rounds if rounds > 0 else 0


def blocks(counts: Mapping[str, int], rounds: int, seed: int, prompt_id: str) -> list[list[str]]:
    """The reference answers shuffled with the run's seed and cut into `rounds` blocks of equal size.

    The shuffle uses only the seed (chosen before any answer is seen), never the answers, so that each block is an
    i.i.d. sample under H0. The order before shuffling is sorted, so the same counts and seed give the same blocks.
    """
    pool = [answer for answer, n in sorted(counts.items()) for _ in range(n)]
    random.Random(f"relaycheck-behaviour:{seed}:{prompt_id}").shuffle(pool)
    k = block_size(len(pool), rounds)
    return [pool[i * k:(i + 1) * k] for i in range(rounds)] if k else []


def factor(bag_reference: Sequence[str], answer: str, earlier_reference: Mapping[str, int], earlier_relay: Mapping[str, int]) -> float:
    """The e-factor of one relay answer against one fresh reference block (mean exactly 1 under H0).

    The weight w(x) = (earlier relay count of x + BETA) / (earlier reference count of x + count of x in the bag +
    SMOOTH) is symmetric in the bag, so it does not know which member is the relay's.
    """
    bag: dict[str, int] = {}
    for x in (*bag_reference, answer):
        bag[x] = bag.get(x, 0) + 1

    def weight(x: str) -> float:
        return (earlier_relay.get(x, 0) + BETA) / (earlier_reference.get(x, 0) + bag[x] + SMOOTH)

    total = sum(n * weight(x) for x, n in bag.items())
    return (len(bag_reference) + 1) * weight(answer) / total


@dataclass(frozen=True)
class Step:
    """One usable relay answer as the test read it."""

    prompt_id: str
    index: int  # its place among that prompt's requests (0-based, unusable ones counted)
    answer: str
    factor: float
    e_value: float  # the test martingale after it


@dataclass(frozen=True)
class Audit:
    """The test's path over the relay's answers and its decision."""

    steps: tuple[Step, ...]
    alpha: float
    rounds: int
    block_sizes: dict[str, int]

    @property
    def threshold(self) -> float:
        """1 / alpha: the martingale reaches it with probability at most alpha under H0."""
        return 1.0 / self.alpha

    @property
    def e_value(self) -> float:
        """The martingale after the last answer (1 before any)."""
        return self.steps[-1].e_value if self.steps else 1.0

    @property
    def max_e_value(self) -> float:
        """The highest value it reached."""
        return max((s.e_value for s in self.steps), default=1.0)

    @property
    def rejected(self) -> bool:
        """H0 rejected: at some point the martingale reached 1 / alpha."""
        return self.crossed_at is not None

    @property
    def crossed_at(self) -> int | None:
        """How many usable answers it had read when it first reached 1 / alpha (None: never)."""
        return next((i + 1 for i, s in enumerate(self.steps) if s.e_value >= self.threshold), None)


def audit(
    reference: Mapping[str, Mapping[str, int]], answers: Mapping[str, Sequence[str | None]], order: Sequence[str],
    rounds: int, seed: int, alpha: float,
) -> Audit:
    """Run the test over the relay's answers (per prompt, in request order; None for an unusable answer).

    Answers are read round by round, prompts in `order`; the t-th usable answer to a prompt meets that prompt's
    t-th reference block. A prompt without blocks (too small a reference) and answers past the last block add nothing.
    """
    cut = {pid: blocks(reference.get(pid, {}), rounds, seed, pid) for pid in order}
    sizes = {pid: len(b[0]) if b else 0 for pid, b in cut.items()}
    used = {pid: 0 for pid in order}
    seen_reference: dict[str, dict[str, int]] = {pid: {} for pid in order}
    seen_relay: dict[str, dict[str, int]] = {pid: {} for pid in order}
    wealth = {lam: 1.0 for lam in LAMBDAS}
    steps: list[Step] = []
    longest = max((len(answers.get(pid, ())) for pid in order), default=0)
    for index in range(longest):
        for pid in order:
            given = answers.get(pid, ())
            if index >= len(given) or given[index] is None or sizes[pid] < MIN_BLOCK or used[pid] >= len(cut[pid]):
                continue
            answer = str(given[index])
            block = cut[pid][used[pid]]
            e = factor(block, answer, seen_reference[pid], seen_relay[pid])
            for lam in LAMBDAS:
                wealth[lam] *= 1.0 - lam + lam * e
            used[pid] += 1
            for x in block:
                seen_reference[pid][x] = seen_reference[pid].get(x, 0) + 1
            seen_relay[pid][answer] = seen_relay[pid].get(answer, 0) + 1
            steps.append(Step(pid, index, answer, e, sum(wealth.values()) / len(wealth)))
    return Audit(tuple(steps), alpha, rounds, sizes)


def rounds_for(requests: int, prompts: int) -> int:
    """Relay answers per prompt a budget of `requests` allows (each round asks every prompt once)."""
    return -(-requests // prompts) if prompts else 0


def active_prompts(reference: Mapping[str, Mapping[str, int]], order: Sequence[str], requests: int) -> tuple[str, ...]:
    """The prompts worth asking: those whose reference gives blocks of at least MIN_BLOCK answers for the budget.

    The budget is spread over the prompts first; a prompt dropped for a thin reference leaves its share to the rest.
    """
    chosen = tuple(order)
    while chosen:
        rounds = rounds_for(requests, len(chosen))
        kept = tuple(pid for pid in chosen if block_size(sum(reference.get(pid, {}).values()), rounds) >= MIN_BLOCK)
        if kept == chosen:
            return chosen
        chosen = kept
    return ()
