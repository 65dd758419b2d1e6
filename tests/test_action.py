"""The composite GitHub Action (action.yml, issue 20): its shell steps run as a runner would run them, against the
demo relay: the report, the JUnit file and the job summary are written whatever the findings, and the gate fails
the job exactly when a check at or above fail-on failed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import make_canary
from relaycheck.demo import faults
from relaycheck.demo.server import DemoRelay

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def _run_steps(tmp_path: Path, inputs: dict[str, str], env: dict[str, str]) -> dict[str, int]:
    """Each `run:` step in order (the install step aside: relaycheck is installed here), with the runner's
    expressions filled in; returns each named step's exit code. A failed step stops the job unless the next is
    `if: always()`, as on GitHub."""
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values = {**defaults, **inputs}
    output_file, summary = tmp_path / "github_output", tmp_path / "summary.md"
    output_file.touch()
    outputs: dict[str, str] = {}
    codes: dict[str, int] = {}
    failed = False
    bin_dir = str(Path(sys.executable).parent)
    for i, step in enumerate(ACTION["runs"]["steps"]):
        if "run" not in step or step.get("name") == "Install relaycheck":
            continue
        if failed and step.get("if") != "always()":
            continue
        script = step["run"]
        script = re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: values[m.group(1)], script)
        script = re.sub(r"\$\{\{ steps\.paths\.outputs\.dir \}\}", lambda m: outputs.get("dir", ""), script)
        script = script.replace("${{ github.action_path }}", str(ROOT))
        assert "${{" not in script, script
        result = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=300,
                                env={**env, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "RUNNER_TEMP": str(tmp_path),
                                     "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary), "HOME": str(tmp_path)})
        for line in output_file.read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
        codes[step.get("name") or step.get("id") or str(i)] = result.returncode
        failed = failed or result.returncode != 0
    return codes


@pytest.mark.parametrize("fault, gate", [(None, 0), ("wrong_model", 1)])
def test_the_action_writes_everything_and_gates_on_fail_on(tmp_path, fault, gate):
    key = make_canary()
    with DemoRelay(key=key, fault=faults.get(fault)) as relay:
        targets = tmp_path / "targets.yaml"
        targets.write_text(f"targets:\n  - {{name: gateway, base_url: '{relay.base_url}', api_key_env: RELAY_KEY, models: [gpt-4o-mini]}}\n")
        codes = _run_steps(tmp_path, {"targets": str(targets)}, {"RELAY_KEY": key})
    assert codes == {"paths": 0, "Probe": 0, "JUnit and job summary": 0, "Gate": gate}
    out = tmp_path / "relaycheck"
    assert (out / "report.json").is_file() and (out / "junit.xml").is_file() and (out / "bundle" / "MANIFEST.sha256").is_file()
    summary = (tmp_path / "summary.md").read_text()
    verdict = summary.strip().splitlines()[-1]
    assert "gateway" in summary and verdict.startswith("Result: ") and "at or above medium" in verdict
    assert ("no failing" in verdict) == (fault is None), verdict
    for path in [*out.rglob("*"), tmp_path / "summary.md"]:
        if path.is_file():
            assert key not in path.read_text(errors="replace"), path


def test_a_usage_error_stops_the_action_at_the_probe(tmp_path):
    codes = _run_steps(tmp_path, {"targets": str(tmp_path / "missing.yaml")}, {})
    assert codes["Probe"] == 2 and "Gate" not in codes and codes["JUnit and job summary"] == 0


def test_the_readme_shows_the_action_and_a_snippet_that_runs_as_written():
    readme = (ROOT / "README.md").read_text()
    assert "uses: " in readme and "targets: targets.yaml" in readme
    snippet = readme.split("### In CI", 1)[1].split("## ", 1)[0]
    # --max-cost needs prices: a snippet using it without saying so exits 2 on a plain targets file.
    assert "--max-cost" not in snippet or "pricing" in snippet
