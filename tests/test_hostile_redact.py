"""Hostile relays sending the caller's key back cut, split, shouted or escaped: no 12-character piece of it (or of
a decoded form of one) reaches any output, and errors.key_echo sees every echo the redactor hides.

The sweep (tests/test_hostile_sweep.py) runs the real CLI as a child process against each mode of
tests/hostile_redact.py on 127.0.0.1 with a canary key; `expect` searches its JSON report, bundle and terminal
output, and every format rendered from the JSON report.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from conftest import make_canary
from hostile_redact import CHECKS, MODES
from relaycheck.report.load import from_dict
from relaycheck.render import render

FORMATS = ("terminal", "json", "md", "junit", "html")

# mode -> (check, verdict): the finding each mode must produce besides a clean report
CASES = {
    "key_cut_404": ("errors.unknown_model", "pass"),
    "key_split_sse": ("stream.complete", "pass"),
    "key_split_choices": ("stream.sse", "pass"),
    "key_upper": ("errors.key_echo", "fail"),
    "echo_json_u": ("errors.key_echo", "fail"),
    "echo_html_entities": ("errors.key_echo", "fail"),
    "echo_percent": ("errors.key_echo", "fail"),
}


def pieces(secret: str, size: int = 12) -> set[str]:
    """Every `size`-character piece of the secret and of its encoded forms (base64 at each alignment, %XX), folded."""
    forms = {secret, urllib.parse.quote(secret, safe="")}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            text = encode(b"\0" * offset + secret.encode()).decode()
            # Only the characters that depend on the secret's bytes alone (not on what surrounds it in a blob).
            forms.add(text[-(-offset * 4 // 3) : (offset + len(secret.encode())) * 4 // 3])
    return {f[i : i + size].lower() for f in forms for i in range(len(f) - size + 1)}


def _decoded(text: str) -> list[str]:
    """The text and what a reader decoding it would see: %XX, HTML references, JSON \\u escapes."""
    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return [text, urllib.parse.unquote(text), html.unescape(text), unescaped]


def assert_no_piece(secret: str, texts: dict[str, str]) -> None:
    """No output (nor its decoded forms) holds a 12-character piece of the secret, compared case-insensitively."""
    found = pieces(secret)
    for where, text in texts.items():
        for variant in _decoded(text):
            low = variant.lower()
            hits = [p for p in found if p in low]
            assert not hits, (where, hits[:3], low[max(0, low.find(hits[0]) - 80) : low.find(hits[0]) + 40])


def _stream_texts(report: dict) -> dict[str, str]:
    """Each stream's delta contents reassembled (all choices in arrival order, and per choice)."""
    out = {}
    for x in report["targets"][0]["exchanges"]:
        lanes: dict[str, list[str]] = {"all": []}
        for event in (x.get("sse") or {}).get("events") or []:
            try:
                payload = json.loads(event.get("data") or "")
            except ValueError:
                continue
            for choice in payload.get("choices") or [] if isinstance(payload, dict) else []:
                text = (choice.get("delta") or {}).get("content") or ""
                lanes["all"].append(text)
                lanes.setdefault(str(choice.get("index")), []).append(text)
        for lane, parts in lanes.items():
            out[f"{x['id']} reassembled {lane}"] = "".join(parts)
    return out


def _cli(argv: list[str], key: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REDACT_KEY": key}
    if os.environ.get("PYTHONPATH"):  # run against another checkout of relaycheck (to see the tests fail without the fix)
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run([sys.executable, "-m", "relaycheck", *argv], capture_output=True, text=True, env=env, cwd=cwd, timeout=180)


def expect(run) -> None:
    """No piece of the key in any output of one mode of tests/hostile_redact.py, and the mode's finding, judged on the
    sweep's run of it (tests/test_hostile_sweep.py, with CHECKS selected: SWEEP_ARGS): its stdout and stderr, the JSON
    report, every bundle file, the report rendered in every format and both languages, each stream reassembled."""
    mode, key, report, tmp_path = run.mode, run.key, run.report, run.tmp_path
    texts = {"stdout": run.stdout, "stderr": run.stderr, "report.json": (tmp_path / "report.json").read_text()}
    bundle_files = [p for p in (tmp_path / "bundle").rglob("*") if p.is_file()]
    assert len(bundle_files) > 3, bundle_files
    texts.update({f"bundle {p.name}": p.read_text(encoding="utf-8") for p in bundle_files})
    loaded = from_dict(report)
    texts.update({f"rendered {fmt} {lang}": render(loaded, fmt, lang=lang) for fmt in FORMATS for lang in ("en", "zh")})
    texts.update(_stream_texts(report))
    assert_no_piece(key, texts)
    check_id, verdict = CASES[mode]
    finding = next(c for c in report["targets"][0]["checks"] if c["id"] == check_id)
    assert finding["status"] == verdict, finding
    if mode == "key_cut_404":  # the cut summary is there, ending in "…" right after the masked key
        assert "[redacted" in finding["summary"] and finding["summary"].endswith("…”"), finding
    if verdict == "fail":
        assert "echoed the presented key in full" in finding["summary"], finding


def test_every_case_is_a_mode_the_sweep_runs_with_the_checks():
    from hostile_redact import SWEEP_ARGS

    assert set(CASES) == set(MODES) == set(SWEEP_ARGS)
    assert all(SWEEP_ARGS[m] == tuple(a for c in CHECKS for a in ("--check", c)) for m in MODES)


@pytest.mark.parametrize("option, value", [("--base-url", "https://relay.example:{key}/v1"), ("--empty-key-env", "{key}")])
def test_a_key_typed_into_an_option_is_not_printed(option, value, tmp_path):
    # A key that is not sk- shaped, pasted where the URL (or a variable name) goes: the error names the mistake,
    # never the key, although it is rejected before any target, and so any key, is read.
    key = "Zq" + make_canary()[6:]
    argv = ["probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "REDACT_KEY", option, value.format(key=key)]
    run = _cli(argv, key, tmp_path)
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr and "relaycheck: error:" in run.stderr, run.stderr
    assert_no_piece(key, {"stdout": run.stdout, "stderr": run.stderr})


def test_the_piece_checker_finds_what_it_should():
    # The assertion helper itself: a cut key, an uppercase key, a cut base64 form and a %XX form are all caught.
    key = make_canary()
    for text in (key[:13], key.upper()[-12:], base64.b64encode(b"ab" + key.encode()).decode()[4:22], "".join(f"%{b:02X}" for b in key[:12].encode())):
        with pytest.raises(AssertionError):
            assert_no_piece(key, {"probe": text})
