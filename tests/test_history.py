"""Run history: the SQLite store and its migrations, drift between runs, `relaycheck history` in every format."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import os

import httpx
import pytest

from conftest import assert_no_leak, make_canary, run_probe
from relaycheck.core.exits import UsageError
from relaycheck.demo.faults import FAULTS
from relaycheck.demo.server import DemoRelay
from relaycheck.history.drift import Rules, signal_drift, status_drift
from relaycheck.history.signals import Signal, p95
from relaycheck.history.store import SCHEMA_VERSION, History, default_path, open_history
from relaycheck.history.view import histories
from relaycheck.render.history import HISTORY_FORMATS, render_history


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "relaycheck", *args], capture_output=True, text=True, env={**base, **(env or {})}, timeout=120)


# --- the store ---------------------------------------------------------------------------------------------------

def test_a_new_database_is_migrated_to_the_current_schema(tmp_path):
    path = tmp_path / "h.sqlite3"
    with open_history(path) as history:
        assert history.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in history.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "target_runs", "findings", "signals", "drift"} <= tables
    with open_history(path) as history:  # opening again migrates nothing and loses nothing
        assert history.targets() == []


def test_a_newer_schema_and_a_file_that_is_no_database_are_refused(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(UsageError, match="newer than this relaycheck reads"):
        History(newer)
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database at all " * 100)
    with pytest.raises(UsageError, match="not a relaycheck history database"):
        History(junk)
    with pytest.raises(UsageError, match="no history database there"):
        open_history(tmp_path / "absent.sqlite3", create=False)
    with pytest.raises(UsageError, match="does not exist"):
        open_history(tmp_path / "no-such-dir" / "h.sqlite3")


def test_the_default_location_follows_the_platform_and_the_override():
    home = {"HOME": "/home/u"}
    assert str(default_path(home, "linux")) == "/home/u/.local/share/relaycheck/history.sqlite3"
    assert str(default_path({**home, "XDG_DATA_HOME": "/data"}, "linux")) == "/data/relaycheck/history.sqlite3"
    assert str(default_path(home, "darwin")) == "/home/u/Library/Application Support/relaycheck/history.sqlite3"
    assert str(default_path({**home, "RELAYCHECK_HISTORY": "/x/h.db"}, "linux")) == "/x/h.db"


# --- drift rules -------------------------------------------------------------------------------------------------

def test_a_check_that_turns_from_pass_to_fail_is_drift_and_nothing_else_is():
    before = {("models.echo", "m"): "pass", ("stream.sse", "m"): "fail", ("chat.basic", "m"): "pass"}
    now = {("models.echo", "m"): "fail", ("stream.sse", "m"): "fail", ("chat.basic", "m"): "warn", ("new.check", "m"): "fail"}
    events = status_drift("t", before, now)
    assert [(e.rule, e.subject) for e in events] == [("check_regressed", "models.echo")]


@pytest.mark.parametrize("history, now, rule", [
    ({("m", "served_model"): ["gpt-4o-mini-2024-07-18"]}, Signal("m", "served_model", "gpt-4.1-mini"), "identity_changed"),
    ({("m", "system_fingerprint"): ["fp_a", "fp_a,fp_b"]}, Signal("m", "system_fingerprint", "fp_z"), "identity_changed"),
    ({("m", "tokenizer"): ["pass"]}, Signal("m", "tokenizer", "fail"), "identity_changed"),
    # Latency and success: beyond the rule in this run and the one before, against the runs before those.
    ({("", "ttft_p95_ms"): ["100", "110", "90", "400"]}, Signal("", "ttft_p95_ms", "420"), "latency_regressed"),
    ({("", "success_ratio"): ["1.000", "1.000", "0.750"]}, Signal("", "success_ratio", "0.700"), "success_dropped"),
    ({("", "billing_multiplier"): ["1.000"]}, Signal("", "billing_multiplier", "1.500"), "billing_moved"),
])
def test_each_signal_rule_fires_beyond_its_threshold(history, now, rule):
    assert [e.rule for e in signal_drift("t", history, [now], Rules())] == [rule]


@pytest.mark.parametrize("history, now", [
    ({("m", "served_model"): ["gpt-4o-mini"]}, Signal("m", "served_model", "gpt-4o-mini")),  # unchanged
    # An upstream rotating its fingerprints: a set that shares one with the recent runs is the same backend.
    ({("m", "system_fingerprint"): ["fp_a,fp_b", "fp_b"]}, Signal("m", "system_fingerprint", "fp_b,fp_c")),
    ({("", "ttft_p95_ms"): ["100", "110", "90"]}, Signal("", "ttft_p95_ms", "900")),  # one slow run: not yet drift
    ({("", "success_ratio"): ["1.000", "1.000"]}, Signal("", "success_ratio", "0.500")),  # one bad run (a transient 502)
    ({}, Signal("m", "served_model", "gpt-4.1")),  # nothing to compare with yet
    ({("", "latency_p95_ms"): ["100"]}, Signal("", "latency_p95_ms", "250")),  # 150% up but only 150 ms: noise
    ({("", "latency_p95_ms"): ["1000"]}, Signal("", "latency_p95_ms", "1400")),  # 400 ms up but only 40%
    ({("", "success_ratio"): ["1.000"]}, Signal("", "success_ratio", "0.950")),  # within 10 points
    ({("", "billing_multiplier"): ["1.000"]}, Signal("", "billing_multiplier", "1.050")),  # within 10%
])
def test_small_moves_are_not_drift(history, now):
    assert signal_drift("t", history, [now], Rules()) == []


def test_a_slowdown_is_drift_once_when_it_has_held_for_two_runs():
    # Run by run: the first slow run is not drift (one slow request makes a small sample's p95), the second is, the
    # third is the same slowdown (not reported again).
    values: list[str] = ["100", "100", "2000", "100", "100"]  # one old outlier does not raise the bar (median 100)
    fired = []
    for now in ("600", "650", "640"):
        fired.append([e.rule for e in signal_drift("t", {("", "latency_p95_ms"): values}, [Signal("", "latency_p95_ms", now)], Rules())])
        values.append(now)
    assert fired == [[], ["latency_regressed"], []]


def test_p95_is_an_observed_value():
    assert p95([float(i) for i in range(1, 101)]) == 95.0 and p95([7.0]) == 7.0


# --- end to end: a relay that changes between runs ----------------------------------------------------------------

def _switch(relay: DemoRelay, fault: str | None) -> None:
    answer = httpx.post(relay.origin + "/_demo/fault", json={"fault": fault}, headers={"authorization": f"Bearer {relay.key}"})
    assert answer.status_code == 200 and answer.json() == {"fault": fault}


def test_the_control_endpoint_takes_the_relays_key_and_names_only_real_faults():
    with DemoRelay(key="sk-demo-control-0123456789") as relay:
        assert httpx.get(relay.origin + "/_demo/fault").status_code == 401
        auth = {"authorization": f"Bearer {relay.key}"}
        assert httpx.get(relay.origin + "/_demo/fault", headers=auth).json() == {"fault": None}
        refused = httpx.post(relay.origin + "/_demo/fault", json={"fault": "substitut"}, headers=auth)
        assert refused.status_code == 400 and "wrong_model" in refused.json()["error"]["message"]  # did you mean
        _switch(relay, "wrong_model")
        assert relay.behaviour == FAULTS["wrong_model"].behaviour
        _switch(relay, None)


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """Three quick runs of one target into one history: honest, then substituting the model, then honest again."""
    tmp_path = tmp_path_factory.mktemp("history")
    key = make_canary()
    db = tmp_path / "history.sqlite3"
    with DemoRelay(key=key) as relay:
        targets = tmp_path / "targets.yaml"
        targets.write_text(f"targets:\n  - name: local\n    base_url: {relay.base_url}\n    api_key_env: K\n    models: [gpt-4o-mini]\n")
        runs = []
        for fault in (None, "wrong_model", None):
            _switch(relay, fault)
            runs.append(run_probe(tmp_path, env={"K": key}, targets_file=targets, profile="quick", history=db))
    return key, db, runs


def test_history_shows_the_substitution_at_the_run_it_happened_and_when_it_cleared(three_runs):
    key, db, runs = three_runs
    assert [r.code for r in runs] == [0, 1, 0]
    assert "history: run 1 recorded" in runs[0].stderr and "no drift" in runs[0].stderr
    assert "drift: local: models.echo turned from pass to fail" in runs[1].stderr
    with open_history(db, create=False) as history:
        (local,) = histories(history)
    assert [r.run_id for r in local.runs] == [1, 2, 3]
    echo = next(c for c in local.checks if c.check_id == "models.echo")
    assert echo.statuses == ("pass", "fail", "pass")
    (episode,) = echo.episodes
    assert episode.first_seen == local.runs[1].finished_at and episode.cleared == local.runs[2].finished_at
    rules = {(d.run_id, d.event.rule, d.event.subject) for d in local.drift}
    # The substitution is drift when it appears (the verdict and the served model); the return is an identity change too.
    assert {(2, "check_regressed", "models.echo"), (2, "identity_changed", "served_model"), (3, "identity_changed", "served_model")} <= rules
    assert not {r for r in rules if r[0] == 1}


def test_every_history_format_renders_the_runs_and_holds_no_key(three_runs):
    key, db, runs = three_runs
    with open_history(db, create=False) as history:
        found = histories(history)
    outputs = {fmt: render_history(found, fmt, lang) for fmt in HISTORY_FORMATS for lang in ("en", "zh")}
    document = json.loads(outputs["json"])
    assert document["schema_version"] == 1 and document["targets"][0]["name"] == "local"
    assert "<svg" in outputs["html"] and "models.echo" in outputs["md"] and "首次出现" in render_history(found, "md", "zh")
    # The database itself: every byte of it, every output, and what the runs printed, free of the key they used.
    printed = [r.stdout + r.stderr for r in runs]
    assert_no_leak(key, db.read_bytes().decode("latin-1"), *outputs.values(), *printed)


def test_the_history_command_reads_the_database_and_refuses_what_it_cannot(three_runs, tmp_path):
    _, db, _ = three_runs
    shown = _cli("history", "--history", str(db), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert [c["statuses"] for c in json.loads(shown.stdout)["targets"][0]["checks"] if c["id"] == "models.echo"] == [["pass", "fail", "pass"]]
    last = json.loads(_cli("history", "--history", str(db), "--format", "json", "--last", "2").stdout)
    assert [r["run_id"] for r in last["targets"][0]["runs"]] == [2, 3]
    for args, words in ((("--history", str(tmp_path / "absent.db")), "no history database there"),
                        (("--history", str(db), "--target", "other"), "no runs of target 'other'"),
                        (("--history", str(db), "--format", "junit"), "--format must be one of"),
                        (("--history", str(db), "--last", "0"), "--last must be 1 or more")):
        refused = _cli("history", *args)
        assert refused.returncode == 2 and words in refused.stderr and len(refused.stderr.strip().splitlines()) == 1, refused.stderr


def test_probe_refuses_a_history_in_a_missing_directory_before_sending_anything(tmp_path):
    refused = _cli("probe", "--demo", "--history", str(tmp_path / "nope" / "h.db"))
    assert refused.returncode == 2 and "does not exist" in refused.stderr


def test_a_report_that_still_held_a_secret_is_refused_before_anything_is_written(tmp_path):
    # The seal redacts every report; the history scans what it stores once more, as every output does.
    import dataclasses

    from relaycheck.core.exits import SecretLeakError
    from relaycheck.history.record import record
    from relaycheck.redaction.redact import Redactor
    from relaycheck.report.load import from_dict

    secret = make_canary()
    run = run_probe(tmp_path, demo=True, profile="quick", only=("chat.basic",))
    report = from_dict(run.report)
    target = report.targets[0]
    leaked = dataclasses.replace(target, checks=(dataclasses.replace(target.checks[0], summary=f"echoed {secret}"),))
    with open_history(tmp_path / "h.sqlite3") as history:
        with pytest.raises(SecretLeakError):
            record(history, dataclasses.replace(report, targets=(leaked,)), redactor=Redactor([secret]))
        assert history.targets() == []  # nothing of it was written
        record(history, report, redactor=Redactor([secret]))  # the clean report goes in
        assert history.targets() == [target.name]
