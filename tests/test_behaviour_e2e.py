"""models.behaviour end to end on 127.0.0.1: enrol from the fault-free demo relay, then `probe --reference` passes
the fault-free relay and fails `--demo --fault sibling_rewrite` (gpt-4o-mini served as gpt-4.1-mini) within the
default budget."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import run_probe, verdicts
from relaycheck.cli import app
from relaycheck.core import reference as ref
from relaycheck.demo.behaviour import Behaviour
from relaycheck.demo.faults import Fault
from relaycheck.demo.server import DemoRelay

KEY = "sk-enrol-trusted-0123456789"
MODEL = "gpt-4.1-mini"
# The fault-free relay, answering at once and without the demo's 20 requests per second (enrolment asks 480 times).
UNHURRIED = Fault("unhurried", "the fault-free demo relay without its rate limit", behaviour=Behaviour(rate_limit=100_000))


@pytest.fixture(scope="module")
def trusted():
    with DemoRelay(key=KEY, fault=UNHURRIED, ttft_ms=0, token_ms=0) as relay:
        yield relay


@pytest.fixture(scope="module")
def enrolled(trusted, tmp_path_factory):
    path = tmp_path_factory.mktemp("enrol") / "ref.json"
    result = CliRunner().invoke(app, ["enroll", "--base-url", trusted.base_url, "--model", MODEL, "--output", str(path), "--api-key-env", "K",
                                      "--samples", "40", "--seed", "11", "--concurrency", "8"], env={"K": KEY})
    assert result.exit_code == 0, result.stderr
    return path, result


def test_enrolment_writes_a_versioned_reference_with_counts_and_no_key(enrolled):
    path, result = enrolled
    text = path.read_text(encoding="utf-8")
    assert KEY not in text and KEY not in result.stderr and KEY not in result.stdout
    doc = json.loads(text)
    assert (doc["format"], doc["version"], doc["model"], doc["host"], doc["samples_per_prompt"]) == (ref.FORMAT, 1, MODEL, "127.0.0.1", 40)
    assert doc["enrolled_at"].endswith("Z")
    assert [p["id"] for p in doc["prompts"]] == [p.id for p in ref.PROMPTS]
    for prompt in doc["prompts"]:
        assert sum(prompt["counts"].values()) + prompt["unusable"] == 40
        assert len(prompt["counts"]) >= 2 or prompt["kind"] == "coin"  # sampled at temperature 1, not one fixed answer
    assert "480 usable answers" in result.stderr and str(path) in result.stderr
    assert ref.load(path).model == MODEL


def test_the_demo_reference_is_what_enrolment_through_http_records(enrolled):
    from relaycheck.demo.model import demo_reference

    path, _ = enrolled
    assert demo_reference(MODEL, 40, 11).counts == ref.load(path).counts  # the seeded demo answers alike in-process and over HTTP


def test_the_fault_free_relay_passes_after_the_whole_budget(trusted, enrolled, tmp_path):
    path, _ = enrolled
    run = run_probe(tmp_path, env={"K": KEY}, base_url=trusted.base_url, models=(MODEL,), api_key_env="K", reference=path,
                    only=("models.behaviour",), behaviour_seed=5)
    assert run.code == 0, run.stderr
    check = next(c for c in run.report["targets"][0]["checks"] if c["id"] == "models.behaviour")
    assert check["status"] == "pass", check["summary"]
    assert check["metrics"]["requests"] == check["metrics"]["budget"] == 60 and check["metrics"]["usable_answers"] == 60
    asked = [x for x in run.report["targets"][0]["exchanges"] if x["probe"] == "behaviour"]
    assert len(asked) == 60 and len({json.dumps(x["request"]) for x in asked}) == 60  # one seed per request: no two alike


def test_sibling_rewrite_fails_within_the_default_budget(enrolled, tmp_path):
    path, _ = enrolled
    run = run_probe(tmp_path, demo=True, fault="sibling_rewrite", reference=path, only=("models.behaviour",), behaviour_seed=5)
    assert run.code == 1, run.stderr
    assert verdicts(run.report) == {("models.behaviour", MODEL): "fail"}
    check = run.report["targets"][0]["checks"][0]
    assert check["metrics"]["requests"] < 60 and check["metrics"]["max_e_value"] >= 100  # stopped early: decided
    assert check["evidence"] and all(x["model"] == MODEL for x in run.report["targets"][0]["exchanges"])


def test_a_model_without_a_reference_is_skipped_and_a_reference_of_another_model_refused(enrolled, tmp_path):
    path, _ = enrolled
    run = run_probe(tmp_path, demo=True, models=(MODEL, "gpt-4o-mini"), reference=path, only=("models.behaviour",), behaviour_requests=12,
                    behaviour_seed=1)
    found = verdicts(run.report)
    assert found[("models.behaviour", "gpt-4o-mini")] == "skip" and found[("models.behaviour", MODEL)] in ("pass", "inconclusive")
    with pytest.raises(Exception, match="enrolled for gpt-4.1-mini"):
        run_probe(tmp_path, demo=True, models=("gpt-4o-mini",), reference=path, dry_run=True)


def test_enrolment_against_a_refusing_endpoint_writes_nothing(trusted, tmp_path):
    path = tmp_path / "ref.json"
    result = CliRunner().invoke(app, ["enroll", "--base-url", trusted.base_url, "--model", MODEL, "--output", str(path), "--api-key-env", "K",
                                      "--samples", "2"], env={"K": "sk-wrong-key-0123456789"})
    assert result.exit_code == 1 and not path.exists()
    assert "enrolment failed" in result.stderr and "HTTP 401" in result.stderr and "sk-wrong-key" not in result.stderr
