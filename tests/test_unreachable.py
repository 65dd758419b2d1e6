"""A dead, unreachable or trickling relay is reported quickly and truthfully (issue 15, cases 4 and 13).

Real loopback servers: a closed port, the trickling hostile relay, and the demo relay under a whole-run --deadline.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from hostile_server import HostileRelay
from relaycheck.transport.breaker import Breaker
from relaycheck.wire.exchange import Exchange, Timings

KEY = "sk-unreach-Qm8vT2xR7pLk4nW9zC3b"


def _cli(tmp_path, base_url: str, *extra: str) -> tuple[int, float, dict]:
    out = tmp_path / "report.json"
    argv = [sys.executable, "-m", "relaycheck", "probe", "--base-url", base_url, "--model", "gpt-4o-mini", "--api-key-env", "K",
            "--no-progress", "--format", "json", "--output", str(out), *extra]
    start = time.monotonic()
    run = subprocess.run(argv, capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "K": KEY},
                         cwd=tmp_path, timeout=120)
    assert "Traceback" not in run.stderr, run.stderr
    return run.returncode, time.monotonic() - start, json.loads(out.read_text())["targets"][0]


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_a_refused_connection_is_unreachable_not_slow(tmp_path):
    code, _, target = _cli(tmp_path, f"http://127.0.0.1:{_closed_port()}/v1")
    checks = {c["id"]: c for c in target["checks"]}
    kinds = [(x["error"] or {}).get("kind") for x in target["exchanges"]]
    # One request tells it all: the rest is not sent (recorded as such), nothing is blamed on the deadline.
    assert kinds[0] == "unreachable" and set(kinds[1:]) == {"not_sent"}, kinds
    assert checks["base.api_root"]["status"] == "fail" and "nothing answers at" in checks["base.api_root"]["summary"]
    assert checks["errors.timeout"]["status"] == "inconclusive" and "could not be reached" in checks["errors.timeout"]["summary"]
    assert checks["base.redirects"]["status"] == "inconclusive"  # no answer: no pass
    assert checks["chat.basic"]["status"] == "inconclusive" and "unreachable" in checks["chat.basic"]["summary"]
    assert not [c for c in target["checks"] if c["status"] == "pass" and c["id"] != "base.https"]
    assert code == 1


def test_a_trickling_relay_stops_being_asked_after_its_first_completion_times_out(tmp_path):
    with HostileRelay("trickle").running() as base_url:
        code, wall, target = _cli(tmp_path, base_url, "--timeout", "3")
    sent = [x for x in target["exchanges"] if (x["error"] or {}).get("kind") != "not_sent"]
    late = [x for x in sent if (x["error"] or {}).get("kind") == "deadline"]
    assert len(late) == 1 and late[0]["probe"] == "chat", [(x["id"], x["probe"], x["error"]) for x in sent]
    assert len(target["exchanges"]) > len(sent)  # the rest was recorded as not sent
    checks = {c["id"]: c for c in target["checks"]}
    assert checks["chat.basic"]["status"] == "fail" and "deadline" in checks["chat.basic"]["summary"]
    assert checks["stream.complete"]["status"] == "inconclusive" and "did not answer x" in checks["stream.complete"]["summary"]
    assert code == 1 and wall < 3 * 3 + 20  # one deadline (plus the root's instant GETs), start-up and a margin


def test_the_whole_run_deadline_holds_back_what_it_could_not_send(tmp_path):
    from relaycheck.demo.server import DemoRelay

    # Every answer takes 3 s, the whole run may take 1 s: the first request is cut at 1 s, nothing after it is sent.
    with DemoRelay(key=KEY, latency_ms=3000) as relay:
        code, wall, target = _cli(tmp_path, relay.base_url, "--deadline", "1", "--check", "chat.basic", "--check", "long.complete",
                                  "--check", "usage.prompt")
    first, *rest = target["exchanges"]
    # Cut by relaycheck's own run deadline, not the relay's slowness: never a finding against the relay.
    assert first["error"]["kind"] == "run_deadline" and rest
    assert all(x["error"]["kind"] == "not_sent" and "the run's deadline of 1 s had passed" in x["error"]["message"] for x in rest)
    checks = {c["id"]: c for c in target["checks"]}
    assert all(c["status"] == "inconclusive" and "not sent" in c["summary"] for c in checks.values()), checks
    assert wall < 1 + 15


def _x(xid: str, method: str, status: int | None, kind: str | None) -> Exchange:
    return Exchange(id=xid, probe="p", model=None, label="", method=method, url="http://127.0.0.1:9/v1/x", request_headers=(),
                    request_body=None, status=status, response_headers=(), body="", body_bytes=0, body_truncated=False, body_utf8_ok=True,
                    timings=Timings(started_at="2026-01-01T00:00:00Z"), error=kind and f"{kind} happened", error_kind=kind)


def test_the_breaker_trips_only_where_more_requests_could_tell_nothing():
    slow_after_success = Breaker()
    slow_after_success.observe(_x("x1", "GET", 200, None))
    slow_after_success.observe(_x("x2", "POST", 200, None))
    slow_after_success.observe(_x("x3", "POST", 200, "deadline"))  # a long reply past its deadline on a working relay
    assert slow_after_success.why_not() is None
    no_completion = Breaker()
    no_completion.observe(_x("x1", "GET", 200, None))
    no_completion.observe(_x("x2", "POST", 200, "deadline"))
    assert "did not answer x2 in time" in (no_completion.why_not() or "")
    refused = Breaker()
    refused.observe(_x("x1", "GET", None, "unreachable"))
    assert "unreachable" in (refused.why_not() or "")
    errors_only = Breaker()
    errors_only.observe(_x("x1", "POST", 401, None))  # an answered refusal is an answer
    errors_only.observe(_x("x2", "GET", None, "read"))
    assert errors_only.why_not() is None
