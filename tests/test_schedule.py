"""The plan's structure that keeps a run near its critical path: independent probes together, dependent ones in order."""

from __future__ import annotations

from dataclasses import replace

from conftest import run_probe

from relaycheck.core import checklist
from relaycheck.demo.server import DemoRelay
from relaycheck.run.plan import plan_target
from relaycheck.run.schedule import Job, schedule
from relaycheck.config.targets import RateLimitProbe, Target

MODELS = ("gpt-4o-mini", "gpt-4o")


def _target(**extra) -> Target:
    return Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=MODELS, **extra)


def test_the_full_plan_has_dependent_stages_in_order_and_the_rest_together():
    target = _target(billing="auto", rate_limit_probe=RateLimitProbe(10, 2))
    stages = schedule(plan_target(target, checklist.load().select("full")))
    assert [s.name for s in stages] == ["root", "balance before", "auth", "probes", "burst", "balance after"]
    assert all(len(s.jobs) == 1 for s in stages if s.name != "probes")  # each dependent step is a single job
    together = set(next(s for s in stages if s.name == "probes").jobs)
    expected = {Job("chat", "gpt-4o"), Job("errors", "gpt-4o-mini")}
    expected |= {Job(p, m) for p in ("stream", "tokenizer", "slope", "long", "limits", "integrity") for m in MODELS}
    assert together == expected  # every independent probe of every model in one concurrent stage


def test_opt_ins_and_profiles_only_add_the_stages_they_need():
    quick = schedule(plan_target(_target(), checklist.load().select("quick")))
    assert [s.name for s in quick] == ["root", "auth", "probes"]
    assert {j.probe for j in quick[-1].jobs} == {"chat", "stream", "errors"}
    no_opt_ins = schedule(plan_target(_target(), checklist.load().select("full")))
    assert [s.name for s in no_opt_ins] == ["root", "auth", "probes"]


def test_the_deep_plan_puts_twins_with_the_rest_and_the_cache_pair_alone_after_the_bill():
    two_vendors = replace(_target(billing="auto"), models=("gpt-4o-mini", "claude-sonnet-4-5"))
    stages = schedule(plan_target(two_vendors, checklist.load().select("deep")))
    names = [s.name for s in stages]
    assert names[-2:] == ["balance after", "cache"]  # its balance reads must see no other request
    assert stages[-1].jobs == (Job("cache", "gpt-4o-mini"),)
    parallel = next(s for s in stages if s.name == "probes").jobs
    assert {Job("twins", "gpt-4o-mini"), Job("twins", "claude-sonnet-4-5")} <= set(parallel)
    one_model = schedule(plan_target(replace(_target(), models=("gpt-4o-mini",)), checklist.load().select("deep")))
    assert not any(j.probe == "twins" for s in one_model for j in s.jobs)  # nothing to compare with one model
    assert one_model[-1].name == "cache"


def test_a_run_follows_the_schedule(tmp_path):
    # Ordering, not timing: every request of a stage starts after the previous stage's last one was recorded,
    # and the concurrent stage really had several requests in flight at once (never more than the cap).
    with DemoRelay(key="schedule-key-1234") as relay:
        run = run_probe(tmp_path, env={"K": "schedule-key-1234"}, base_url=relay.base_url, models=MODELS, api_key_env="K",
                        concurrency=3)
        peak = relay.max_in_flight
    exchanges = run.report["targets"][0]["exchanges"]
    order = {x["id"]: i for i, x in enumerate(exchanges)}
    by_probe: dict[str, list[int]] = {}
    for x in exchanges:
        key = "auth" if x["probe"] == "chat" and x["model"] == MODELS[0] else x["probe"]  # discovery runs on the first model
        by_probe.setdefault(key, []).append(order[x["id"]])
    assert max(by_probe["root"]) < min(by_probe["auth"]) <= max(by_probe["auth"])
    concurrent = [i for p in ("chat", "stream", "tokenizer", "slope", "long", "limits", "integrity", "errors") for i in by_probe.get(p, [])]
    assert max(by_probe["auth"]) < min(concurrent)
    assert peak == 3  # the cap was reached by independent probes, and not exceeded


def test_the_deep_plan_lists_and_schedules_every_probe_in_its_declared_place():
    # Pinned from before the probe registry: the plan's listing (target-level, each model's, then the first model's)
    # and the concurrent stage's "longest first" order, which the semaphore turns into the critical path.
    target = replace(_target(billing="auto", rate_limit_probe=RateLimitProbe(10, 2)), models=("gpt-4o-mini", "claude-sonnet-4-5"))
    plan = plan_target(target, checklist.load().select("deep"))
    each = ("chat", "stream", "tokenizer", "slope", "long", "params", "structured", "context", "twins", "limits", "integrity", "triggers")
    m1, m2 = target.models
    listed = [("root", None), ("balance", None), *((p, m1) for p in each), *((p, m2) for p in each),
              ("reliability", m1), ("errors", m1), ("burst", m1), ("cache", m1)]
    assert [(s.probe, s.model) for s in plan.steps] == listed
    stages = schedule(plan)
    assert [s.name for s in stages] == ["root", "balance before", "auth", "probes", "burst", "balance after", "cache"]
    assert [s.jobs for s in stages if s.name != "probes"] == [
        (Job("root"),), (Job("balance", step="before"),), (Job("chat", m1, step="auth"),), (Job("burst", m1),), (Job("balance", step="after"),),
        (Job("cache", m1),)]
    longest_first = ("long", "context", "stream", "slope", "tokenizer", "params", "structured", "twins")
    concurrent = [Job(p, m) for p in longest_first for m in target.models] + [Job("chat", m2), Job("reliability", m1), Job("errors", m1)]
    concurrent += [Job("limits", m) for m in target.models]  # one request each, and none for a model the catalogue lacks
    concurrent += [Job(p, m) for p in ("integrity", "triggers") for m in target.models]  # short asks, last
    assert list(next(s for s in stages if s.name == "probes").jobs) == concurrent
    assert [s.concurrent for s in stages] == [s.name == "probes" for s in stages]
