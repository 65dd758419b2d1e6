"""Many targets: wall time of one relaycheck run against N targets with one cheap check each, for N = 100, 300, 1000.

Issue 14 item 16: the run was quadratic in the targets (the final secret scan recomputed every key's forms on
every write; 100 targets took 18.5 s, 1,000 did not finish in 400 s). Each target here is the embedded demo relay
on 127.0.0.1 with its own name (and so its own generated wrong key, a secret like any other), one check
(`base.api_root`: the root probe's GET /models), the JSON report written to a file. The CLI runs as a child process,
timed from start to exit. Usage: python benchmarks/many_targets.py [--sizes 100,300,1000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relaycheck.demo import server as demo_server  # noqa: E402
from relaycheck.demo.server import DemoRelay  # noqa: E402

# Every target connects at once: with socketserver's default backlog of 5, most connects would wait for SYN
# retransmits (1 s, 3 s, ...) and the figure would measure the relay's listen queue, not relaycheck.
demo_server._Server.request_queue_size = 4096

KEY = "sk-benchmark-many-7f3a9c2e81b4d6f05a9e"
CHECK = "base.api_root"


def write_targets(path: Path, base_url: str, count: int) -> None:
    """A targets file of `count` targets, all on the one demo relay."""
    lines = ["targets:"]
    lines += [f"  - {{name: t{i:05d}, base_url: '{base_url}', api_key_env: BENCH_KEY, models: [gpt-4o-mini]}}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(count: int, base_url: str, workdir: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of one CLI run over `count` targets, and its exit code."""
    targets, out = workdir / f"targets-{count}.yaml", workdir / f"report-{count}.json"
    write_targets(targets, base_url, count)
    argv = [sys.executable, "-m", "relaycheck", "probe", "-t", str(targets), "--check", CHECK, "--no-progress",
            "--format", "json", "--output", str(out)]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BENCH_KEY": KEY, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.run(argv, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time as well: on a shared machine it moves less with the load than the wall time does.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,300,1000", help="comma-separated target counts")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print(f"many targets: one check ({CHECK}) per target, demo relay on 127.0.0.1, JSON report to a file")
    print(f"  {'targets':>8} {'wall':>9} {'per target':>11} {'CPU':>9} {'per target':>11}  exit")
    with DemoRelay(key=KEY) as relay, tempfile.TemporaryDirectory() as tmp:
        for count in sizes:
            wall, cpu, code = run(count, relay.base_url, Path(tmp))
            print(f"  {count:>8} {wall:>8.2f}s {wall / count * 1000:>8.1f} ms {cpu:>8.2f}s {cpu / count * 1000:>8.1f} ms  {code}")


if __name__ == "__main__":
    main()
