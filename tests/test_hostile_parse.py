"""Hostile replies of the "parse" area through the real CLI: a finding and a report, never exit 4 or a traceback.

Each case runs `relaycheck probe` as a child process against one mode of tests/hostile_parse.py on 127.0.0.1,
from a targets file (so the cases that need billing or a small Retry-After budget can set them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_parse import ParseRelay

KEY = "sk-hostile-parse-key-000000000001"
TIMEOUT_S = 4


def _strict(text: str) -> dict:
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in report.json")
    return json.loads(text, parse_constant=refuse)


def _probe(base_url: str, tmp_path: Path, checks: tuple[str, ...] = (), profile: str = "quick", **target: object) -> tuple[int, float, str, dict | None]:
    """Run the CLI on one target; return exit code, wall seconds, stderr and the (strictly parsed) JSON report."""
    spec = {"name": "hostile", "base_url": base_url, "api_key_env": "HOSTILE_KEY", "models": ["gpt-4o-mini"], "timeout_s": TIMEOUT_S,
            "idle_timeout_s": 3, "concurrency": 8, **target}
    (tmp_path / "targets.yaml").write_text(json.dumps({"targets": [spec]}))  # JSON is YAML
    out, err = tmp_path / "report.json", tmp_path / "stderr.txt"
    argv = [sys.executable, "-m", "relaycheck", "probe", "-t", str(tmp_path / "targets.yaml"), "--profile", profile, "--no-progress",
            "--format", "json", "--output", str(out), *(a for c in checks for a in ("--check", c))]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOSTILE_KEY": KEY}
    if "PYTHONPATH" in os.environ:  # lets the same tests run another tree (say, with a fix reverted)
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    start = time.monotonic()
    with err.open("wb") as stderr:
        code = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=tmp_path, timeout=300).returncode
    wall = time.monotonic() - start
    report = _strict(out.read_text()) if out.exists() else None
    return code, wall, err.read_text(), report


def _run(mode: str, tmp_path: Path, **kwargs: object) -> tuple[ParseRelay, int, float, dict]:
    relay = ParseRelay(mode, KEY)
    with relay.running() as base_url:
        code, wall, stderr, report = _probe(base_url, tmp_path, **kwargs)
    assert "Traceback" not in stderr and report is not None, stderr[-2000:]
    assert code in (0, 1), (code, stderr)  # findings, never a crash (4) or a usage error (2)
    return relay, code, wall, report


def _finding(report: dict, check_id: str) -> dict:
    return next(c for c in report["targets"][0]["checks"] if c["id"] == check_id)


def _no_relaycheck_bug(report: dict) -> None:
    bugs = [c for c in report["targets"][0]["checks"] if "relaycheck bug" in c["summary"]]
    assert not bugs, bugs


# mode -> (checks run, check, verdict, words of its summary)
NESTED = {
    "nested_models": (("models.list", "base.api_root"), "models.list", "fail", "not a model list"),
    "nested_chat": (("chat.basic",), "chat.basic", "fail", "not a JSON object"),
    "nested_error": (("errors.shape", "errors.bad_key"), "errors.shape", "fail", "not JSON"),
    "nested_sse_event": (("stream.sse", "stream.complete"), "stream.sse", "fail", "event #0 data is not JSON"),
}


@pytest.mark.parametrize("mode", sorted(NESTED))
def test_json_nested_1000_deep_is_an_unparseable_body(mode, tmp_path):
    checks, check_id, verdict, words = NESTED[mode]
    _, code, _, report = _run(mode, tmp_path, checks=checks, profile="full")
    _no_relaycheck_bug(report)
    finding = _finding(report, check_id)
    assert finding["status"] == verdict and words in finding["summary"], finding
    assert code == 1


@pytest.mark.parametrize("mode, value", [("retry_after_word", "soon"), ("retry_after_leap_second", "Mon, 01 Jan 2026 23:59:60 GMT")])
def test_an_unparseable_retry_after_falls_back_to_the_default_wait(mode, value, tmp_path):
    _, code, _, report = _run(mode, tmp_path, checks=("chat.basic",))
    exchanges = report["targets"][0]["exchanges"]
    refused = next(x for x in exchanges if x["response"]["status"] == 429)
    assert any(f"Retry-After {value!r}" in note and "default" in note for note in refused["notes"]), refused["notes"]
    retry = next(x for x in exchanges if x.get("retry_of") == refused["id"])  # the default wait was waited, then retried
    assert retry["response"]["status"] == 200
    assert _finding(report, "chat.basic")["status"] == "pass" and code == 0


def _budget_spent(exchanges: list[dict]) -> list[dict]:
    return [x for x in exchanges if x["response"]["status"] == 429 and any("budget for Retry-After waits is used up" in n for n in x["notes"])]


def test_a_429_with_retry_after_29_forever_ends_the_run_quickly(tmp_path):
    # Every chat request refused with Retry-After 29: the quick profile once took ~400 s. A 6 s budget has no room
    # for even one such wait, so nothing is waited and nothing retried.
    _, code, wall, report = _run("retry_after_forever", tmp_path, retry_wait_s=6)
    assert wall < 30, f"{wall:.0f} s"
    exchanges = report["targets"][0]["exchanges"]
    spent = _budget_spent(exchanges)
    assert spent and not any(x.get("retry_of") for x in exchanges), [x["notes"] for x in exchanges]
    summary = _finding(report, "chat.basic")["summary"]
    assert "HTTP 429" in summary and "budget for Retry-After waits is used up" in summary, summary
    assert code == 1


def test_retry_after_waits_stop_once_the_run_budget_is_spent(tmp_path):
    # Retry-After 2 forever with a 5 s budget: the first refusals are waited out and retried, later ones are not.
    _, code, wall, report = _run("retry_after_2s_forever", tmp_path, retry_wait_s=5)
    exchanges = report["targets"][0]["exchanges"]
    retried = {x["retry_of"] for x in exchanges if x.get("retry_of")}
    spent = _budget_spent(exchanges)
    assert retried and spent and not retried & {x["id"] for x in spent}
    assert wall < 5 + 20, f"{wall:.0f} s"  # the budget, plus start-up and requests that now fail fast
    assert code == 1


def test_a_session_cookie_never_stands_in_for_the_key(tmp_path):
    relay, code, _, report = _run("cookie_session", tmp_path, checks=("models.list", "errors.bad_key", "errors.missing_key", "chat.basic"))
    assert relay.cookie_requests == 0  # no request carried the cookie the relay set
    assert _finding(report, "errors.bad_key")["status"] == "pass", _finding(report, "errors.bad_key")
    assert _finding(report, "errors.missing_key")["status"] == "pass"


def test_a_utf8_set_cookie_breaks_no_later_request(tmp_path):
    checks = ("models.list", "chat.basic", "stream.complete", "errors.bad_key", "errors.missing_key")
    relay, code, _, report = _run("cookie_utf8", tmp_path, checks=checks)
    assert relay.cookie_requests == 0
    assert "codec can't encode" not in json.dumps(report)
    for check_id in checks:  # every request after the first Set-Cookie went out and was answered
        assert _finding(report, check_id)["status"] == "pass", _finding(report, check_id)
    assert all(x["error"] is None for x in report["targets"][0]["exchanges"])
    assert code == 0


def test_usage_beyond_any_float_is_invalid_usage(tmp_path):
    _, code, _, report = _run("usage_huge", tmp_path, checks=("usage.present", "usage.prompt", "usage.completion"), profile="full")
    _no_relaycheck_bug(report)
    present = _finding(report, "usage.present")
    assert present["status"] == "fail" and "not a plausible token count" in present["summary"], present
    assert len(present["summary"]) < 400  # the 401-digit number is not pasted whole
    prompt = _finding(report, "usage.prompt")
    assert prompt["status"] == "inconclusive" and "no usable prompt_tokens" in prompt["summary"], prompt
    assert code == 1


def test_an_infinite_balance_figure_keeps_report_json_strict(tmp_path):
    # one-api's usage endpoint says total_usage 1e999: no balance can be read from it, and report.json stays JSON.
    _, code, _, report = _run("balance_infinite", tmp_path, checks=("billing.balance",), billing="oneapi", billing_settle_s=0)
    _no_relaycheck_bug(report)  # _run parsed report.json strictly: Infinity or NaN would have failed it
    finding = _finding(report, "billing.balance")
    assert finding["status"] == "fail" and "no balance endpoint answered" in finding["summary"], finding
    assert code == 0  # billing.balance is of low severity, under the default --fail-on medium


def test_non_finite_numbers_are_written_as_null():
    from relaycheck.render.jsonfmt import _compact

    text = "".join(_compact({"a": [1.5, float("inf"), {"b": float("nan")}], "c": -float("inf"), "d": "Infinity"}))
    assert _strict(text) == {"a": [1.5, None, {"b": None}], "c": None, "d": "Infinity"}
