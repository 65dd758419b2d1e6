"""The fixed demo-relay scenario behind the golden files, and the normalisation of its volatile fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import run_probe
from relaycheck.report.load import from_dict

GOLDEN_DIR = Path(__file__).parent / "golden"
# A fixed key makes the masked key id stable; it is a test key for the demo relay only.
GOLDEN_KEY = "sk-golden-demo-relay-key-0000"
SCENARIO = {"demo": True, "fault": "wrong_model", "profile": "quick", "concurrency": 1, "api_key_env": "GOLDEN_KEY"}

# Values that change from run to run: times, ports, durations, random nonces and probe keys.
_TIMING_KEYS = {"t_ms", "headers_ms", "first_byte_ms", "first_event_ms", "end_ms", "started_at", "finished_at", "latency_ms",
                "ttft_ms", "span_ms", "tokens_per_s", "arrivals", "content_chunks"}
_PATTERNS = (
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?"), "<time>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"), "<http-date>"),
    (re.compile(r"relaycheck-nonce-[A-Za-z0-9]+"), "relaycheck-nonce-<nonce>"),
    (re.compile(r"relaycheck-no-such-model-[0-9a-f]+"), "relaycheck-no-such-model-<random>"),
    (re.compile(r"\[redacted (?!sk-…0000)[^\]]*\]"), "[redacted <probe key>]"),
    (re.compile(r"sk-\*+[A-Za-z0-9]{4}"), "sk-****<last4>"),
    (re.compile(r'(\\?"created\\?": ?)\d+'), r"\g<1><epoch>"),
    (re.compile(r"\b\d+(?:\.\d+)? ?(ms|s)\b"), r"<n> \1"),
    (re.compile(r"\b\d+(?:\.\d+)? tokens/s"), "<n> tokens/s"),
    (re.compile(r"\b\d+(?:\.\d+)? (chunks over|chunks)\b"), r"<n> \1"),
    (re.compile(r'\btime="[0-9.]+"'), 'time="0.000"'),  # stays valid JUnit
    (re.compile(r'timestamp="<time>"'), 'timestamp="2000-01-01T00:00:00"'),  # after the ISO rule; stays valid JUnit
    (re.compile(r"BaseHTTP/[0-9.]+ Python/[0-9.]+"), "BaseHTTP/<v> Python/<v>"),
    (re.compile(r"relaycheck \d+\.\d+\.\d+"), "relaycheck <version>"),
    (re.compile(r'"version": "\d+\.\d+\.\d+"'), '"version": "<version>"'),
    (re.compile(r'name="tool_version" value="[^"]+"'), 'name="tool_version" value="<version>"'),
)


def _blank_timings(obj):
    if isinstance(obj, dict):
        return {k: ("<t>" if k in _TIMING_KEYS and obj[k] is not None else _blank_timings(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_blank_timings(v) for v in obj]
    return obj


def normalise(text: str) -> str:
    """Replace every volatile value with a placeholder so two runs of the scenario give the same text."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def normalise_json(text: str) -> str:
    """Blank timing fields structurally, then apply the text rules."""
    return normalise(json.dumps(_blank_timings(json.loads(text)), indent=2, ensure_ascii=False) + "\n")


def run_scenario(tmp_path: Path) -> dict:
    """Probe the demo relay with the scenario; return the JSON report."""
    run = run_probe(tmp_path, env={"GOLDEN_KEY": GOLDEN_KEY}, **SCENARIO)
    assert run.report is not None, run.stderr
    return run.report


def report_of(data: dict):
    """The Report object for a JSON report dict."""
    return from_dict(data)
