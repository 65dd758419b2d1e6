"""relaycheck watch: cycles on a schedule, drift at the cycle it began, one alert, the daily cap, a clean stop."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from conftest import assert_no_leak, make_canary
from relaycheck.app import ProbeOptions
from relaycheck.core.exits import UsageError
from relaycheck.demo.server import DemoRelay
from relaycheck.history.drift import Rules
from relaycheck.history.store import open_history
from relaycheck.history.view import histories
from relaycheck.monitor import WatchOptions, watch
from relaycheck.watch import loop as watch_loop
from relaycheck.watch.schedule import Schedule, parse_interval
from relaycheck.watch.spend import DailySpend

PRICED = "    pricing:\n      currency: USD\n      gpt-4o-mini: {input: 0.15, output: 0.60}\n"


def _targets(tmp_path, relay: DemoRelay, extra: str = "") -> os.PathLike:
    path = tmp_path / "targets.yaml"
    path.write_text(f"targets:\n  - name: local\n    base_url: {relay.base_url}\n    api_key_env: K\n    models: [gpt-4o-mini]\n{extra}")
    return path


def _switch(relay: DemoRelay, fault: str | None) -> None:
    answer = httpx.post(relay.origin + "/_demo/fault", json={"fault": fault}, headers={"authorization": f"Bearer {relay.key}"})
    assert answer.status_code == 200, answer.text


def _switch_after(monkeypatch, relay: DemoRelay, after_cycle: int, fault: str) -> None:
    """Switch the relay's fault, through its control endpoint, as soon as the given cycle (1-based) has finished:
    inside the target's own loop, so the next cycle always sees it, however loaded the machine is."""
    original = watch_loop.Watch.cycle

    async def cycle(self, plan, attempt):
        await original(self, plan, attempt)
        if self.ran[plan.target.name] == after_cycle:  # cycles really run, whatever the schedule skipped
            _switch(relay, fault)

    monkeypatch.setattr(watch_loop.Watch, "cycle", cycle)


def test_a_substitution_switched_on_between_cycles_is_drift_at_that_cycle_and_alerts_once(tmp_path, monkeypatch):
    key = make_canary()
    db, hook_out, textfile = tmp_path / "history.sqlite3", tmp_path / "alerts.jsonl", tmp_path / "relaycheck.prom"
    hook = f"{sys.executable} -c \"import sys; open({str(hook_out)!r}, 'a').write(sys.stdin.read())\""
    err = io.StringIO()
    with DemoRelay(key=key) as relay:
        _switch_after(monkeypatch, relay, 2, "wrong_model")
        # Latency and success rules off: a loaded machine's slow cycle must not add an alert this test does not expect.
        quiet = Rules(latency_min_ms=1e12, success_drop=1.0)
        code = watch(ProbeOptions(targets_file=_targets(tmp_path, relay), progress=False),
                     WatchOptions(every="1s", jitter=0.0, cycles=4, history=db, on_drift=hook, metrics_textfile=textfile, rules=quiet), {"K": key}, err)
    assert code == 0, err.getvalue()
    with open_history(db, create=False) as history:
        (local,) = histories(history)
    echo = next(c for c in local.checks if c.check_id == "models.echo")
    assert echo.statuses == ("pass", "pass", "fail", "fail")
    assert {(d.run_id, d.event.rule, d.event.subject) for d in local.drift} == {(3, "check_regressed", "models.echo"), (3, "identity_changed", "served_model")}
    alerts = [json.loads(line) for line in hook_out.read_text().splitlines()]
    assert len(alerts) == 1 and alerts[0]["run_id"] == 3 and {e["rule"] for e in alerts[0]["events"]} == {"check_regressed", "identity_changed"}
    metrics = textfile.read_text()
    assert 'relaycheck_drift_events_total{rule="check_regressed",target="local"} 1.0' in metrics
    assert 'relaycheck_check_status{check="models.echo",model="gpt-4o-mini",status="fail",target="local"} 1.0' in metrics
    assert 'relaycheck_cycles_total{outcome="run",target="local"} 4.0' in metrics
    assert "local cycle 3 (run 3)" in err.getvalue() and "drift: models.echo turned from pass to fail" in err.getvalue()
    assert_no_leak(key, db.read_bytes().decode("latin-1"), metrics, err.getvalue(), hook_out.read_text())


