"""The command line as users run it: exit codes, one-line errors, the checks list, the demo relay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from relaycheck.core import checklist


def cli(*args: str, env: dict[str, str] | None = None, cwd=None, timeout: float = 120) -> subprocess.CompletedProcess:
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "relaycheck", *args], capture_output=True, text=True, env={**base_env, **(env or {})}, cwd=cwd, timeout=timeout)


def test_version_and_help():
    assert cli("--version").stdout.strip().startswith("relaycheck ")
    help_text = cli("--help").stdout
    for command in ("probe", "checks", "demo-relay"):
        assert command in help_text


def test_checks_lists_every_id_with_both_languages():
    out = cli("checks").stdout
    for spec in checklist.load().specs:
        assert spec.id in out and spec.title["en"] in out and spec.title["zh"] in out
    doc = json.loads(cli("checks", "--json", "--profile", "quick").stdout)
    assert doc["schema_version"] == 1
    listed = doc["checks"]
    assert [c["id"] for c in listed] == list(checklist.load().select("quick"))
    # Which protocols each check judges (the others skip it, saying so).
    protocols = {c["id"]: c["protocols"] for c in json.loads(cli("checks", "--json").stdout)["checks"]}
    assert protocols["chat.basic"] == ["openai", "anthropic", "responses", "gemini"] and protocols["models.tokenizer"] == ["openai", "responses"]
    assert protocols["models.limits"] == ["openai"]


def _bad(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("targets: [\n  - name: x\n")
    good = tmp_path / "good.yaml"
    good.write_text("targets:\n  - {name: a, base_url: 'https://relay.example/v1', api_key_env: NOT_SET_ANYWHERE, models: [m]}\n")
    return {
        "malformed yaml": (("probe", "-t", str(broken)), "malformed YAML"),
        "missing file": (("probe", "-t", str(tmp_path / "nope.yaml")), "cannot read"),
        "missing env var": (("probe", "-t", str(good)), "NOT_SET_ANYWHERE"),
        "invalid url": (("probe", "--base-url", "relay.example/v1", "--model", "m"), "absolute http"),
        "unknown check id": (("probe", "--demo", "--check", "chat.nope"), "unknown check id 'chat.nope'"),
        "unknown profile": (("probe", "--demo", "--profile", "huge"), "unknown profile"),
        "unknown fault": (("probe", "--demo", "--fault", "melted"), "unknown fault"),
        "unknown format": (("probe", "--demo", "--format", "pdf"), "unknown format"),
        "bad fail-on": (("probe", "--demo", "--fail-on", "severe"), "--fail-on"),
        "no model": (("probe", "--base-url", "https://relay.example/v1"), "--model is required"),
        "fault without demo": (("probe", "--base-url", "https://r.example/v1", "--model", "m", "--fault", "no_done"), "--fault only applies"),
        "demo on public host": (("demo-relay", "--host", "0.0.0.0"), "only listens on loopback"),
        "nothing to probe": (("probe",), "nothing to probe: give --base-url URL --model MODEL"),
        "output in a missing directory": (("probe", "--demo", "-o", str(tmp_path / "no" / "such" / "r.json")), "does not exist"),
        "bundle in a missing directory": (("probe", "--demo", "--bundle", str(tmp_path / "no" / "bundle")), "does not exist"),
        "a misspelt fault": (("probe", "--demo", "--fault", "substitue"), "did you mean wrong_model?"),
        "report with a bad fail-on": (("report", str(good), "--fail-on", "severe"), "--fail-on must be one of"),
    }


BAD_CASES = [
    "malformed yaml", "missing file", "missing env var", "invalid url", "unknown check id", "unknown profile",
    "unknown fault", "unknown format", "bad fail-on", "no model", "fault without demo", "demo on public host",
    "nothing to probe", "output in a missing directory", "bundle in a missing directory", "a misspelt fault", "report with a bad fail-on",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, case):
    args, fragment = _bad(tmp_path)[case]
    result = cli(*args, env={"OPENAI_API_KEY": "sk-test-0000"})
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("relaycheck: error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_probe_demo_writes_markdown_and_exit_codes_follow_fail_on(tmp_path):
    report = tmp_path / "report.md"
    ok = cli("probe", "--demo", "--format", "md", "--output", str(report))
    assert ok.returncode == 0, ok.stderr
    text = report.read_text()
    assert text.startswith("# relaycheck report") and "| `chat.basic` A minimal chat completion works |" in text and "(masked)" in text
    failing = cli("probe", "--demo", "--fault", "no_done", "--format", "json")
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["schema_version"] == 1
    # stream.complete is high severity: --fail-on critical lets it through.
    assert cli("probe", "--demo", "--fault", "no_done", "--fail-on", "critical").returncode == 0


def test_markdown_ticket_has_what_support_needs(tmp_path):
    report = tmp_path / "ticket.md"
    cli("probe", "--demo", "--fault", "key_echo", "--format", "md", "--output", str(report))
    section = report.read_text().split("### Details for support", 1)[1]
    for needed in ("errors.key_echo", "Expected: Error messages that mask the key", "Time (UTC): 20", "Status: 401",
                   "Request ids: x-request-id: req_demo", "Raw error text", "Incorrect API key provided: [redacted",
                   "Classified as: authentication (openai dialect, code invalid_api_key)"):
        assert needed in section, needed


def _stop(proc: subprocess.Popen) -> None:
    """Interrupt a served demo relay; kill it if it has not gone within 10 s, so a failed test never leaves one running."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise


