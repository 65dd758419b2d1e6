"""Input that once crashed relaycheck (exit 4): a deeply nested targets file, a hand-edited report. Exit 2, one line."""

from __future__ import annotations

import json

import pytest

from conftest import make_canary
from test_bad_input import GOOD, _cli, _one_line


@pytest.mark.parametrize("text", [
    "targets: " + "[" * 3000 + "]" * 3000 + "\n",  # 6 KB: deeper than PyYAML's composer can recurse
    "targets: " + "[" * 40 + "]" * 40 + "\n",  # parses, but no targets file nests like this
    f"targets:\n  - {GOOD[:-1]}, pricing: " + "{a: " * 200 + "1" + "}" * 200 + "}\n",
], ids=["6kb", "40", "in_a_target"])
def test_a_deeply_nested_targets_file_is_one_line_and_exit_2(tmp_path, text):
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    result = _cli(["probe", "-t", str(path)], {"PATH": "/usr/bin:/bin", "RELAY_KEY": make_canary()}, tmp_path)
    _one_line(result, "the YAML nests more than 32 levels deep")


def test_an_ordinary_targets_file_is_not_too_deep(tmp_path):
    from relaycheck.config.targets import load_targets

    path = tmp_path / "targets.yaml"
    path.write_text(f"targets:\n  - {GOOD[:-1]}, pricing: {{currency: USD, gpt-4o-mini: {{input: 0.15, output: 0.6}}}}, "
                    "billing: {url: /b, field: data.left, unit: USD}}\n")
    assert load_targets(path)[0].pricing is not None


@pytest.fixture(scope="module")
def saved_report(tmp_path_factory) -> dict:
    """A real report of the demo relay (quick profile), to hand-edit."""
    where = tmp_path_factory.mktemp("saved")
    result = _cli(["probe", "--demo", "--profile", "quick", "--no-progress", "-f", "json", "-o", str(where / "r.json")], {"PATH": "/usr/bin:/bin"}, where)
    assert result.returncode == 0, result.stderr
    return json.loads((where / "r.json").read_text())


def _edited(report: dict, field: str, value: object) -> dict:
    copy = json.loads(json.dumps(report))
    copy["targets"][0]["checks"][0][field] = value
    return copy


@pytest.mark.parametrize("fmt", ["terminal", "md", "html", "json", "junit"])
@pytest.mark.parametrize("field, value, words", [
    ("status", "passed-ish", "has status 'passed-ish'"),
    ("severity", "urgent", "has severity 'urgent'"),
])
def test_a_hand_edited_report_with_an_unknown_value_is_one_line(tmp_path, saved_report, fmt, field, value, words):
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(_edited(saved_report, field, value)))
    _one_line(_cli(["report", str(path), "-f", fmt], {"PATH": "/usr/bin:/bin"}, tmp_path), words)


@pytest.mark.parametrize("depth, words", [(100_000, "nested too deep"), (200, "nested more than 64 levels")])
def test_a_deeply_nested_report_is_one_line(tmp_path, saved_report, depth, words):
    path = tmp_path / "deep.json"
    if depth > 1000:
        path.write_text("[" * depth + "]" * depth)
    else:
        copy = _edited(saved_report, "metrics", {"x": json.loads("[" * depth + "]" * depth)})
        path.write_text(json.dumps(copy))
    _one_line(_cli(["report", str(path)], {"PATH": "/usr/bin:/bin"}, tmp_path), words)


def test_the_saved_report_itself_renders(tmp_path, saved_report):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(saved_report))
    result = _cli(["report", str(path), "-f", "md"], {"PATH": "/usr/bin:/bin"}, tmp_path)
    assert result.returncode == 0 and "base.https" in result.stdout, result.stderr
