"""What a relaycheck command costs before it does anything: the CPU of refusing a bad flag, of `--help`, and of
rendering a saved report, each run as a child process N times (the median is printed).

Every CLI test of the suite pays this start-up, and so does every CI job that runs relaycheck. The typer in use is
named, since its version moves the figure most (BENCHMARKS.md, section 10).
Usage: python benchmarks/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu_of(argv: list[str], env: dict[str, str], cwd: str) -> float:
    """User + system CPU seconds of one child run of argv."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    import typer

    cli = [sys.executable, "-m", "relaycheck"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "PYTHONPATH": str(ROOT)}
        report = Path(tmp) / "report.json"
        subprocess.run([*cli, "probe", "--demo", "--no-progress", "--profile", "quick", "--format", "json", "--output", str(report)],
                       env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        for argv in (cli, cli):  # the first runs compile relaycheck's bytecode; they are not counted
            _cpu_of([*argv, "--version"], env, tmp)
        cases = {
            "probe refusing a missing key (exit 2)": [*cli, "probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "NOT_SET"],
            "probe --help": [*cli, "probe", "--help"],
            "report of a saved quick run, as Markdown": [*cli, "report", str(report), "--format", "md", "--output", str(Path(tmp) / "r.md")],
        }
        print(f"relaycheck CLI start-up, median of {args.runs} child runs (typer {typer.__version__}, Python {sys.version.split()[0]})")
        for name, argv in cases.items():
            runs = [_cpu_of(argv, env, tmp) for _ in range(args.runs)]
            print(f"  {name:<44} {statistics.median(runs) * 1000:6.0f} ms of CPU")


if __name__ == "__main__":
    main()
