"""Hostile streams of the "stream" area through the real CLI: bounded memory and report, deadlines on time, CR-only SSE read.

The sweep (tests/test_hostile_sweep.py) runs `relaycheck probe` as a child process (its peak RSS is its own VmHWM)
against each mode of tests/hostile_stream.py on 127.0.0.1; `expect` below pins the verdicts that run must reach.
"""

from __future__ import annotations

import re

from hostile_stream import MANY_DATA_LINES, MODES
from test_hostile import BOUND_S, TIMEOUT_S
from timing import load_factor

PEAK_MB = 150
REPORT_MB = 40  # the evidence budget (32 MiB of JSON per target) plus the report's own fields
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
BLOCK_CAP = "body_cap error (stopped reading: an SSE event grew past 250000 lines or 5242880 bytes without a blank line)"

# mode -> {check: (verdict, words its summary must contain)}
CASES = {
    "sse_endless_comments": {"stream.complete": ("fail", BLOCK_CAP), "stream.sse": ("fail", "no SSE events")},
    "sse_endless_fields": {"stream.complete": ("fail", BLOCK_CAP), "stream.sse": ("fail", "no SSE events")},
    "sse_many_data_lines": {"stream.complete": ("fail", f"deadline error (no complete answer within the {TIMEOUT_S} s deadline)"),
                            "stream.sse": ("fail", "event #0 data is not JSON")},
    "sse_control_big": {"stream.complete": ("fail", "body_cap error (stopped reading after 16777216 decoded bytes)"),
                        "stream.sse": ("fail", "event #0 data is not JSON")},
    "sse_control_small": {"stream.complete": ("fail", "body_cap error (stopped reading after 16777216 decoded bytes)"),
                          "stream.sse": ("fail", "event #0 data is not JSON")},
    "sse_cr_only": {"stream.complete": ("pass", "finish_reason 'stop' at event #2, then [DONE]"),
                    "stream.sse": ("pass", "5 events, all consumable by the SDK (1 comment lines ignored)")},
}


def expect(run) -> None:
    """This module's verdicts on one mode of tests/hostile_stream.py, judged on the sweep's run of it
    (tests/test_hostile_sweep.py): bounded time, memory and report, the mode's verdicts and evidence."""
    mode, report = run.mode, run.report
    assert run.wall < BOUND_S * load_factor(), f"{mode}: {run.wall:.1f} s (load factor {load_factor():.1f})"
    assert run.peak_mb < PEAK_MB, f"{mode}: peak RSS {run.peak_mb:.0f} MB"
    size_mb = (run.tmp_path / "report.json").stat().st_size / 1e6
    assert size_mb < REPORT_MB, f"{mode}: report.json is {size_mb:.1f} MB"
    stream = next(x for x in report["targets"][0]["exchanges"] if x["probe"] == "stream")
    checks = {c["id"]: c for c in report["targets"][0]["checks"]}
    for check_id, (verdict, words) in CASES[mode].items():
        assert checks[check_id]["status"] == verdict and words in checks[check_id]["summary"], checks[check_id]
    if mode.startswith("sse_endless_"):
        # The block was cut at its bound: no event, a bounded tail, and far less read than the 16 MiB drain cap.
        assert stream["sse"]["events_total"] == 0 and len(stream["sse"]["tail"]) < 5000
        assert stream["response"]["body_bytes"] < 2 * 1024 * 1024
    if mode == "sse_many_data_lines":
        first = stream["sse"]["events"][0]
        assert first["data"] == "\n".join(["a"] * MANY_DATA_LINES)  # read whole, in linear time
        # The deadline fired on time: the event loop was never blocked for long (once it fired at 106 s of 90).
        assert stream["timings"]["end_ms"] < TIMEOUT_S * 1000 + 2500, stream["timings"]
    if mode.startswith("sse_control_"):
        # Renderers escape each control character on its own: the evidence keeps a bounded number of them.
        kept = [stream["response"]["body"]] + [e["data"] + (e.get("raw") or "") for e in stream["sse"]["events"]]
        assert sum(len(CONTROL.findall(text)) for text in kept) < 300_000
    if mode == "sse_control_big":
        events = stream["sse"]["events"]
        assert events and all(len(e["data"]) <= 4096 for e in events)
        assert any("SSE events are binary" in n for n in stream["notes"])
    if mode == "sse_control_small":
        sse = stream["sse"]
        assert 0 < len(sse["events"]) < sse["events_total"]  # a prefix kept, the rest counted
        assert any("evidence budget" in n for n in stream["notes"]) and any("counted, not kept" in n for n in stream["notes"])
    if mode == "sse_cr_only":
        assert stream["sse"]["events"][-1]["data"] == "[DONE]" and stream["sse"]["tail"] == "" and stream["error"] is None


def test_every_case_is_a_mode_the_sweep_runs():
    assert set(CASES) == set(MODES)
