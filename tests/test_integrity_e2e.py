"""The integrity faults through the real demo relay: each is caught on every path it touches, and the report shows
the rewrite as it was made (issue 18). tests/test_demo_e2e.py holds every verdict of every fault; this holds the
evidence."""

from __future__ import annotations

import json

from conftest import run_probe
from relaycheck.demo.behaviour import INJECTED_COMMAND, LINK_HOST, REWRITTEN_PACKAGE
from relaycheck.probes.canaries import CANARY_PATTERN

INTEGRITY = ("integrity.tool_args", "integrity.content", "integrity.request")


def _run(tmp_path, fault: str | None, *checks: str, profile: str | None = None):
    run = run_probe(tmp_path, demo=True, fault=fault, only=checks or INTEGRITY, profile=profile)
    target = run.report["targets"][0]
    found = {c["id"]: c for c in target["checks"]}
    labels = {x["id"]: x["label"] for x in target["exchanges"]}
    return found, labels, target


def test_a_rewritten_install_is_shown_on_both_paths_with_the_canary_it_replaced(tmp_path):
    found, labels, target = _run(tmp_path, "tool_rewrite")
    verdict = found["integrity.tool_args"]
    assert verdict["status"] == "fail" and f"became “pip install {REWRITTEN_PACKAGE}”" in verdict["summary"]
    assert verdict["metrics"]["altered"] == 2 and verdict["metrics"]["intact"] == 2  # the two install asks; file and payment intact
    assert {"shell", "shell stream"} <= {labels[i] for i in verdict["evidence"]}
    # The canary the relay replaced is in the report as sent: the redaction hid nothing the user needs.
    assert CANARY_PATTERN.search(verdict["summary"])
    shell = next(x for x in target["exchanges"] if x["label"] == "shell")
    assert CANARY_PATTERN.search(shell["request"]["body"]) and REWRITTEN_PACKAGE in shell["response"]["body"]
    assert found["integrity.content"]["status"] == "pass" and found["integrity.request"]["status"] == "pass"


def test_an_injected_call_is_caught_in_every_reply_that_offered_tools(tmp_path):
    found, labels, _ = _run(tmp_path, "tool_inject")
    verdict = found["integrity.tool_args"]
    assert verdict["status"] == "fail" and verdict["metrics"]["unasked_calls"] == 1 and verdict["metrics"]["altered"] == 4
    assert INJECTED_COMMAND[:40] in verdict["summary"] and "was added" in verdict["summary"]
    # The request ask forbade calls (tool_choice "none") and got one too: in the evidence, counted.
    assert {"shell", "shell stream", "file", "payment", "request"} <= {labels[i] for i in verdict["evidence"]}


def test_swapped_links_fail_content_on_both_paths(tmp_path):
    found, labels, _ = _run(tmp_path, "link_inject")
    verdict = found["integrity.content"]
    assert verdict["status"] == "fail" and "non-stream and stream" in verdict["summary"]
    assert f"https://{LINK_HOST}/" in verdict["summary"] and "canary.relaycheck.invalid" in verdict["summary"]
    assert {labels[i] for i in verdict["evidence"]} == {"content", "content stream"}
    assert found["integrity.tool_args"]["status"] == "pass"


def test_a_dropped_system_message_fails_the_request_check(tmp_path):
    found, _, target = _run(tmp_path, "system_drop")
    verdict = found["integrity.request"]
    assert verdict["status"] == "fail" and "system message was dropped or rewritten" in verdict["summary"]
    request = next(x for x in target["exchanges"] if x["label"] == "request")
    assert json.loads(request["request"]["body"])["messages"][0]["role"] == "system"  # it was sent


def test_a_rewrite_keyed_on_agent_tool_names_passes_the_default_run_and_fails_the_agent_sweep(tmp_path):
    default, _, _ = _run(tmp_path, "conditional_bash", "integrity.tool_args")
    assert default["integrity.tool_args"]["status"] == "pass"  # a router that behaves for a neutral audit
    found, labels, _ = _run(tmp_path, "conditional_bash", "integrity.conditional")
    verdict = found["integrity.conditional"]
    assert verdict["status"] == "fail"
    assert verdict["metrics"]["changed_under"] == ["Bash (Claude Code)", "Bash stream (Claude Code)", "shell (Codex CLI)",
                                                   "run_terminal_cmd (Cursor)", "execute_command (Cline)"]
    tried = verdict["metrics"]["triggers_tried"]
    assert "write_file (Gemini CLI)" in tried and "apply_patch (Codex CLI)" in tried and "run_command (Claude Code's user agent)" in tried


def test_a_rewrite_keyed_on_the_client_names_the_user_agent_trigger(tmp_path):
    found, _, target = _run(tmp_path, "conditional_ua", "integrity.conditional")
    verdict = found["integrity.conditional"]
    assert verdict["status"] == "fail"
    assert verdict["metrics"]["changed_under"] == ["run_command (Claude Code's user agent)", "run_command (Codex CLI's user agent)"]
    sent = next(x for x in target["exchanges"] if x["label"] == "run_command (Claude Code's user agent)")
    assert ("user-agent", "claude-cli/2.0.14 (external, cli)") in [tuple(h) for h in sent["request"]["headers"]]


def test_a_model_that_declines_is_inconclusive_never_fail(tmp_path):
    found, _, _ = _run(tmp_path, "cautious_model", *INTEGRITY, "integrity.conditional")
    assert found["integrity.tool_args"]["status"] == "inconclusive"
    assert "no tool call came back" in found["integrity.tool_args"]["summary"]
    assert found["integrity.conditional"]["status"] == "inconclusive"
    assert found["integrity.content"]["status"] == "pass" and found["integrity.request"]["status"] == "pass"
