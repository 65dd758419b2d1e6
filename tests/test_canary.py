"""A canary key must never appear in any output: every format, every fault, stdout, stderr and files."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import make_canary, run_probe
from relaycheck.demo.faults import FAULTS
from relaycheck.report.load import from_dict
from relaycheck.output.write import OutputOptions, rerender
from relaycheck.render import render
from relaycheck.redaction.redact import Redactor, key_id

FORMATS = ("terminal", "json", "md", "junit", "html")


def _assert_clean(canary: str, *texts: str) -> None:
    redactor = Redactor([canary])
    for text in texts:
        assert not redactor.leaks(text), text[:2000]


def _bundle_texts(directory) -> list[str]:
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert len(files) > 3, files
    return [p.read_text(encoding="utf-8") for p in files]


@pytest.mark.parametrize("fault", [None, *sorted(FAULTS)])
def test_no_output_leaks_the_key_under_any_fault(tmp_path, canary, fault):
    # One run per fault writes HTML, the terminal summary and a bundle; every other format and language is then
    # rendered from the bundle's report through the same renderers and the `relaycheck report` path.
    empty = make_canary()  # the empty-balance key is a secret too
    env = {"CANARY_KEY": canary, "CANARY_EMPTY": empty}
    output, bundle = tmp_path / "report.html", tmp_path / "bundle"
    run = run_probe(tmp_path, env=env, demo=True, fault=fault, api_key_env="CANARY_KEY", empty_key_env="CANARY_EMPTY", fmt="html",
                    output=output, bundle=bundle)
    texts = [run.stdout, run.stderr, output.read_text(), *_bundle_texts(bundle)]
    report = from_dict(json.loads((bundle / "report.json").read_text()))
    texts += [render(report, fmt, lang=lang) for fmt in FORMATS for lang in ("en", "zh")]
    out = io.StringIO()
    rerender(bundle / "report.json", OutputOptions(fmt="md", lang="zh"), out)
    texts.append(out.getvalue())
    for secret in (canary, empty):
        _assert_clean(secret, *texts)
    # The canary was really in use: the report names it by its masked id (and the relay saw it).
    assert key_id(canary) in texts[2] and key_id(canary) in texts[-1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_written_by_probe_itself_is_clean(tmp_path, canary, fmt):
    # The direct path per format, on the fault that sends both keys back in its error bodies.
    empty = make_canary()
    output = tmp_path / f"report.{fmt}"
    run = run_probe(tmp_path, env={"K": canary, "E": empty}, demo=True, fault="key_echo", api_key_env="K", empty_key_env="E",
                    fmt=fmt, output=output, lang="zh" if fmt in ("md", "html") else "en")
    for secret in (canary, empty):
        _assert_clean(secret, run.stdout, run.stderr, output.read_text())
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
    _assert_clean(canary, run.stdout, run.stderr, output.read_text(), *_bundle_texts(tmp_path / "bundle"))
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
        _assert_clean(canary, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_echoed_keys_are_seen_by_the_relay_and_never_by_the_reader(tmp_path, canary):
    # The key_echo fault really sends both keys back: the evidence flags it, the report shows neither.
    empty = make_canary()
    run = run_probe(tmp_path, env={"K": canary, "E": empty}, demo=True, fault="key_echo", api_key_env="K", empty_key_env="E")
    target = run.report["targets"][0]
    echoed = {x["label"] for x in target["exchanges"] if x["key_echoed"]}
    assert echoed == {"wrong key", "empty-balance key"}
    _assert_clean(canary, json.dumps(run.report))
    _assert_clean(empty, json.dumps(run.report))
