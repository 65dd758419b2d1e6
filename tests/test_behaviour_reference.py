"""models.behaviour's parts: the prompts and their normalisation, the reference file, `reference:` in targets.yaml
and --reference (a bad file is one line and exit 2), the probe's requests and ceiling, the check's verdicts, and
the demo stand-in's model-specific answers."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from relaycheck.config.targets import load_targets
from relaycheck.core import reference as ref
from relaycheck.core.exits import UsageError
from relaycheck.core.reference import BehaviourSpec, Reference
from relaycheck.demo import model as stand_in
from relaycheck.probes import behaviour as probe
from test_checks_unit import TARGET, ex, verdict


def _reference(model: str = "gpt-4.1-mini", per_prompt: int = 50) -> Reference:
    counts = {}
    for p in ref.PROMPTS:
        options = stand_in.categorical_distribution(model, p.id, p.kind, p.lang)
        favourite, second = ref.normalise(p.kind, options[0][0]), ref.normalise(p.kind, options[1][0])
        counts[p.id] = {favourite: per_prompt * 3 // 5, second: per_prompt - per_prompt * 3 // 5}
    return Reference(model, "2026-12-01T00:00:00Z", "api.example", per_prompt, counts, {p.id: 0 for p in ref.PROMPTS})


def _write(tmp_path: Path, reference: Reference | None = None, name: str = "ref.json") -> Path:
    path = tmp_path / name
    path.write_text(ref.to_json(reference or _reference()), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind,text,category", [
    ("number", "42", "42"), ("number", " 42.\n", "42"), ("number", "I pick 42", "42"), ("number", "0", None), ("number", "101", None),
    ("number", "42 or 17", None), ("number", "", None), ("number", None, None), ("number", "４２", "42"),
    ("colour", "Blue.", "blue"), ("colour", "  **Teal**  ", "teal"), ("colour", "The colour I like is a deep ocean blue", None),
    ("coin", "Heads", "heads"), ("coin", "Tails!", "tails"), ("coin", "正面。", "正面"), ("animal", "An owl", "owl"),
    ("city", "New York", "new york"), ("city", "东京", "东京"), ("colour", "Blue\n\n——本回复由某某AI提供 https://relay.example/", "blue"),
    ("animal", "I'm sorry, I can't help with that request.", None),
])
def test_answers_are_normalised_to_one_category_or_none(kind, text, category):
    assert ref.normalise(kind, text) == category


def test_the_prompt_set_has_each_kind_in_english_and_chinese():
    assert len(ref.PROMPTS) == 12 and len(ref.BY_ID) == len(ref.BY_TEXT) == 12
    kinds = {(p.kind, p.lang) for p in ref.PROMPTS}
    assert kinds == {(k, lang) for k in ("number", "colour", "coin", "animal", "city") for lang in ("en", "zh")}


def test_the_reference_file_round_trips_and_carries_no_secret(tmp_path):
    original = _reference()
    path = _write(tmp_path, original)
    doc = json.loads(path.read_text())
    assert doc["format"] == ref.FORMAT and doc["version"] == ref.VERSION and doc["host"] == "api.example"
    assert set(doc) == {"format", "version", "model", "enrolled_at", "host", "samples_per_prompt", "prompts"}
    assert ref.load(path) == original


@pytest.mark.parametrize("change,problem", [
    (lambda d: d.update(format="other"), "format"),
    (lambda d: d.update(version=2), "version 2"),
    (lambda d: d["prompts"][0].update(text="Say a number."), "not one of this relaycheck's prompts"),
    (lambda d: d["prompts"][0].update(id="no-such-prompt"), "not one of this relaycheck's prompts"),
    (lambda d: d["prompts"][0]["counts"].update({"Blue!": 3}), "not a normalised answer"),
    (lambda d: d["prompts"][0]["counts"].update({"7": -1}), "not a normalised answer"),
    (lambda d: d["prompts"].append(dict(d["prompts"][0])), "appears twice"),
    (lambda d: d.update(prompts=[]), "non-empty list"),
    (lambda d: d.pop("model"), "model"),
])
def test_a_malformed_reference_is_one_usage_error_line(tmp_path, change, problem):
    doc = json.loads(ref.to_json(_reference()))
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        ref.load(path)
    assert problem in str(caught.value) and "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_missing_unreadable_and_non_json_references_are_usage_errors(tmp_path):
    for path, content in ((tmp_path / "missing.json", None), (tmp_path / "text.json", "not json {"), (tmp_path / "big.json", "x" * (ref.MAX_FILE_BYTES + 1))):
        if content is not None:
            path.write_text(content)
        with pytest.raises(UsageError):
            ref.load(path)


def _cli(*args: str):
    """The real command line, in-process (typer's runner): exit code, stdout and stderr apart."""
    from typer.testing import CliRunner

    from relaycheck.cli import app

    return CliRunner().invoke(app, list(args), env={"K": "sk-test-0123456789abcdef", "OPENAI_BASE_URL": ""})


def test_probe_with_a_bad_reference_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "relaycheck-behaviour-reference", "version": 1}')
    for path in (tmp_path / "missing.json", bad):
        run = _cli("probe", "--base-url", "http://127.0.0.1:9/v1", "-m", "gpt-4.1-mini", "--api-key-env", "K", "--reference", str(path), "--dry-run")
        assert run.exit_code == 2, run.stderr
        assert run.stderr.count("\n") == 1 and str(path) in run.stderr and "Traceback" not in run.stderr