# `python -m relaycheck` as a terminal starts it, with Ctrl-C's SIGINT not ignored: a child inherits an ignored SIGINT,
# and a CI job started in the background of a shell without job control has one (the relay then never saw the
# interrupt, and the test waited out its 10 s).
AS_FROM_A_TERMINAL = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                      "runpy.run_module('relaycheck', run_name='__main__', alter_sys=True)")  # as -m does


def _serve(*args: str, **popen: object) -> subprocess.Popen:
    """A served demo relay (`relaycheck demo-relay --port 0 ...`) in a child process."""
    return subprocess.Popen([sys.executable, "-c", AS_FROM_A_TERMINAL, "demo-relay", "--port", "0", *args], stdout=subprocess.PIPE, text=True, **popen)


def test_demo_relay_serves_until_interrupted():
    proc = _serve("--fault", "no_done", stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert "fault no_done" in line and "base URL http://127.0.0.1:" in line
        base = line.split("base URL ", 1)[1].split()[0].rstrip(",")
        assert "accepts the key sk-demo-relay" in line
        reply = httpx.get(base + "/models", headers={"authorization": "Bearer sk-demo-relay"}, timeout=10)
        assert reply.status_code == 200 and reply.json()["object"] == "list"
        assert httpx.get(base + "/models", timeout=10).status_code == 401
        assert httpx.get(base + "/models", headers={"authorization": "Bearer other"}, timeout=10).status_code == 401
    finally:
        _stop(proc)
    assert proc.returncode == 0


def test_probe_against_a_separately_served_demo_relay(tmp_path):
    proc = _serve()
    try:
        base = proc.stdout.readline().split("base URL ", 1)[1].split()[0].rstrip(",")
        targets = tmp_path / "targets.yaml"
        targets.write_text(f"targets:\n  - name: local\n    base_url: {base}\n    api_key_env: LOCAL_KEY\n    models: [gpt-4o-mini, gpt-4o]\n")
        result = cli("probe", "-t", str(targets), "--format", "json", env={"LOCAL_KEY": "sk-demo-relay"})
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        statuses = {c["id"]: c["status"] for c in report["targets"][0]["checks"]}
        opt_in = {"errors.rate_limit", "errors.insufficient_balance", "billing.balance", "billing.delta", "models.behaviour"}
        assert {statuses.pop(i) for i in opt_in} == {"skip"}  # not configured in this targets file
        assert set(statuses.values()) == {"pass"}
    finally:
        _stop(proc)


def test_checks_json_is_versioned_and_matches_its_schema():
    import jsonschema
    from importlib.resources import files

    schema = json.loads(files("relaycheck.report").joinpath("checks.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(cli("checks", "--json").stdout)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    assert len(doc["checks"]) == len(checklist.load().specs)
    for broken in ({**doc, "schema_version": 2}, {"schema_version": 1, "checks": [{**doc["checks"][0], "severity": "severe"}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)