def test_the_daily_cap_holds_under_a_relay_that_inflates_its_usage(tmp_path):
    from relaycheck.config.targets import load_targets
    from relaycheck.core import checklist
    from relaycheck.run.plan import for_protocol, plan_target

    key = make_canary()
    err = io.StringIO()
    with DemoRelay(key=key) as relay:
        _switch(relay, "inflated_usage")
        probe_targets = _targets(tmp_path, relay, PRICED)
        (target,) = load_targets(probe_targets)
        ceiling = plan_target(target, for_protocol(checklist.load().select("quick"), "openai", named=False)).max_cost
        cap = 2.5 * ceiling  # two cycles fit by their planned maximum; a third never may
        probe_targets.write_text(probe_targets.read_text() + f"    max_cost_per_day: {cap}\n")
        code = watch(ProbeOptions(targets_file=probe_targets, progress=False),
                     WatchOptions(every="1s", jitter=0.0, cycles=4, history=tmp_path / "h.sqlite3"), {"K": key}, err)
        billed = relay.ledger.spent()
    assert code == 0, err.getvalue()
    lines = err.getvalue()
    assert lines.count("skipped: today's spend") == 2 and "stopped after 2 cycle(s), 2 skipped" in lines, lines
    assert 0 < billed <= cap  # what the relay itself booked, inflated replies included
    with open_history(tmp_path / "h.sqlite3", create=False) as history:
        charged = sum(history.charged_on(time.strftime("%Y-%m-%d", time.gmtime())).values())
    assert billed <= charged <= cap


def test_a_relay_reporting_more_than_a_cycles_plan_is_charged_whole_and_stops_the_sending(tmp_path):
    # Sixty times the completion tokens a request may have: the first billed reply alone is reported above the whole
    # day's cap. The cost guard stops sending there, every later cycle is skipped, and the watch charges what the
    # relay booked, not the smaller plan: the cap is passed only by the requests already in flight.
    from relaycheck.config.targets import load_targets
    from relaycheck.core import checklist
    from relaycheck.demo.behaviour import Behaviour
    from relaycheck.demo.faults import Fault
    from relaycheck.demo.ledger import PRICES
    from relaycheck.run.plan import for_protocol, plan_target

    key = make_canary()
    err = io.StringIO()
    with DemoRelay(key=key) as relay:
        relay.set_fault(Fault("usage_sixty_times", "reports 60x the completion tokens", behaviour=Behaviour(usage_completion_factor=60)))
        probe_targets = _targets(tmp_path, relay, PRICED)
        (target,) = load_targets(probe_targets)
        plan = plan_target(target, for_protocol(checklist.load().select("quick"), "openai", named=False))
        ceiling, cap = plan.max_cost, 2.5 * plan.max_cost
        probe_targets.write_text(probe_targets.read_text() + f"    max_cost_per_day: {cap}\n")
        code = watch(ProbeOptions(targets_file=probe_targets, progress=False),
                     WatchOptions(every="1s", jitter=0.0, cycles=3, history=tmp_path / "h.sqlite3"), {"K": key}, err)
        billed, booked = relay.ledger.spent(), list(relay.usage_log)
        sent = sum(1 for r in relay.log if r.path.startswith("/v1/chat"))
    assert code == 0, err.getvalue()
    lines = err.getvalue()
    assert "stopped after 1 cycle(s), 2 skipped" in lines and lines.count("skipped: today's spend") == 2, lines
    price_in, price_out, _ = PRICES["gpt-4o-mini"]
    each = sorted(((p * price_in + c * price_out) / 1e6 for _, _, p, c in booked), reverse=True)
    assert billed > ceiling and billed <= cap + sum(each[:target.concurrency])  # past the cap by requests in flight only
    assert sent < plan.max_requests // 2, (sent, plan.max_requests)  # the cycle stopped at the guard, well short of its plan
    with open_history(tmp_path / "h.sqlite3", create=False) as history:
        charged = sum(history.charged_on(time.strftime("%Y-%m-%d", time.gmtime())).values())
    assert charged == pytest.approx(billed)  # the watch counts what the relay booked, above the plan