def test_dry_run_shows_the_behaviour_probes_ceiling(tmp_path):
    run = _cli("probe", "--base-url", "http://127.0.0.1:9/v1", "-m", "gpt-4.1-mini", "--api-key-env", "K", "--reference", str(_write(tmp_path)),
               "--dry-run", "--format", "json")
    assert run.exit_code == 0, run.stderr
    steps = [s for s in json.loads(run.stdout)["targets"][0]["plan"]["steps"] if s["probe"] == "behaviour"]
    assert len(steps) == 1 and steps[0]["requests"] == 60 and steps[0]["completion_tokens"] == 60 * ref.VISIBLE_TOKENS
    without = _cli("probe", "--base-url", "http://127.0.0.1:9/v1", "-m", "gpt-4.1-mini", "--api-key-env", "K", "--dry-run", "--format", "json")
    assert not [s for s in json.loads(without.stdout)["targets"][0]["plan"]["steps"] if s["probe"] == "behaviour"]  # opt-in


def _targets(tmp_path: Path, reference: object, models: str = "[gpt-4.1-mini]") -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(f"targets:\n  - name: r\n    base_url: https://relay.example/v1\n    api_key_env: K\n    models: {models}\n"
                    f"    reference: {json.dumps(reference)}\n", encoding="utf-8")
    return path


def test_targets_yaml_takes_a_reference_relative_to_the_file(tmp_path):
    _write(tmp_path, name="mini.json")
    (target,) = load_targets(_targets(tmp_path, "mini.json"))
    assert target.reference is not None and target.reference.reference.model == "gpt-4.1-mini"
    assert (target.reference.alpha, target.reference.requests) == (0.01, 60)
    (tuned,) = load_targets(_targets(tmp_path, {"file": "mini.json", "alpha": 0.001, "requests": 120}))
    assert (tuned.reference.alpha, tuned.reference.requests) == (0.001, 120)


@pytest.mark.parametrize("reference,models,problem", [
    ("absent.json", "[gpt-4.1-mini]", "cannot read"),
    ({"file": "mini.json", "alpha": 0.9}, "[gpt-4.1-mini]", "alpha"),
    ({"file": "mini.json", "budget": 5}, "[gpt-4.1-mini]", "expected a file name"),
    ("mini.json", "[gpt-4o]", "enrolled for gpt-4.1-mini"),
])
def test_targets_yaml_reference_problems_are_usage_errors(tmp_path, reference, models, problem):
    _write(tmp_path, name="mini.json")
    with pytest.raises(UsageError) as caught:
        load_targets(_targets(tmp_path, reference, models))
    assert problem in str(caught.value)


def test_the_probe_asks_at_the_default_temperature_with_a_seed_per_request():
    body = probe.body("gpt-4.1-mini", ref.PROMPTS[0], 1234)
    assert "temperature" not in body and body["seed"] == 1234 and body["max_tokens"] == ref.VISIBLE_TOKENS
    assert probe.body("o4-mini", ref.PROMPTS[0], 1)["max_completion_tokens"] == ref.REASONING_BUDGET
    seeds = {probe.request_seed(5, p.id, i) for p in ref.PROMPTS for i in range(5)}
    assert len(seeds) == 60 and probe.request_seed(5, "a", 0) != probe.request_seed(6, "a", 0)
    spec = BehaviourSpec(_reference(), "ref.json", requests=60, seed=1)
    assert probe.cost("gpt-4.1-mini", spec).requests == 60 and probe.cost("openai/gpt-4.1-mini", spec).requests == 60
    assert probe.cost("gpt-4o-mini", spec).requests == 0  # another model of the target: nothing to compare with
    assert probe.cost("gpt-4.1-mini", None).requests == 0


