"""relaycheck's benchmarks: critical path, clock fidelity, start-up, memory and tokens spent, each beside its target.

Plain Python with stdlib timing; everything runs on 127.0.0.1 against the embedded demo relay (and the hostile
relays of the test suite). Usage: python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the hostile relays live with the tests

from relaycheck.core import checklist  # noqa: E402
from relaycheck.checks import registry  # noqa: E402
from relaycheck.demo.server import DemoRelay  # noqa: E402
from relaycheck.run.plan import plan_target  # noqa: E402
from relaycheck.run.runner import RunOptions, run_all_sync  # noqa: E402
from relaycheck.config.targets import Target, TargetKeys  # noqa: E402

KEY = "sk-benchmark-demo-key-0001"
SEQUENTIAL_STAGES = ("root", "balance before", "auth", "balance after", "burst")


def _row(name: str, measured: str, target: str, ok: bool | None) -> None:
    mark = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"  {name:<62} {measured:<30} {('target ' + target) if target else ''}{mark}")


def _target(relay: DemoRelay, name: str = "bench", models: tuple[str, ...] = ("gpt-4o-mini",), **extra) -> Target:
    return Target(name=name, base_url=relay.base_url, api_key_env="K", models=models, **extra)


def _run(targets: list[Target], check_ids: tuple[str, ...]):
    """Run targets in-process; return wall seconds, runs and (target, exchange, perf end) records."""
    plans = tuple(plan_target(t, check_ids) for t in targets)
    keys = {t.name: TargetKeys(main=KEY) for t in targets}
    records: list[tuple[str, object, float]] = []
    start = time.perf_counter()
    _, _, runs = run_all_sync(plans, keys, RunOptions(), lambda name, x: records.append((name, x, time.perf_counter())))
    return time.perf_counter() - start, runs, records


def _stage(x, first_model: str | None) -> str:
    """The schedule stage (relaycheck.run.schedule) an exchange ran in."""
    if x.probe == "root":
        return "root"
    if x.probe == "balance":
        return "balance before" if x.label.startswith("balance before") else "balance after"
    if x.probe == "chat" and x.model == first_model:  # auth discovery runs on the first model, before the rest
        return "auth"
    return "burst" if x.probe == "burst" else "probes"


def critical_path(records: list[tuple[str, object, float]], name: str, cap: int) -> tuple[float, float]:
    """(longest dependency chain, the same bounded by the cap): sequential stages count whole; the concurrent stage
    counts its longest request (a polite retry together with what it retried) or, when longer, its total request
    time divided by the cap, since no schedule can beat either."""
    spans: dict[str, list[tuple[float, float]]] = {}
    by_id = {}
    first_model = next((x.model for target, x, _ in records if target == name and x.probe == "chat"), None)
    for target, x, end in records:
        if target != name:
            continue
        begin = end - (x.timings.end_ms or 0.0) / 1000.0
        by_id[x.id] = (begin, end)
        spans.setdefault(_stage(x, first_model), []).append((begin, end))
    chain = bounded = 0.0
    for stage, items in spans.items():
        if stage in SEQUENTIAL_STAGES:
            whole = max(e for _, e in items) - min(b for b, _ in items)
            chain, bounded = chain + whole, bounded + whole
            continue
        chains = [e - b for b, e in items]
        for target, x, end in records:
            if target == name and x.retry_of and x.retry_of in by_id and _stage(x, first_model) == stage:
                chains.append(end - by_id[x.retry_of][0])
        chain += max(chains)
        bounded += max(max(chains), sum(e - b for b, e in items) / cap)
    return chain, bounded


def _report_run(label: str, wall: float, records, names: tuple[str, ...], cap: int, judged: bool) -> None:
    paths = [critical_path(records, n, cap) for n in names]
    chain, bounded = max(p[0] for p in paths), max(p[1] for p in paths)
    _row(f"{label}: run / critical path under the cap", f"{wall:.2f} s / {bounded:.2f} s = {wall / bounded:.2f}x",
         "<= 1.25x" if judged else "(comparison)", wall / bounded <= 1.25 if judged else None)
    _row("    longest dependency chain alone (no cap)", f"{chain:.2f} s: run is {wall / chain:.2f}x", "", None)


def bench_critical_path(quick: bool) -> None:
    print("1. Critical path (demo relay: 300 ms per request, 3 ms per streamed token, full default checklist)")
    checks = checklist.load().select("full")
    with DemoRelay(key=KEY, latency_ms=300) as relay:
        for concurrency in (4, 1):
            relay.max_in_flight = 0
            wall, runs, records = _run([_target(relay, concurrency=concurrency)], checks)
            _report_run(f"one model, concurrency {concurrency}", wall, records, ("bench",), concurrency, concurrency == 4)
            _row(f"    requests at once (cap {concurrency})", str(relay.max_in_flight), f"<= {concurrency}", relay.max_in_flight <= concurrency)
        if not quick:
            relay.max_in_flight = 0
            wall, runs, records = _run([_target(relay, models=("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"))], checks)
            _report_run("three models, concurrency 4", wall, records, ("bench",), 4, True)
            _row("    requests at once (cap 4)", str(relay.max_in_flight), "<= 4", relay.max_in_flight <= 4)
    with DemoRelay(key=KEY, latency_ms=300) as a, DemoRelay(key=KEY, latency_ms=300) as b:
        wall, runs, records = _run([_target(a, "a"), _target(b, "b")], checks)
        _report_run("two targets in parallel, concurrency 4 each", wall, records, ("a", "b"), 4, True)
        _row("    requests at once per relay (cap 4)", f"{a.max_in_flight}, {b.max_in_flight}", "<= 4", max(a.max_in_flight, b.max_in_flight) <= 4)


def _content_times(x) -> list[float]:
    times = []
    for event, payload in x.event_payloads():
        choices = payload.get("choices") if isinstance(payload, dict) else None
        if isinstance(choices, list) and any(isinstance(c, dict) and (c.get("delta") or {}).get("content") for c in choices):
            times.append(event.t_ms)
    return times


def bench_clock(quick: bool) -> None:
    print("2. Clock fidelity (injected time to first token and gaps between chunks vs what relaycheck reports)")
    ttft_errors, gap_errors = [], []
    token_ms = 20.0
    for injected in (50.0, 150.0, 400.0):
        with DemoRelay(key=KEY, ttft_ms=injected, token_ms=token_ms) as relay:
            for _ in range(2 if quick else 5):
                _, runs, _ = _run([_target(relay)], ("stream.incremental",))
                result = next(r for r in runs[0].results if r.check_id == "stream.incremental")
                ttft_errors.append(result.verdict.metrics["ttft_ms"] - injected)
                stream = next(x for x in runs[0].exchanges if x.probe == "stream")
                times = _content_times(stream)
                gap_errors += [(b - a) - token_ms for a, b in zip(times, times[1:])]
    for name, errors in (("ttft_ms error (reported - injected)", ttft_errors), (f"chunk gap error ({token_ms:.0f} ms injected)", gap_errors)):
        med, p95 = statistics.median(errors), sorted(errors)[int(0.95 * (len(errors) - 1))]
        _row(f"{name}, n={len(errors)}", f"median {med:+.2f} ms, p95 {p95:+.2f} ms", "median within 5 ms", abs(med) <= 5)
    with DemoRelay(key=KEY, token_ms=0.5, long_stall_s=1.0, fault=_fault("long_stall")) as relay:
        _, runs, _ = _run([_target(relay, stall_threshold_s=0.5)], ("long.no_stall",))
        gap = next(r for r in runs[0].results if r.check_id == "long.no_stall").verdict.metrics["max_gap_ms"]
        injected = 1000.0 + 0.5  # the pause, then the paced piece after it
        _row("stall gap error (1 s pause injected)", f"{gap - injected:+.2f} ms", "within 5 ms", abs(gap - injected) <= 5)


def _fault(name: str):
    from relaycheck.demo.faults import FAULTS

    return FAULTS[name]


def _median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_startup(quick: bool) -> None:
    print("3. Start-up (median of wall times, each a fresh process)")
    runs = 5 if quick else 15
    exe = shutil.which("relaycheck")
    cli = [exe] if exe else [sys.executable, "-m", "relaycheck"]
    httpx_s = _median_seconds([sys.executable, "-c", "import httpx"], runs)
    _row("python -c 'import httpx' (reference)", f"{httpx_s * 1000:.0f} ms", "", None)
    for args in (["--help"], ["checks"]):
        took = _median_seconds(cli + args, runs)
        _row(f"relaycheck {' '.join(args)}", f"{took * 1000:.0f} ms = {took / httpx_s:.2f}x httpx", "< 300 ms and < 3x httpx",
             took < 0.3 and took < 3 * httpx_s)


_PEAK_WRAPPER = (
    "import atexit, sys\nwhere = sys.argv[1]\n"
    "atexit.register(lambda: open(where, 'w').write(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]))\n"
    "sys.argv = sys.argv[2:]\n"
    "exec(compile(open(sys.argv[0]).read(), sys.argv[0], 'exec'), {'__name__': '__main__', '__file__': sys.argv[0]})\n"
)


def _child_peak_mb(args: list[str]) -> float:
    """Run this script in a child (args select what it does) and return the child's own peak RSS (VmHWM)."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp) / "peak"
        done = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, str(where), __file__, *args], check=False,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "K": KEY}, timeout=600)
        if done.returncode != 0:  # a failed child would report a meaningless small peak
            raise RuntimeError(f"benchmark child failed: {done.stderr[-2000:]}")
        return int(where.read_text()) / 1024