def test_a_charge_above_the_plan_counts_whole_and_two_cycles_cannot_share_what_is_left():
    spend = DailySpend({"t": 1.0}, None, day="2026-12-01")
    assert spend.reserve("t", 0.3, "2026-12-01") == (None, 1.0)
    assert spend.settle("t", 0.3, 0.9, "2026-12-01") == 0.9  # the relay reported three times the plan: that counts
    refusal, _ = spend.reserve("t", 0.3, "2026-12-01")
    assert "would pass the target's max_cost_per_day" in refusal
    assert spend.reserve("t", 0.3, "2026-12-02")[0] is None  # a new UTC day starts from nothing
    assert DailySpend({}, 0.5).reserve("other", None)[0] == "a daily cap needs prices: the cycle's cost is unknown"
    # Two targets starting together under one total cap: the first reservation is taken before the second is judged.
    shared = DailySpend({}, 1.0, day="2026-12-01")
    assert shared.reserve("a", 0.6, "2026-12-01") == (None, 1.0)
    assert "would pass --max-cost-per-day" in shared.reserve("b", 0.6, "2026-12-01")[0]


def test_a_restarted_watch_starts_from_todays_charges_cycles_cut_short_included(tmp_path):
    with open_history(tmp_path / "h.db") as history:
        finished = history.reserve_spend("2026-12-01", "t", 0.3)
        history.settle_spend(finished, 0.25)
        history.reserve_spend("2026-12-01", "t", 0.3)  # stopped half-way: its reservation stands
        history.reserve_spend("2026-11-30", "t", 5.0)  # yesterday's
        assert history.charged_on("2026-12-01") == {"t": pytest.approx(0.55)}


def test_a_cap_no_cycle_can_fit_or_a_cap_without_prices_is_refused_at_once(tmp_path):
    with DemoRelay(key="sk-demo-cap-0123456789") as relay:
        tight = _targets(tmp_path, relay, PRICED + "    max_cost_per_day: 0.0000001\n")
        with pytest.raises(UsageError, match="no cycle could ever run"):
            watch(ProbeOptions(targets_file=tight), WatchOptions(every="1s", cycles=1, history=tmp_path / "h.db"), {"K": relay.key}, io.StringIO())
        unpriced = _targets(tmp_path, relay, "    max_cost_per_day: 1\n")
        with pytest.raises(UsageError, match="a daily cap needs prices"):
            watch(ProbeOptions(targets_file=unpriced), WatchOptions(every="1s", cycles=1, history=tmp_path / "h.db"), {"K": relay.key}, io.StringIO())


def test_intervals_and_the_schedule():
    assert [parse_interval(t) for t in ("90", "30s", "15m", "1.5h", "1d")] == [90, 30, 900, 5400, 86400]
    for bad in ("", "fast", "-5m", "0.1s", "15 minutes"):
        with pytest.raises(UsageError):
            parse_interval(bad)
    a, b = Schedule(0.0, 60.0, 0.2, "a"), Schedule(0.0, 60.0, 0.2, "a")
    assert [a.due(k) for k in range(5)] == [b.due(k) for k in range(5)]  # the same spread after a restart
    assert all(60 * k <= a.due(k) <= 60 * k + 12 for k in range(5))
    assert a.next_cycle(0, now=30.0) == 1 and a.next_cycle(0, now=200.0) == 3  # cycles missed by a slow run are skipped


def test_sigterm_stops_a_running_watch_cleanly(tmp_path):
    key = "sk-demo-sigterm-0123456789"
    with DemoRelay(key=key) as relay:
        targets = _targets(tmp_path, relay)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "K": key}
        proc = subprocess.Popen([sys.executable, "-m", "relaycheck", "watch", "-t", str(targets), "--every", "1s", "--history", str(tmp_path / "h.db")],
                                stderr=subprocess.PIPE, text=True, env=env)
        try:
            seen = []
            for line in proc.stderr:  # the first finished cycle, however long the machine takes to get there
                seen.append(line)
                if "cycle 1 (run 1)" in line:
                    break
            proc.send_signal(signal.SIGTERM)
            _, rest = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 0, "".join(seen) + rest
    assert "stopped after" in rest and "Traceback" not in rest


