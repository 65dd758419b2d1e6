"""A fleet under watch: one `relaycheck watch` (a child process) over N targets for several cycles.

Issue 21's scale bar: hundreds of targets in one process, with memory that does not grow cycle over cycle. Each
target is the embedded demo relay on 127.0.0.1 under its own name, checked with `chat.basic` and
`stream.complete` (a health check: three requests a cycle), every --every seconds with half the interval of
jitter. After each round (every target has finished that cycle), the child's resident memory and CPU time are read
from /proc; its peak (VmHWM) at the end. Usage: python benchmarks/watch_fleet.py [--targets 200] [--cycles 4] [--jitter 0.5]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relaycheck.demo import server as demo_server  # noqa: E402
from relaycheck.demo.server import DemoRelay  # noqa: E402

demo_server._Server.request_queue_size = 4096  # hundreds of targets connect at once (see many_targets.py)
KEY = "sk-benchmark-fleet-3c9e1a7f52b8d604"
# The watcher, with one sampler thread beside it: the number of memory blocks the interpreter holds
# (sys.getallocatedblocks: every Python allocation, small or large), written to a file five times a second. RSS says
# what the process holds from the system; this says whether Python's own live objects grow.
_WATCH_WITH_BLOCKS = (
    "import os, sys, threading, time\n"
    "where = sys.argv[1]\n"
    "def _sample():\n"
    "    while True:\n"
    "        with open(where + '.tmp', 'w') as f:\n"
    "            f.write(str(sys.getallocatedblocks()))\n"
    "        os.replace(where + '.tmp', where)\n"
    "        time.sleep(0.2)\n"
    "threading.Thread(target=_sample, daemon=True).start()\n"
    "sys.argv = ['relaycheck'] + sys.argv[2:]\n"
    "from relaycheck.cli import main\n"
    "main()\n"
)
CYCLE = re.compile(r"watch: (t\d+) cycle (\d+) \(run \d+\)")


def _proc(pid: int) -> tuple[float, int, int]:
    """CPU seconds (user + system), resident and peak resident memory in KiB, of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return ticks / 100.0, rss, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--every", type=int, default=20, help="seconds between a target's cycles")
    parser.add_argument("--jitter", type=float, default=0.5, help="share of the interval each cycle's start may move")
    parser.add_argument("--malloc-arena-max", type=int, default=0, help="MALLOC_ARENA_MAX for the watcher (0: glibc's default)")
    args = parser.parse_args()
    with DemoRelay(key=KEY) as relay, tempfile.TemporaryDirectory() as tmp:
        relay.rate_limit = 10**9  # one key for every target: the demo's per-key limit would measure 429s
        targets = Path(tmp) / "targets.yaml"
        lines = ["targets:"] + [f"  - {{name: t{i:04d}, base_url: '{relay.base_url}', api_key_env: BENCH_KEY, models: [gpt-4o-mini]}}"
                                for i in range(args.targets)]
        targets.write_text("\n".join(lines) + "\n", encoding="utf-8")
        blocks_file = Path(tmp) / "blocks.txt"
        argv = [sys.executable, "-c", _WATCH_WITH_BLOCKS, str(blocks_file), "watch", "-t", str(targets), "--every", f"{args.every}s", "--jitter", str(args.jitter),
                "--cycles", str(args.cycles), "--check", "chat.basic", "--check", "stream.complete", "--history", str(Path(tmp) / "h.db")]
        start = time.monotonic()
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "BENCH_KEY": KEY, "PYTHONPATH": str(ROOT)}
        if args.malloc_arena_max:
            env["MALLOC_ARENA_MAX"] = str(args.malloc_arena_max)  # glibc's arenas: one per thread by default
        child = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env)
        done: dict[int, int] = {}
        rounds: list[tuple[int, float, int, float, int]] = []  # (cycle, cpu s, rss KiB, wall s, Python's blocks)
        peak = 0
        for line in child.stderr:  # type: ignore[union-attr]
            match = CYCLE.search(line)
            if not match:
                continue
            cycle = int(match.group(2))
            done[cycle] = done.get(cycle, 0) + 1
            try:
                cpu, rss, peak = _proc(child.pid)
            except (FileNotFoundError, ProcessLookupError):
                break
            if done[cycle] == args.targets:
                blocks = int(blocks_file.read_text()) if blocks_file.exists() else 0
                rounds.append((cycle, cpu, rss, time.monotonic() - start, blocks))
        child.wait()
    print(f"relaycheck watch over {args.targets} targets, {args.cycles} cycles every {args.every} s, jitter {args.jitter:g}"
          " (chat.basic + stream.complete)")
    print(f"  {'cycle':<6} {'CPU in the cycle':<18} {'RSS after it':<14} {'Python blocks':<15} {'wall since start'}")
    previous = 0.0
    for cycle, cpu, rss, wall, blocks in rounds:
        print(f"  {cycle:<6} {cpu - previous:>8.2f} s{'':<8} {rss / 1024:>7.1f} MB{'':<4} {blocks:>13,}  {wall:>7.1f} s")
        previous = cpu
    print(f"  peak RSS {peak / 1024:.1f} MB; exit code {child.returncode}")
    _trend(rounds)


def _slope(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def _trend(rounds: list[tuple[int, float, int, float, int]]) -> None:
    """Least-squares slopes of RSS and of Python's blocks over the second half of the cycles (the first ones fill
    pools and connections)."""
    later = rounds[len(rounds) // 2:]
    if len(later) < 3:
        return
    xs = [float(r[0]) for r in later]
    rss = [r[2] / 1024 for r in later]
    blocks = [float(r[4]) for r in later]
    print(f"  RSS over cycles {int(xs[0])}-{int(xs[-1])}: {min(rss):.1f} to {max(rss):.1f} MB, slope {_slope(xs, rss) * 1024:+.0f} KiB a cycle")
    print(f"  Python blocks over those cycles: {min(blocks):,.0f} to {max(blocks):,.0f}, slope {_slope(xs, blocks):+,.0f} a cycle")


if __name__ == "__main__":
    main()