def _child(argv: list[str]) -> None:
    """In a child: one full run against a base URL (optionally with a long reply of N tokens), nothing printed."""
    base, long_tokens = argv[0], int(argv[1])
    target = Target(name="child", base_url=base, api_key_env="K", models=("gpt-4o-mini",), long_reply_tokens=long_tokens,
                    timeout_s=120, idle_timeout_s=30)
    plan = plan_target(target, checklist.load().select("full" if long_tokens <= 20_000 else "quick") + (("long.complete",) if long_tokens > 20_000 else ()))
    run_all_sync((plan,), {"child": TargetKeys(main=KEY)}, RunOptions())


def _cli_peak_mb(base: str, extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        where, out = Path(tmp) / "peak", Path(tmp) / "r.json"
        code = ("import atexit, sys\nwhere = sys.argv[1]\n"
                "atexit.register(lambda: open(where, 'w').write(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]))\n"
                "sys.argv = ['relaycheck'] + sys.argv[2:]\nfrom relaycheck.cli import main\nmain()\n")
        subprocess.run([sys.executable, "-c", code, str(where), "probe", "--base-url", base, "--model", "gpt-4o-mini", "--api-key-env", "K",
                        "--no-progress", "--format", "json", "--output", str(out), *extra], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "K": KEY}, timeout=600)
        return int(where.read_text()) / 1024