def test_bad_watch_input_is_one_line_and_exit_2(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    for args, words in ((("--every", "soon", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"), "--every must be a duration"),
                        (("--cycles", "0", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"), "--cycles must be 1 or more"),
                        (("--metrics-port", "70000", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"), "--metrics-port must be"),
                        (("--history", str(tmp_path / "no" / "h.db"), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"), "does not exist")):
        done = subprocess.run([sys.executable, "-m", "relaycheck", "watch", *args], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def _when_said(stream: io.StringIO, times: int, words: str, then, bound_s: float = 120.0) -> None:
    """Call `then` once `stream` holds `words` on `times` lines (or after bound_s, so a failing run ends too)."""
    deadline = time.monotonic() + bound_s
    while sum(words in line for line in stream.getvalue().splitlines()) < times and time.monotonic() < deadline:
        time.sleep(0.02)
    then()


def test_a_slow_target_never_delays_another_targets_cycles(tmp_path):
    # The slow relay answers after 8 s; the fast one's three cycles (due at 0, 1 and 2 s) are all recorded before the
    # slow one finishes its first: each target runs on its own schedule. (The slow side is sleep, not CPU: a loaded
    # machine stretches the fast side's milliseconds, not the slow side's seconds.)
    err = io.StringIO()
    with DemoRelay(key="sk-demo-fast-0123456789") as fast, DemoRelay(key="sk-demo-slow-0123456789", latency_ms=8000) as slow:
        targets = tmp_path / "targets.yaml"
        targets.write_text("targets:\n"
                           f"  - {{name: fast, base_url: '{fast.base_url}', api_key_env: FAST, models: [gpt-4o-mini]}}\n"
                           f"  - {{name: slow, base_url: '{slow.base_url}', api_key_env: SLOW, models: [gpt-4o-mini], timeout_s: 30}}\n")
        # Once the fast side's three cycles are in, the slow relay answers at once from its next request on: the one
        # it is sleeping on still takes its 8 s, so the order is decided as before, without 40 s of slow cycles after.
        quick = threading.Thread(target=_when_said, args=(err, 3, " cycle ", lambda: setattr(slow, "latency_ms", 0.0)), daemon=True)
        quick.start()
        code = watch(ProbeOptions(targets_file=targets, only=("base.api_root",), progress=False),
                     WatchOptions(every="1s", jitter=0.0, cycles=3, history=tmp_path / "h.db"),
                     {"FAST": fast.key, "SLOW": slow.key}, err)
    assert code == 0, err.getvalue()
    order = [line.split()[1] for line in err.getvalue().splitlines() if " cycle " in line]
    assert order[:4] == ["fast", "fast", "fast", "slow"], err.getvalue()


def test_metrics_served_over_http_are_scanned_like_every_output():
    from relaycheck.redaction.redact import Redactor
    from relaycheck.watch.metrics import WatchMetrics

    key = make_canary()
    metrics = WatchMetrics(Redactor([key]))
    metrics.skipped("local")
    server = metrics.serve(0)
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    try:
        answer = httpx.get(url)
        assert answer.status_code == 200 and 'relaycheck_cycles_total{outcome="skipped",target="local"} 1.0' in answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        openmetrics = httpx.get(url, headers={"accept": "application/openmetrics-text; version=1.0.0"})
        assert openmetrics.headers["content-type"].startswith("application/openmetrics-text") and openmetrics.text.endswith("# EOF\n")
        metrics.drift.labels(key, "check_regressed").inc()  # past the label redaction, as a bug would be
        leaked = httpx.get(url)
        assert leaked.status_code == 500 and leaked.content == b""
        assert httpx.get(url.replace("/metrics", "/other")).status_code == 404
        with pytest.raises(UsageError, match="cannot listen"):
            metrics.serve(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_freed_memory_is_given_back_at_most_every_ten_seconds():
    import platform

    from relaycheck.watch.trim import MIN_INTERVAL_S, FreedMemory

    now = [100.0]
    trim = FreedMemory(lambda: now[0])
    if platform.libc_ver()[0] == "glibc":
        assert trim.available  # this machine's allocator keeps freed pages mapped unless asked
    else:
        pytest.skip("not glibc: its allocator returns freed memory by itself")
    assert trim.maybe() and not trim.maybe()  # the first cycle trims; the next one, a moment later, does not
    now[0] += MIN_INTERVAL_S - 0.1
    assert not trim.maybe()
    now[0] += 0.2
    assert trim.maybe() and trim.trims == 2
