"""Peak memory stays under issue 8's 120 MB: a full default run, and a 100,000-token reply (stream and non-stream).

Each run is a child process that writes its own VmHWM at exit (see tests/test_hostile.py for why not wait4);
the demo relay runs in this process, so its memory is not counted. benchmarks/run.py prints the same figures.
"""

from __future__ import annotations

import os
import subprocess
import sys

from relaycheck.demo.server import DemoRelay

PEAK_MB = 120
KEY = "sk-memory-test-key-0000000000001"

_PEAK = (
    "import atexit, sys\n"
    "where = sys.argv[1]\n"
    "atexit.register(lambda: open(where, 'w').write(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]))\n"
)
_CLI = _PEAK + "sys.argv = ['relaycheck'] + sys.argv[2:]\nfrom relaycheck.cli import main\nmain()\n"
# A target file cannot ask for more than 20,000 reply tokens; the library can, as the benchmark does.
_LONG = _PEAK + (
    "from relaycheck.core import checklist\n"
    "from relaycheck.run.plan import plan_target\n"
    "from relaycheck.run.runner import RunOptions, run_all_sync\n"
    "from relaycheck.config.targets import Target, TargetKeys\n"
    "target = Target(name='m', base_url=sys.argv[2], api_key_env='K', models=('gpt-4o-mini',), long_reply_tokens=100_000,\n"
    "                timeout_s=120, idle_timeout_s=30)\n"
    "_, _, runs = run_all_sync((plan_target(target, ('long.complete', 'long.no_stall')),), {'m': TargetKeys(main=sys.argv[3])}, RunOptions())\n"
    "stream = next(x for x in runs[0].exchanges if x.probe == 'long' and x.events)\n"
    "print(stream.events_total, len(stream.events))\n"
)


def _peak_mb(code: str, args: list[str], tmp_path) -> tuple[float, subprocess.CompletedProcess]:
    where = tmp_path / "peak-kb"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "K": KEY}
    done = subprocess.run([sys.executable, "-c", code, str(where), *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert where.exists(), done.stderr[-2000:]
    return int(where.read_text()) / 1024, done


def test_a_full_run_stays_under_120_mb(tmp_path):
    with DemoRelay(key=KEY) as relay:
        peak, done = _peak_mb(_CLI, ["probe", "--base-url", relay.base_url, "--model", "gpt-4o-mini", "--api-key-env", "K", "--no-progress",
                                     "--format", "json", "--output", str(tmp_path / "r.json")], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert peak < PEAK_MB, f"peak RSS {peak:.0f} MB"


def test_a_100000_token_reply_stays_under_120_mb_and_its_evidence_is_capped(tmp_path):
    with DemoRelay(key=KEY, token_ms=0.05, ceilings=False) as relay:
        peak, done = _peak_mb(_LONG, [relay.base_url, KEY], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    total, kept = map(int, done.stdout.split())
    assert total > 50_000 and kept == 50_000  # the rest of the stream is counted, not stored
    assert peak < PEAK_MB, f"peak RSS {peak:.0f} MB"