def _asked(spec: BehaviourSpec, answer_for, model: str = "gpt-4.1-mini") -> list:
    """The exchanges the probe would record, each prompt answered by answer_for(prompt, index) (None: HTTP 500)."""
    found = []
    for n, (index, prompt) in enumerate(probe.slots(spec)):
        text = answer_for(prompt, index)
        request = probe.body(model, prompt, probe.request_seed(spec.seed, prompt.id, index))
        if text is None:
            found.append(ex(f"x{n + 1}", probe="behaviour", model=model, status=500, body={"error": {"message": "upstream down"}}, request=request))
            continue
        found.append(ex(f"x{n + 1}", probe="behaviour", model=model, request=request, label=probe.label(prompt, index),
                        body={"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}))
    return found


def _favourite(model: str):
    return lambda prompt, index: stand_in.categorical_distribution(model, prompt.id, prompt.kind, prompt.lang)[index % 2][0]


def test_the_check_skips_without_a_reference_or_for_another_model():
    assert verdict("models.behaviour", model="gpt-4.1-mini").status == "skip"
    target = replace(TARGET, models=("gpt-4.1-mini", "gpt-4o-mini"), reference=BehaviourSpec(_reference(), "ref.json"))
    assert verdict("models.behaviour", model="gpt-4o-mini", target=target).status == "skip"


def test_the_check_passes_the_reference_model_and_fails_another_keeping_every_count():
    spec = BehaviourSpec(_reference(), "ref.json", seed=3)
    target = replace(TARGET, models=("gpt-4.1-mini",), reference=spec)
    honest = verdict("models.behaviour", *_asked(spec, _favourite("gpt-4.1-mini")), model="gpt-4.1-mini", target=target)
    assert honest.status == "pass", honest.summary
    assert honest.metrics["usable_answers"] == 60 and honest.metrics["seed"] == 3 and honest.metrics["alpha"] == 0.01
    prompts = honest.metrics["prompts"]
    assert set(prompts) == set(ref.BY_ID) and prompts["coin-en-1"]["reference_counts"] == spec.reference.counts["coin-en-1"]
    assert len(prompts["coin-en-1"]["relay_answers"]) == 5
    other = _asked(spec, _favourite("gpt-4o-mini"))
    substituted = verdict("models.behaviour", *other, model="gpt-4.1-mini", target=target)
    assert substituted.status == "fail" and "gpt-4.1-mini" in substituted.summary
    assert substituted.metrics["max_e_value"] >= 100 and substituted.evidence and set(substituted.evidence) <= {x.id for x in other}
    # Recomputed from the metrics alone (the reference's counts, the relay's answers in order, the seed).
    from relaycheck.core.sequential import audit

    m = substituted.metrics
    again = audit({p: v["reference_counts"] for p, v in m["prompts"].items()}, {p: v["relay_answers"] for p, v in m["prompts"].items()},
                  [p.id for p in ref.PROMPTS], m["rounds"], m["seed"], m["alpha"])
    assert again.rejected and again.crossed_at == m["crossed_at_answer"]


def test_errors_and_an_unfinished_budget_are_inconclusive_never_a_pass():
    spec = BehaviourSpec(_reference(), "ref.json", seed=3)
    target = replace(TARGET, models=("gpt-4.1-mini",), reference=spec)
    honest = _favourite("gpt-4.1-mini")
    mostly_down = _asked(spec, lambda p, i: honest(p, i) if i == 0 else None)  # 12 of 60 usable
    v = verdict("models.behaviour", *mostly_down, model="gpt-4.1-mini", target=target)
    assert v.status == "inconclusive" and "12 of 60" in v.summary and v.evidence
    half = _asked(spec, honest)[:30]  # the budget was not spent (the run was cut short)
    assert verdict("models.behaviour", *half, model="gpt-4.1-mini", target=target).status == "inconclusive"
    refusals = _asked(spec, lambda p, i: "I'm sorry, but I can't pick one for you.")
    assert verdict("models.behaviour", *refusals, model="gpt-4.1-mini", target=target).status == "inconclusive"
    assert verdict("models.behaviour", model="gpt-4.1-mini", target=target).status == "inconclusive"


def test_the_demo_answers_categorical_prompts_from_each_models_own_distribution():
    prompt = ref.BY_ID["number-en-1"]
    draws = {m: Counter(stand_in.categorical_reply(m, prompt.text, 1.0, seed) for seed in range(400)) for m in ("gpt-4o-mini", "gpt-4.1-mini")}
    assert draws["gpt-4o-mini"].most_common(1) != draws["gpt-4.1-mini"].most_common(1)  # different favourites
    assert all(1 < len(c) for c in draws.values())  # sampled, not one fixed answer
    assert stand_in.categorical_reply("gpt-4o-mini", prompt.text, 1.0, 7) == stand_in.categorical_reply("gpt-4o-mini", prompt.text, 1.0, 7)
    top = max(stand_in.categorical_distribution("gpt-4o-mini", prompt.id, prompt.kind, prompt.lang), key=lambda o: o[1])[0]
    assert {stand_in.categorical_reply("gpt-4o-mini", prompt.text, 0.0, s) for s in range(20)} == {top}  # temperature 0: the favourite
    assert stand_in.categorical_reply("gpt-4o-mini", "Reply with OK.", 1.0, 1) is None
    assert stand_in.reply_for(prompt.text, 1.0, seed=3, model="gpt-4o-mini") == stand_in.categorical_reply("gpt-4o-mini", prompt.text, 1.0, 3)
