"""models.behaviour's statistics: each factor has mean exactly 1 under H0, the audit is a test martingale whose
false-accusation rate stays under alpha over simulated honest audits, and a full substitution is caught early."""

from __future__ import annotations

import importlib.util
import itertools
import random
import statistics
import sys
from pathlib import Path

import pytest

from relaycheck.core import sequential as sq

ROOT = Path(__file__).resolve().parent.parent


def _simulation():
    spec = importlib.util.spec_from_file_location("behaviour_benchmark", ROOT / "benchmarks" / "behaviour.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    finally:
        sys.path[:] = saved  # the script puts the checkout first for its own command line; the suite keeps its own
    return module


SIM = _simulation()


@pytest.mark.parametrize("bag", [("a", "a", "a", "b"), ("a", "b", "c", "d", "e"), ("x",), ("a", "a", "b", "b", "c", "c", "c", "c", "d")])
@pytest.mark.parametrize("history", [({}, {}), ({"a": 5, "z": 2}, {}), ({"a": 1}, {"b": 3, "q": 1})])
def test_each_factor_has_mean_exactly_one_when_the_relays_answer_is_any_member_of_the_bag(bag, history):
    # Exchangeability: under H0 the relay's answer is equally likely to be any of the k + 1 members of the bag.
    earlier_reference, earlier_relay = history
    factors = [sq.factor(bag[:i] + bag[i + 1:], bag[i], earlier_reference, earlier_relay) for i in range(len(bag))]
    assert statistics.fmean(factors) == pytest.approx(1.0, abs=1e-12)
    assert all(f > 0 for f in factors)


def test_a_novel_answer_gains_and_the_reference_favourite_loses():
    block = ["37"] * 6 + ["86"] * 3 + ["5"]
    novel = sq.factor(block, "50", {}, {})
    assert novel == pytest.approx(11 * (1 / 1.5) / (6 / 6.5 * 1 + 3 / 3.5 + 1 / 1.5 + 1 / 1.5))  # (k + 1) w(s) / sum of w over the bag
    assert novel > 2 and sq.factor(block, "37", {}, {}) < 1
    assert sq.factor(block, "50", {}, {"50": 2}) > novel  # a relay that repeats its favourite bets more on it


def test_the_reference_is_cut_into_disjoint_blocks_by_the_seed_alone():
    counts = {"red": 20, "blue": 15, "green": 7}
    cut = sq.blocks(counts, 4, seed=11, prompt_id="colour-en-1")
    assert [len(b) for b in cut] == [10] * 4  # 42 // 4, two answers left unused
    pooled = [x for b in cut for x in b]
    assert all(pooled.count(c) <= n for c, n in counts.items())  # a partition of (part of) the multiset
    assert cut == sq.blocks(dict(reversed(list(counts.items()))), 4, seed=11, prompt_id="colour-en-1")  # not the dict's order
    assert cut != sq.blocks(counts, 4, seed=12, prompt_id="colour-en-1")
    assert sq.blocks({"red": 2}, 4, seed=1, prompt_id="p") == []  # too thin for four blocks


def test_active_prompts_drop_thin_references_and_spread_the_budget():
    thick = {f"p{i}": {"a": 30, "b": 20} for i in range(12)}
    assert sq.active_prompts(thick, list(thick), 60) == tuple(thick)
    assert sq.rounds_for(60, 12) == 5 and sq.rounds_for(61, 12) == 6 and sq.rounds_for(60, 0) == 0
    thin = {**thick, "p3": {"a": 10}}  # 10 // 5 = 2 < MIN_BLOCK
    assert "p3" not in sq.active_prompts(thin, list(thin), 60)
    assert sq.active_prompts({"p": {"a": 2}}, ["p"], 60) == ()


def test_the_audit_is_prefix_consistent_and_stops_on_overwhelming_evidence():
    reference = {p: {"a": 40, "b": 10} for p in ("p1", "p2")}
    answers = {"p1": ["z", "z", None, "z", "z"], "p2": ["y", "y", "y", "y", "y"]}
    full = sq.audit(reference, answers, ["p1", "p2"], rounds=5, seed=3, alpha=0.01)
    assert full.rejected and full.crossed_at is not None and full.crossed_at < len(full.steps)
    assert full.max_e_value >= full.threshold == 100.0
    assert [s.prompt_id for s in full.steps[:4]] == ["p1", "p2", "p1", "p2"]  # round by round, prompts in order
    assert len(full.steps) == 9  # the unusable answer adds nothing
    for cut in range(1, 5):
        prefix = sq.audit(reference, {k: v[:cut] for k, v in answers.items()}, ["p1", "p2"], 5, 3, 0.01)
        assert prefix.steps == full.steps[: len(prefix.steps)]  # what the probe saw when it stopped, the check sees again
    honest = sq.audit(reference, {"p1": ["a", "b", "a", "a", "a"], "p2": ["a", "a", "b", "a", "a"]}, ["p1", "p2"], 5, 3, 0.01)
    assert not honest.rejected and honest.crossed_at is None and honest.max_e_value < 100


def test_the_martingale_averages_its_betting_fractions():
    reference = {"p": {"a": 30, "b": 30}}
    result = sq.audit(reference, {"p": ["c"]}, ["p"], rounds=3, seed=5, alpha=0.05)
    e = result.steps[0].factor
    assert result.e_value == pytest.approx(statistics.fmean(1 - lam + lam * e for lam in sq.LAMBDAS))


def test_honest_audits_are_accused_at_most_alpha_of_the_time():
    # 300 seeded honest audits (a reference of 50 answers per prompt, the default budget of 60 requests).
    assert SIM.honest_rate(300, seed=101, alpha=0.01) <= 0.01
    # A looser alpha is where the bound has room to show: still at most alpha.
    assert SIM.honest_rate(300, seed=202, alpha=0.2) <= 0.2


def test_a_full_substitution_is_caught_within_forty_requests_on_average():
    outcomes = SIM.substitution(150, seed=303)
    assert all(o.rejected for o in outcomes)
    mean = statistics.mean(o.requests for o in outcomes)
    assert mean <= 40 and max(o.requests for o in outcomes) <= 60
    # The other way round too (the cheaper model enrolled, the dearer one served).
    reverse = SIM.substitution(50, seed=304, pair=(SIM.CHEAPER, SIM.HONEST))
    assert all(o.rejected for o in reverse) and statistics.mean(o.requests for o in reverse) <= 40


def _plug_in_accuses(rng: random.Random, alpha: float) -> bool:
    """A plug-in test that treats the reference's frequencies as the truth: invalid, as the module docstring says."""
    reference = SIM.reference_sample(rng, SIM.HONEST, 50)
    wealth = 1.0
    for prompt in SIM.ref.PROMPTS[:12]:
        counts = reference.counts[prompt.id]
        total = sum(counts.values())
        seen: dict[str, int] = {}
        for answer in SIM._draw(rng, SIM.HONEST, prompt, 5):
            p_ref = (counts.get(answer, 0) + 0.01) / (total + 0.01 * 100)
            q = (seen.get(answer, 0) + 1) / (sum(seen.values()) + 5)
            wealth *= 0.5 + 0.5 * q / p_ref
            seen[answer] = seen.get(answer, 0) + 1
            if wealth >= 1 / alpha:
                return True
    return False


def test_a_plug_in_of_the_reference_counts_would_accuse_honest_relays():
    # Why the construction pays for the reference's finiteness: the same honest audits, judged by a plug-in
    # likelihood ratio, are accused far more often than alpha.
    rng = random.Random(7)
    rate = statistics.fmean(_plug_in_accuses(rng, 0.01) for _ in range(200))
    assert rate > 0.05


def test_the_simulation_uses_the_probes_own_plan():
    spec = SIM.BehaviourSpec(SIM.reference_sample(random.Random(1), SIM.HONEST, 50), "s", 0.01, 60, 9)
    chosen, rounds = SIM.probe.plan(spec)
    assert len(chosen) == 12 and rounds == 5 and len(SIM.probe.slots(spec)) == 60
    assert list(itertools.islice((p.id for _, p in SIM.probe.slots(spec)), 12)) == [p.id for p in chosen]
