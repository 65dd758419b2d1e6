"""Hostile relays: relaycheck finishes within its deadlines, stays under 120 MB (issue 8's memory target), never tracebacks, and names the problem.

The sweep (tests/test_hostile_sweep.py) runs the real CLI as a child process (its peak RSS is its own VmHWM)
against each hostile mode of tests/hostile_server.py on 127.0.0.1 and judges that run with `expect` below too.
"""

from __future__ import annotations

from timing import load_factor

TIMEOUT_S, IDLE_S = 4, 3
# The quick profile's longest chain: root, first chat, then the rest in at most two rounds at concurrency 8,
# each request bounded by its deadline; plus start-up and a small margin.
BOUND_S = 5 * TIMEOUT_S + 8
PEAK_MB = 120

# mode -> (check, verdict, words the finding must contain)
CASES = {
    "invalid_json": ("chat.basic", "fail", "not a JSON object"),
    "truncated_json": ("chat.basic", "fail", "without sending complete message body"),
    "endless_body": ("chat.basic", "fail", "body_cap error: stopped reading after"),
    "trickle": ("chat.basic", "fail", "deadline error: no complete answer within the 4 s deadline"),
    "gzip_bomb": ("chat.basic", "fail", "body_cap error: stopped reading after"),
    "http10_close": ("chat.basic", "pass", "HTTP 200 with every required field"),  # legal: the body ends at close
    "close_mid_headers": ("chat.basic", "fail", "Server disconnected without sending a response"),
    "sse_endless": ("stream.complete", "fail", "deadline error"),
    "sse_invalid_utf8": ("stream.sse", "fail", "is not valid UTF-8"),
    "sse_huge_line": ("stream.complete", "fail", "no chunk carried a finish_reason"),
    "sse_tiny_events": ("stream.complete", "fail", "no data: [DONE]"),
    "redirect_loop": ("base.redirects", "fail", "not followed, so the key was not sent there"),
    "redirect_other_host": ("base.redirects", "fail", "not followed, so the key was not sent there"),
}


# The child's own high-water mark (VmHWM of its process image), written at exit. wait4's ru_maxrss would also count
# the pages it shared with the forking pytest worker before exec, which are not relaycheck's.
_RUN_AND_REPORT_PEAK = (
    "import atexit, sys\n"
    "where = sys.argv[1]\n"
    "def _peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    open(where, 'w').write(status.split('VmHWM:')[1].split()[0])\n"
    "atexit.register(_peak)\n"
    "sys.argv = ['relaycheck'] + sys.argv[2:]\n"
    "from relaycheck.cli import main\n"
    "main()\n"
)


def expect(run) -> None:
    """This module's verdicts on one mode of tests/hostile_server.py, judged on the sweep's run of it
    (tests/test_hostile_sweep.py): a finding within the bounds, the mode's own verdict and evidence."""
    mode, report, relay = run.mode, run.report, run.relay
    assert run.code == 1, (run.code, run.stderr)  # findings, not a crash (4) or a usage error (2)
    assert run.wall < BOUND_S * load_factor(), f"{mode}: {run.wall:.1f} s (load factor {load_factor():.1f})"
    assert run.peak_mb < PEAK_MB, f"{mode}: peak RSS {run.peak_mb:.0f} MB"
    check_id, verdict, words = CASES[mode]
    finding = next(c for c in report["targets"][0]["checks"] if c["id"] == check_id)
    assert finding["status"] == verdict and words in finding["summary"], finding
    exchanges = report["targets"][0]["exchanges"]
    if mode == "redirect_other_host":
        assert relay.bystander_hits == 0 and not relay.bystander_saw_authorization  # the key never reached 127.0.0.2
    if mode == "sse_huge_line":
        stream = next(x for x in exchanges if x["probe"] == "stream")
        assert len(stream["sse"]["events"][0]["data"]) > 1_000_000  # the 1 MB line was read whole, not cut
    if mode == "sse_tiny_events":
        stream = next(x for x in exchanges if x["probe"] == "stream")
        assert stream["sse"]["events_total"] == 20_000
    if mode in ("endless_body", "gzip_bomb"):
        assert all(len(x["response"]["body"]) <= 512 * 1024 for x in exchanges)  # evidence is capped, the rest counted


def test_every_case_is_a_mode_the_sweep_runs():
    import hostile_server

    assert set(CASES) == set(hostile_server.MODES)
