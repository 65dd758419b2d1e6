"""A canary key must never appear in any output: every format, stdout, stderr and files.

Every demo fault is held to the same bar by the one run per fault in test_demo_e2e.py (its flips and its outputs).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import assert_no_leak, bundle_texts, make_canary, run_probe
from relaycheck.redaction.redact import key_id

FORMATS = ("terminal", "json", "md", "junit", "html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_written_by_probe_itself_is_clean(tmp_path, canary, fmt):
    # The direct path per format, on the fault that sends both keys back in its error bodies.
    empty = make_canary()
    output = tmp_path / f"report.{fmt}"
    run = run_probe(tmp_path, env={"K": canary, "E": empty}, demo=True, fault="key_echo", api_key_env="K", empty_key_env="E",
                    fmt=fmt, output=output, lang="zh" if fmt in ("md", "html") else "en")
    for secret in (canary, empty):
        assert_no_leak(secret, run.stdout, run.stderr, output.read_text())
    assert key_id(canary) in output.read_text() or fmt == "terminal" and key_id(canary) in run.stdout


class _EchoRelay(BaseHTTPRequestHandler):
    """A careless relay that reflects the presented key everywhere it can."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status, body, ctype, **headers):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        key = self.headers.get("authorization", "").removeprefix("Bearer ")
        self._reply(307, "", "text/plain", location=f"http://127.0.0.1:9/v1/models?key={key}", x_echo_key=key)

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        key = self.headers.get("authorization", "").removeprefix("Bearer ") or body.get("api_key", "")
        if body.get("stream"):
            frame = f'data: {{"error": {{"message": "bad key {key}"}}}}\n\ndata: ping {key}\n\n'
            self._reply(200, frame, "text/event-stream", x_echo_key=key)
        elif "authorization" in self.headers:
            self._reply(401, json.dumps({"error": {"message": f"Incorrect API key provided: {key}", "code": "invalid_api_key"}}), "application/json")
        else:
            self._reply(500, f"<html>upstream rejected {key}</html>", "text/html", set_cookie=f"session={key}")


@pytest.fixture
def echo_relay():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoRelay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_relay_echoing_the_key_everywhere_is_redacted_in_every_format(tmp_path, canary, echo_relay, fmt):
    output = tmp_path / f"echo.{fmt}"
    run = run_probe(tmp_path, env={"K": canary}, base_url=echo_relay, models=("gpt-4o-mini",), api_key_env="K", fmt=fmt, output=output,
                    bundle=tmp_path / "bundle")
    assert_no_leak(canary, run.stdout, run.stderr, output.read_text(), *bundle_texts(tmp_path / "bundle"))
    assert run.code == 1


def test_the_real_cli_with_debug_and_errors_never_prints_the_key(tmp_path, canary):
    env = {"CANARY_KEY": canary, "PATH": "/usr/bin:/bin", "OPENAI_API_KEY": canary}
    runs = [
        [sys.executable, "-m", "relaycheck", "probe", "--demo", "--fault", "body_key", "--api-key-env", "CANARY_KEY", "--debug", "--format", "md"],
        [sys.executable, "-m", "relaycheck", "probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "gpt-4o-mini", "--debug", "--timeout", "2"],
        [sys.executable, "-m", "relaycheck", "probe", "--base-url", f"http://127.0.0.1:9/v1?key={canary}", "--model", "m"],
        [sys.executable, "-m", "relaycheck", "probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--check", canary],
    ]
    for argv in runs:
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
        assert_no_leak(canary, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_echoed_keys_are_seen_by_the_relay_and_never_by_the_reader(tmp_path, canary):
    # The key_echo fault really sends both keys back: the evidence flags it, the report shows neither.
    empty = make_canary()
    run = run_probe(tmp_path, env={"K": canary, "E": empty}, demo=True, fault="key_echo", api_key_env="K", empty_key_env="E")
    target = run.report["targets"][0]
    echoed = {x["label"] for x in target["exchanges"] if x["key_echoed"]}
    assert echoed == {"wrong key", "empty-balance key"}
    assert_no_leak(canary, json.dumps(run.report))
    assert_no_leak(empty, json.dumps(run.report))
