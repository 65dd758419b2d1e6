"""A real Prometheus (Debian's package) scrapes a running watch's /metrics, and a metric comes back through its API."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from relaycheck.demo.server import DemoRelay

PROMETHEUS = shutil.which("prometheus")
# .ci/run installs Debian's prometheus and sets this, so that a missing server fails CI instead of skipping.
REQUIRED = os.environ.get("RELAYCHECK_REQUIRE_PROMETHEUS") == "1"
WAIT_S = 120  # start-up, a first cycle and a scrape: seconds on a quiet machine, a bound that only a hang reaches


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query(api: str, expr: str) -> list[dict]:
    try:
        answer = httpx.get(f"{api}/api/v1/query", params={"query": expr}, timeout=5)
    except httpx.HTTPError:
        return []  # not listening yet
    return answer.json()["data"]["result"] if answer.status_code == 200 else []


@pytest.mark.skipif(PROMETHEUS is None and not REQUIRED, reason="Debian's prometheus is not installed here (.ci/run installs it)")
def test_prometheus_scrapes_the_watch_and_answers_a_query(tmp_path):
    assert PROMETHEUS is not None, "RELAYCHECK_REQUIRE_PROMETHEUS=1 but prometheus is not installed"
    key = "sk-demo-prometheus-0123456789"
    metrics_port, api_port = _free_port(), _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: relaycheck\n"
                      f"    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n")
    with DemoRelay(key=key) as relay:
        targets = tmp_path / "targets.yaml"
        targets.write_text(f"targets:\n  - name: local\n    base_url: {relay.base_url}\n    api_key_env: K\n    models: [gpt-4o-mini]\n")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "K": key}
        watcher = subprocess.Popen([sys.executable, "-m", "relaycheck", "watch", "-t", str(targets), "--every", "2s", "--history", str(tmp_path / "h.db"),
                                    "--metrics-port", str(metrics_port)], stderr=subprocess.PIPE, text=True, env=env)
        server = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                   f"--web.listen-address=127.0.0.1:{api_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        api = f"http://127.0.0.1:{api_port}"
        try:
            deadline, found = time.monotonic() + WAIT_S, []
            while time.monotonic() < deadline and not found:
                found = _query(api, 'relaycheck_cycles_total{outcome="run",target="local"} >= 1')
                if not found:
                    time.sleep(0.5)
            assert found, "Prometheus never held relaycheck_cycles_total for the watch"
            assert found[0]["metric"]["job"] == "relaycheck" and float(found[0]["value"][1]) >= 1
            status = _query(api, 'relaycheck_check_status{check="chat.basic",status="pass",target="local"}')
            assert status and float(status[0]["value"][1]) == 1.0  # a verdict, scraped and queried back
        finally:
            server.terminate()
            watcher.send_signal(signal.SIGTERM)
            _, err = watcher.communicate(timeout=60)
            server.wait(timeout=30)
    assert watcher.returncode == 0 and "Traceback" not in err, err
