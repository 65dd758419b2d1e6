"""Golden files: a fixed demo-relay scenario renders to the same JSON, Markdown (en, zh) and JUnit every time."""

from __future__ import annotations

import difflib
import os

import pytest

from conftest import junit_schema
from golden_scenario import GOLDEN_DIR, normalise, normalise_json, report_of, run_scenario
from relaycheck.render import render

FILES = {"report.json": ("json", "en"), "report.en.md": ("md", "en"), "report.zh.md": ("md", "zh"), "report.junit.xml": ("junit", "en")}
UPDATE = os.environ.get("RELAYCHECK_UPDATE_GOLDEN") == "1"  # regenerate after a deliberate change, then review the diff


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    import relaycheck.app
    import relaycheck.probes.prompts

    # The scenario's only randomness: nonces (their token counts vary) and the wrong key. Fixed here, not in the tool.
    patch = pytest.MonkeyPatch()
    patch.setattr(relaycheck.probes.prompts, "new_nonce", lambda: "relaycheck-nonce-GOLDEN7Q2X")
    patch.setattr(relaycheck.app, "wrong_key", lambda: "sk-relaycheck-wrong-golden00000000000000000000")
    try:
        return run_scenario(tmp_path_factory.mktemp("golden"))
    finally:
        patch.undo()


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_scenario_matches_its_golden_file(scenario, name):
    fmt, lang = FILES[name]
    text = render(report_of(scenario), fmt, lang=lang)
    actual = normalise_json(text) if fmt == "json" else normalise(text)
    path = GOLDEN_DIR / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "actual", lineterm="", n=1))
    assert actual == expected, f"{name} differs from its golden file (RELAYCHECK_UPDATE_GOLDEN=1 regenerates):\n{diff[:6000]}"


def test_the_golden_scenario_really_contains_what_the_formats_must_show(scenario):
    # Guard against a golden file that silently lost its substance: a failure with its ticket facts, in both languages.
    statuses = {c["id"]: c["status"] for c in scenario["targets"][0]["checks"]}
    assert statuses["models.echo"] == "fail" and list(statuses.values()).count("fail") == 1
    en, zh = (GOLDEN_DIR / "report.en.md").read_text(), (GOLDEN_DIR / "report.zh.md").read_text()
    for text, words in ((en, ("Details for support", "Observed", "Why it matters", "Request ids", "Time (UTC)")),
                        (zh, ("提交给客服的详情", "实际", "为什么重要", "请求 ID", "时间（UTC）", "回复中的模型与请求一致"))):
        for word in words:
            assert word in text, word
    assert "req_demo" in en and "gpt-3.5-turbo-0125" in zh


def test_the_junit_output_validates_against_the_ci_schema(scenario):
    junit_schema().validate(render(report_of(scenario), "junit"))  # the real output (the golden file holds placeholders)


def test_the_schema_is_not_a_rubber_stamp():
    # The schema must reject what CI readers reject: a count that is not a number, a skipped total on the root.
    good = '<testsuites tests="1"><testsuite name="a" tests="1"><testcase name="c" classname="k"/></testsuite></testsuites>'
    assert junit_schema().is_valid(good)
    assert not junit_schema().is_valid(good.replace('tests="1"><testsuite', 'tests="1" skipped="0"><testsuite'))
    assert not junit_schema().is_valid(good.replace('<testsuite name="a" tests="1">', '<testsuite name="a" tests="one">'))
    assert not junit_schema().is_valid(good.replace('classname="k"/>', 'classname="k"><failure/><error/></testcase>'))
