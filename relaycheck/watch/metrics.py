"""Prometheus metrics of a watch, with the official client: served on /metrics, or written for node_exporter."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from relaycheck.checks import STATUSES
from relaycheck.core.exits import SecretLeakError, UsageError
from relaycheck.redaction.redact import Redactor

if TYPE_CHECKING:
    from relaycheck.history.drift import Event
    from relaycheck.report.model import TargetReport

# Latency buckets in seconds: a relay's first token arrives in tens of milliseconds to tens of seconds.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_STATUS_VALUE = {status: i for i, status in enumerate(STATUSES)}


class WatchMetrics:
    """Every metric a watch exports, in its own registry (nothing of the process leaks into it). Label values are
    relay-named (targets, models) and go through the run's redactor like every output."""

    def __init__(self, redactor: Redactor) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.redactor = redactor
        self.registry = CollectorRegistry()
        r = self.registry
        self.check_status = Gauge("relaycheck_check_status", "1 for the check's current status (one series per status)",
                                  ["target", "model", "check", "status"], registry=r)
        self.last_run = Gauge("relaycheck_last_run_timestamp_seconds", "When the target's last cycle finished (Unix time)", ["target"], registry=r)
        self.duration = Gauge("relaycheck_run_duration_seconds", "How long the target's last cycle took", ["target"], registry=r)
        self.ttft = Histogram("relaycheck_ttft_seconds", "Time to the first streamed event of ordinary requests", ["target"], buckets=BUCKETS, registry=r)
        self.latency = Histogram("relaycheck_request_duration_seconds", "Total time of ordinary requests", ["target"], buckets=BUCKETS, registry=r)
        self.success = Gauge("relaycheck_success_ratio", "Share of the last cycle's ordinary requests answered 2xx", ["target"], registry=r)
        self.tokens = Counter("relaycheck_tokens_total", "Tokens the relay reported for relaycheck's requests", ["target"], registry=r)
        self.cost = Counter("relaycheck_cost_total", "What the watch charged its daily caps (planned maximum, or more if reported)", ["target", "currency"], registry=r)
        self.cycles = Counter("relaycheck_cycles_total", "Cycles by outcome: run or skipped (a cap, or a run still going)", ["target", "outcome"], registry=r)
        self.drift = Counter("relaycheck_drift_events_total", "Drift events by rule", ["target", "rule"], registry=r)

    def _label(self, value: str | None) -> str:
        return self.redactor.text(value or "")

    def observe(self, target: "TargetReport", duration_s: float, finished: float, charged: float | None, currency: str | None,
                success: float | None, tokens: int) -> None:
        """One finished cycle of a target."""
        from relaycheck.history.signals import ORDINARY_PROBES

        name = self._label(target.name)
        for c in target.checks:
            for status in STATUSES:
                self.check_status.labels(name, self._label(c.model), c.id, status).set(1.0 if c.status == status else 0.0)
        self.last_run.labels(name).set(finished)
        self.duration.labels(name).set(duration_s)
        for x in target.exchanges:
            if x.probe in ORDINARY_PROBES and x.method == "POST" and x.ok:
                if x.timings.first_event_ms is not None:
                    self.ttft.labels(name).observe(x.timings.first_event_ms / 1000.0)
                if x.timings.end_ms is not None:
                    self.latency.labels(name).observe(x.timings.end_ms / 1000.0)
        if success is not None:
            self.success.labels(name).set(success)
        self.tokens.labels(name).inc(tokens)
        if charged:
            self.cost.labels(name, currency or "").inc(charged)
        self.cycles.labels(name, "run").inc()

    def skipped(self, target: str) -> None:
        """A cycle that did not start."""
        self.cycles.labels(self._label(target), "skipped").inc()

    def drifted(self, events: list["Event"]) -> None:
        """Drift events of a cycle."""
        for e in events:
            self.drift.labels(self._label(e.target), e.rule).inc()

    def exposition(self, accept: str = "") -> tuple[str, str]:
        """The exposition in the format a scraper's Accept header asks for (Prometheus text by default), and its
        content type; checked for secrets like every output."""
        from prometheus_client.exposition import choose_encoder

        encode, kind = choose_encoder(accept)
        return self.redactor.assert_clean(encode(self.registry).decode("utf-8"), "metrics"), kind

    def serve(self, port: int, host: str = "127.0.0.1") -> "ThreadingHTTPServer":
        """Serve /metrics on `host:port` (loopback by default) in a background thread; returns the server. Each scrape
        is the same scanned exposition the textfile gets (prometheus-client's own server would skip the scan)."""
        try:
            server = ThreadingHTTPServer((host, port), _handler(self))
        except OSError as exc:  # taken, or a host this machine does not have
            raise UsageError(f"--metrics-port {port}: cannot listen on {host}: {exc.strerror or exc}") from None
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="relaycheck-metrics", daemon=True).start()
        return server

    def write_textfile(self, path: str) -> None:
        """Write the exposition for node_exporter's textfile collector (atomically: it reads whole files only)."""
        from relaycheck.output.write import write_file
        from pathlib import Path

        write_file(Path(path), self.exposition()[0])


def _handler(metrics: WatchMetrics) -> type[BaseHTTPRequestHandler]:
    """GET /metrics (or /) answers the exposition; a scrape that would carry a secret answers 500 with no body."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                self._answer(404, b"", "text/plain")
                return
            try:
                text, kind = metrics.exposition(self.headers.get("Accept", ""))
            except SecretLeakError:
                self._answer(500, b"", "text/plain")
                return
            self._answer(200, text.encode("utf-8"), kind)

        def _answer(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
            pass  # a scrape every 15 s is not news on stderr

    return Handler
