"""Every hostile relay mode in the suite, held to the same bar (issue 14's acceptance).

For each mode of tests/hostile_server.py and of every tests/hostile_*.py module: the real CLI (a child process)
ends with exit 0 or 1 and a report, within the deadlines plus a margin, under 150 MB, with no traceback, and no
12-character piece of the canary key, nor a decoded form of one, in stdout, stderr, the JSON report, the evidence
bundle, or the report re-rendered in every format (and both languages). The mode-specific verdicts are pinned by each
module's own tests (from this run, through the module's `expect`, where VERDICTS names one); this one holds the
properties every mode shares.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import html
import importlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import assert_meets_schema
from timing import load_factor

import hostile_server
from test_hostile import _RUN_AND_REPORT_PEAK

HERE = Path(__file__).parent
# Random-looking (none of its 12-character pieces occurs by chance) and not shaped like a provider key, so that only
# the redaction of the known key can hide it; "canary" first, as tests/hostile_redact.py's relays expect.
CANARY = "canary" + "7c3f9a1e5b2d8046f1a9c3e7b5d2086f4a1c9e3b"
PIECE = 12
TIMEOUT_S, IDLE_S = 4, 3
BOUND_S = 5 * TIMEOUT_S + 15  # the quick profile's longest chain of deadlines, start-up, rendering and a margin
PEAK_MB = 150
# Every format, and each language in some of them: the words around the evidence change with the language, the
# evidence (where a relay's text lands) does not.
RERENDERED = (("terminal", "en"), ("json", "en"), ("md", "zh"), ("junit", "en"), ("html", "zh"), ("terminal", "zh"))


def _modes() -> list[tuple[str, str]]:
    """(module, mode) for the base hostile relay and every hostile_*.py module beside this file."""
    found = [("hostile_server", m) for m in hostile_server.MODES]
    for path in sorted(HERE.glob("hostile_*.py")):
        if path.stem == "hostile_server":
            continue
        found += [(path.stem, m) for m in importlib.import_module(path.stem).MODES]
    return found


def _relay_class(module: str) -> type:
    mod = importlib.import_module(module)
    classes = [v for v in vars(mod).values() if isinstance(v, type) and issubclass(v, hostile_server.HostileRelay)]
    # The module's own subclass (the most derived one it defines), else the base relay.
    own = [c for c in classes if c.__module__ == module]
    return own[-1] if own else hostile_server.HostileRelay


_B64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _decoded_views(text: str) -> list[str]:
    """The text and what a reader could decode from it: %XX, HTML references, JSON \\u escapes, base64 runs."""
    views = [text, urllib.parse.unquote(text), html.unescape(text),
             _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)]
    for run in _B64_RUN.findall(text):
        for start in range(4):
            chunk = run[start:].rstrip("=")
            chunk = chunk[: len(chunk) - len(chunk) % 4] if len(chunk) % 4 == 1 else chunk
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    views.append(decode(chunk + "=" * (-len(chunk) % 4)).decode("latin-1"))
                except (binascii.Error, ValueError):
                    pass
    return views


def _pieces(secret: str) -> set[str]:
    return {secret[i : i + PIECE].lower() for i in range(len(secret) - PIECE + 1)}


_PIECES = sorted(_pieces(CANARY))


def _leaked_pieces(text: str) -> list[str]:
    # Every view joined by NUL (no piece holds one, so none can span two views) and lowered once, then a C substring
    # search per piece: every piece present is named, overlaps included. (One regex alternation of all the pieces
    # tried each at every position, and a search per base64 view paid Python's overhead per view: seconds a mode.)
    joined = "\x00".join(_decoded_views(text)).lower()
    return [p for p in _PIECES if p in joined]


def _all_outputs(tmp_path: Path, stdout: str, stderr: str) -> dict[str, str]:
    from relaycheck.report.load import load
    from relaycheck.render import render

    outputs = {"stdout": stdout, "stderr": stderr}
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path.name not in ("peak-kb.txt",):
            outputs[str(path.relative_to(tmp_path))] = path.read_text(encoding="utf-8", errors="replace")
    report = load(tmp_path / "report.json")
    for fmt, lang in RERENDERED:
        outputs[f"rendered {fmt} {lang}"] = render(report, fmt, lang=lang)
    return outputs


@dataclasses.dataclass(frozen=True)
class SweepRun:
    """One mode's run, for the module's own verdicts: what the CLI did and wrote, and the relay it spoke to."""

    mode: str
    key: str
    code: int
    wall: float
    peak_mb: float
    stdout: str
    stderr: str
    report: dict
    relay: object
    tmp_path: Path


# The test module holding a hostile module's own verdicts, as `expect(run)`: the sweep's one run per mode is judged
# by both bars (a second run of the same mode only for those would double the cost of the hostile suite).
VERDICTS = {"hostile_server": "test_hostile", "hostile_stream": "test_hostile_stream", "hostile_tools": "test_hostile_tools",
            "hostile_redact": "test_hostile_redact"}


def _extra(module: str, mode: str) -> tuple[tuple[str, ...], float]:
    """CLI arguments a mode needs (a module's SWEEP_ARGS) and the seconds they add to the bound (SWEEP_EXTRA_S)."""
    mod = importlib.import_module(module)
    return tuple(getattr(mod, "SWEEP_ARGS", {}).get(mode, ())), float(getattr(mod, "SWEEP_EXTRA_S", {}).get(mode, 0.0))


@pytest.mark.parametrize("module,mode", _modes(), ids=lambda v: v)
def test_every_hostile_mode_meets_the_common_bar(module, mode, tmp_path):
    relay = _relay_class(module)(mode)
    extra_args, extra_s = _extra(module, mode)
    peak, out = tmp_path / "peak-kb.txt", tmp_path / "report.json"
    with relay.running() as base_url:
        argv = [sys.executable, "-c", _RUN_AND_REPORT_PEAK, str(peak), "probe", "--base-url", base_url, "--model", "gpt-4o-mini",
                "--api-key-env", "HOSTILE_KEY", "--profile", "quick", "--timeout", str(TIMEOUT_S), "--idle-timeout", str(IDLE_S),
                "--concurrency", "8", "--no-progress", "--format", "json", "--output", str(out), "--bundle", str(tmp_path / "bundle"), *extra_args]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOSTILE_KEY": CANARY}
        start = time.monotonic()
        run = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=BOUND_S * 4 * load_factor())
        wall = time.monotonic() - start
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode in (0, 1), (run.returncode, run.stderr[-2000:])
    assert out.exists(), run.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))  # strict JSON, whatever the relay sent
    assert_meets_schema(report)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*tmp*")), "a temporary file was left behind"
    assert wall < (BOUND_S + extra_s) * load_factor(), f"{mode}: {wall:.1f} s (load factor {load_factor():.1f})"
    peak_mb = int(peak.read_text()) / 1024
    assert peak_mb < PEAK_MB, f"{mode}: peak RSS {peak_mb:.0f} MB"
    if module in VERDICTS:
        importlib.import_module(VERDICTS[module]).expect(SweepRun(mode, CANARY, run.returncode, wall, peak_mb, run.stdout, run.stderr, report,
                                                                   relay, tmp_path))
    seen: set[str] = set()
    for where, text in _all_outputs(tmp_path, run.stdout, run.stderr).items():
        if text in seen:  # the report in the bundle, beside it and rendered again as JSON: the same text, read once
            continue
        seen.add(text)
        leaked = _leaked_pieces(text)
        assert not leaked, f"{mode}: {where} holds pieces of the key: {leaked[:3]}"


def test_the_leak_detector_sees_pieces_and_decoded_forms():
    # The bar above is only as good as its detector: each of these must be caught.
    piece = CANARY[5:5 + PIECE]
    for text in (piece, piece.upper(), urllib.parse.quote(piece, safe=""), "".join(f"&#{ord(c)};" for c in piece),
                 "".join(f"\\u{ord(c):04x}" for c in piece), base64.b64encode(b"xx" + CANARY.encode()).decode()):
        assert _leaked_pieces(f"noise {text} noise"), text
    assert not _leaked_pieces("an ordinary report about gpt-4o-mini and [redacted …9e3b #0123abcd]")
