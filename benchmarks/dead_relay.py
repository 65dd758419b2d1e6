"""Dead and trickling relays: how long a default run takes to report against them (issue 15, case 13).

Three relays on 127.0.0.1, each probed by the CLI as a child process with default settings (full profile,
90 s request deadline, 30 s idle timeout), timed from start to exit:
- a closed port (connection refused),
- a relay that accepts connections and never answers (no byte, ever),
- a relay that answers GET /v1/models at once but trickles one byte every two seconds on every completion
  (the relay that once took 4 min 10 s).
The run must stop sending once the relay has shown it cannot answer in time, and report within about one
request deadline plus a margin (under 2 minutes). Usage: python benchmarks/dead_relay.py [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_server import HostileRelay  # noqa: E402  (the test suite's raw-socket relay, trickle mode)

KEY = "sk-benchmark-dead-5c1e9a7f30b2d84e6a1c"


@contextmanager
def closed_port() -> Iterator[str]:
    """A port nothing listens on (bound, then closed)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield f"http://127.0.0.1:{port}/v1"


@contextmanager
def silent() -> Iterator[str]:
    """Accepts every connection, reads the request, never writes a byte."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        stop.set()
        for conn in held:
            conn.close()
        sock.close()


@contextmanager
def trickle() -> Iterator[str]:
    with HostileRelay("trickle").running() as base_url:
        yield base_url


RELAYS = {"closed_port": closed_port, "silent": silent, "trickle": trickle}


def run(name: str) -> tuple[float, int, dict[str, int]]:
    """Wall seconds, exit code and the exchanges by outcome of one default run against relay `name`."""
    with RELAYS[name]() as base_url, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        argv = [sys.executable, "-m", "relaycheck", "probe", "--base-url", base_url, "--model", "gpt-4o-mini", "--api-key-env", "BENCH_KEY",
                "--no-progress", "--format", "json", "--output", str(out)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BENCH_KEY": KEY}
        start = time.monotonic()
        code = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp, timeout=600).returncode
        wall = time.monotonic() - start
        outcomes: dict[str, int] = {}
        for x in json.loads(out.read_text())["targets"][0]["exchanges"]:
            kind = (x["error"] or {}).get("kind") or f"HTTP {x['response']['status']}"
            outcomes[kind] = outcomes.get(kind, 0) + 1
    return wall, code, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(RELAYS))
    args = parser.parse_args()
    print(f"{'relay':<12} {'wall s':>7} {'exit':>4}  exchanges by outcome")
    for name in [args.only] if args.only else list(RELAYS):
        wall, code, outcomes = run(name)
        shown = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        print(f"{name:<12} {wall:7.1f} {code:>4}  {shown}", flush=True)


if __name__ == "__main__":
    main()