def bench_memory(quick: bool) -> None:
    print("4. Memory (peak RSS of the relaycheck process alone: its VmHWM)")
    with DemoRelay(key=KEY) as relay:
        peak = _cli_peak_mb(relay.base_url, [])
        _row("full run, one model (CLI, JSON report)", f"{peak:.0f} MB", "< 120 MB", peak < 120)
    with DemoRelay(key=KEY, token_ms=0.05, ceilings=False) as relay:  # 100,000 tokens: past every published ceiling
        peak = _child_peak_mb(["--child", relay.base_url, "100000"])
        _row("a 100,000-token reply, stream and non-stream", f"{peak:.0f} MB", "< 120 MB", peak < 120)
    from hostile_server import MODES, HostileRelay

    worst, which = 0.0, ""
    for mode in MODES[:4] if quick else MODES:
        relay = HostileRelay(mode)
        with relay.running() as base:
            peak = _cli_peak_mb(base, ["--profile", "quick", "--timeout", "4", "--idle-timeout", "3", "--concurrency", "8"])
        if peak > worst:
            worst, which = peak, mode
    _row(f"hostile relays, worst of {len(MODES[:4] if quick else MODES)} ({which})", f"{worst:.0f} MB", "< 120 MB", worst < 120)


def bench_tokens(quick: bool) -> None:
    print("5. Tokens spent per model (the demo relay's own usage log, billed to the key)")
    probes_of = {cid: impl.probes for cid, impl in registry().items()}
    for profile, limit in (("full", 4000), ("quick", 200)):
        with DemoRelay(key=KEY) as relay:
            _, runs, _ = _run([_target(relay)], checklist.load().select(profile))
            usage = list(relay.usage_log)
        probe_of_body = {hashlib.sha256((x.request_body or "").encode()).hexdigest(): x.probe for x in runs[0].exchanges}
        per_probe: dict[str, int] = {}
        for digest, _model, prompt, completion in usage:
            probe = probe_of_body.get(digest, "?")
            per_probe[probe] = per_probe.get(probe, 0) + prompt + completion
        total = sum(per_probe.values())
        _row(f"{profile} profile, total", f"{total} tokens", f"<= {limit}", total <= limit)
        chosen = set(checklist.load().select(profile))
        for probe, tokens in sorted(per_probe.items(), key=lambda kv: -kv[1]):
            served = sorted(c for c, ps in probes_of.items() if probe in ps and c in chosen)
            print(f"      {probe:<10} {tokens:>6} tokens  for {', '.join(served)}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run of the benchmarks)")
    parser.add_argument("--only", choices=("critical", "clock", "startup", "memory", "tokens"), action="append")
    args = parser.parse_args()
    print(f"relaycheck benchmarks on {os.uname().nodename} ({os.cpu_count()} CPUs), Python {sys.version.split()[0]}\n")
    sections = {"critical": bench_critical_path, "clock": bench_clock, "startup": bench_startup, "memory": bench_memory, "tokens": bench_tokens}
    for name, fn in sections.items():
        if not args.only or name in args.only:
            fn(args.quick)
            print()


if __name__ == "__main__":
    main()
