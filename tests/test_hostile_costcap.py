"""The cost cap stops a relay that bills 900M tokens, and the usage already received is still judged (issue 14, item 19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hostile_costcap import CostCapRelay


def test_the_cost_cap_stops_the_run_but_the_overbilling_is_judged(tmp_path):
    relay = CostCapRelay("huge_usage")
    out = tmp_path / "report.json"
    with relay.running() as base_url:
        argv = [sys.executable, "-m", "relaycheck", "probe", "--base-url", base_url, "--model", "gpt-4o-mini", "--api-key-env", "HOSTILE_KEY",
                *[a for c in ("chat.basic", "usage.present", "usage.completion", "stream.sse") for a in ("--check", c)], "--max-cost", "0.05", "--price", "gpt-4o-mini=0.15/0.6",
                "--timeout", "5", "--no-progress", "--format", "json", "--output", str(out)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOSTILE_KEY": "sk-hostile-Qm8vT2xR7pLk4nW9zC3b"}
        run = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert "Traceback" not in run.stderr, run.stderr
    report = json.loads(out.read_text())
    target = report["targets"][0]
    checks = {c["id"]: c for c in target["checks"]}
    capped = [x["id"] for x in target["exchanges"] if x["error"] and x["error"]["kind"] == "cost_cap"]
    assert capped, "the cap never stopped a request: the scenario did not happen"
    # The first reply's 900M completion tokens for "ok" are evidence of over-billing, whatever the cap kept back.
    usage = checks["usage.completion"]
    assert usage["status"] == "fail" and "inflated" in usage["summary"] and "the cost cap stopped" in usage["summary"], usage
    assert not set(usage["evidence"]) & set(capped)
    # A check with nothing received to judge says the cap stopped it, rather than passing.
    assert checks["stream.sse"]["status"] == "skip" and "cost cap" in checks["stream.sse"]["summary"]
    assert run.returncode == 1, (run.returncode, run.stderr)
