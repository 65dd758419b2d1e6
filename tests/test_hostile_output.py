"""Output that can be trusted (issue 14, items 3, 10, 11, 12): hostile relay text through the real CLI into every format.

Each case runs `relaycheck probe` as a child process against one mode of tests/hostile_output.py on 127.0.0.1 and
reads every byte it wrote: stdout, the --output file, or every file of the --bundle.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import junit_schema
from hostile_output import MARKDOWN, MODES, TERMINAL, OutputRelay

KEY = "sk-hostile-test-key-000000000001"
FORMATS = ("terminal", "json", "md", "junit", "html", "bundle")
# Raw bytes no output may hold: C0 controls but newline and tab, DEL, C1 controls, bidi embeddings/overrides/isolates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FENCE = re.compile(r"^ *(`{3,})\s*$")


def _probe(mode: str, tmp_path: Path, fmt: str, color: bool = False) -> tuple[int, bytes, str, dict[str, bytes]]:
    """Run the CLI in `fmt`; return exit code, stdout, stderr and every file it wrote (relative path -> bytes)."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = [sys.executable, "-m", "relaycheck", "probe", "--model", "gpt-4o-mini", "--api-key-env", "HOSTILE_KEY", "--profile", "quick",
            "--timeout", "4", "--idle-timeout", "3", "--no-progress", "--color" if color else "--no-color"]
    if fmt == "json_and_bundle":
        argv += ["--format", "json", "--output", str(out_dir / "report.json"), "--bundle", str(out_dir / "bundle")]
    elif fmt == "bundle":
        argv += ["--bundle", str(out_dir / "bundle")]
    elif fmt != "terminal":
        argv += ["--format", fmt, "--output", str(out_dir / f"report.{fmt}")]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOSTILE_KEY": KEY}
    with OutputRelay(mode).running() as base_url:
        done = subprocess.run([*argv, "--base-url", base_url], capture_output=True, env=env, cwd=out_dir, timeout=120)
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"), _written(out_dir)


def _written(out_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in sorted(out_dir.rglob("*")) if p.is_file()}


def _every_format(mode: str, tmp_path: Path) -> dict[str, tuple[int, bytes, str, dict[str, bytes]]]:
    """One probe of the mode (the JSON report and the evidence bundle), then `relaycheck report` rendering that report
    in every other format: what each format's renderer makes of the relay's text, through the real CLI, for a fifth
    of the probes. The terminal table of `report` is the probe's own (renderers take only the Report)."""
    code, stdout, stderr, written = _probe(mode, tmp_path, "json_and_bundle")
    saved = tmp_path / "out" / "report.json"
    found = {"json": (code, stdout, stderr, {"report.json": written["report.json"]}),
             "bundle": (code, b"", stderr, {k: v for k, v in written.items() if k.startswith("bundle/")})}
    for fmt in ("terminal", "md", "junit", "html"):
        out_dir = tmp_path / fmt
        out_dir.mkdir()
        argv = [sys.executable, "-m", "relaycheck", "report", str(saved), "--no-color"]
        if fmt != "terminal":
            argv += ["--format", fmt, "--output", str(out_dir / f"report.{fmt}")]
        done = subprocess.run(argv, capture_output=True, cwd=out_dir, timeout=120)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
        found[fmt] = (code, done.stdout, done.stderr.decode("utf-8", "replace"), _written(out_dir))
    return found


def _outside_fences(md: str) -> str:
    """The Markdown outside fenced code blocks; every fence that opens must close with the same run of backticks."""
    kept, fence = [], None
    for line in md.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and match and match.group(1) == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    assert fence is None, "a fenced block never closed: relay text broke out of it"
    return "\n".join(kept)


@pytest.mark.parametrize("mode", MODES)
def test_hostile_text_reaches_no_output_raw(mode, tmp_path):
    outputs = _every_format(mode, tmp_path)
    assert set(outputs) == set(FORMATS)
    for fmt, (code, stdout, stderr, written) in outputs.items():
        _holds_no_raw_text(mode, fmt, code, stdout, stderr, written, tmp_path)


def _holds_no_raw_text(mode: str, fmt: str, code: int, stdout: bytes, stderr: str, written: dict[str, bytes], tmp_path: Path) -> None:
    assert code in (0, 1), (code, stderr[-2000:])  # findings, never a crash (4)
    assert "Traceback" not in stderr, stderr[-2000:]
    assert not [name for name in written if name.endswith(".tmp")], written.keys()  # nothing half-written left behind
    outputs = {"stdout": stdout, **written}
    if fmt != "terminal":
        assert written, "no report was written"
    for name, data in outputs.items():
        text = data.decode("utf-8")  # strict: a lone surrogate can only have been written as invalid UTF-8
        bad = sorted({f"U+{ord(ch):04X}" for ch in _FORBIDDEN.findall(text)})
        assert not bad, f"{name} holds raw {', '.join(bad)}"

    if fmt == "json":
        report = json.loads(written["report.json"])
        echo = next(c for c in report["targets"][0]["checks"] if c["id"] == "models.echo")
        assert echo["status"] == "fail"  # the relay named another model: the finding is there, whatever the text
        if mode == "terminal_escapes":  # JSON keeps the relay's text exactly (as escapes): it is the evidence
            assert TERMINAL in echo["summary"]
        if mode == "lone_surrogate":
            assert "gpt\ufffd" in echo["summary"]  # replaced visibly, not dropped
    if fmt == "junit":
        root = ET.fromstring(written["report.junit"])
        assert root.tag == "testsuites"
        junit_schema().validate(written["report.junit"].decode("utf-8"))
        if mode == "xml_controls":
            assert "\\x01start\\x1bend\\x08" in written["report.junit"].decode()  # shown, not silently dropped
    if fmt == "md":
        md = written["report.md"].decode()
        rest = _outside_fences(md)
        for raw in ("<!--", "<img", "![", "[support]("):
            assert raw not in rest, f"{raw!r} reached the ticket as Markdown"
        # The injected result row did not become a row of its own: only the real chat.basic row starts a line.
        assert sum(line.startswith("| `chat.basic`") for line in md.splitlines()) == 1
    if fmt == "bundle":
        assert "MANIFEST.sha256" in {Path(n).name for n in written}
        check = subprocess.run([sys.executable, "-m", "relaycheck", "verify-bundle", str(tmp_path / "out" / "bundle")], capture_output=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        if mode == "terminal_escapes":  # the exchanges show the relay's bytes as escapes, so a reader sees the attack
            responses = b"".join(v for k, v in written.items() if k.endswith(".response.txt")).decode()
            assert "\\x1b]0;pwned\\x07" in responses
    if fmt == "terminal" and mode == "terminal_escapes":
        assert "\\x1b]0;pwned\\x07" in stdout.decode()  # visible in the table


def test_with_colour_on_only_relaycheck_s_own_colour_codes_reach_the_terminal(tmp_path):
    code, stdout, stderr, _ = _probe("terminal_escapes", tmp_path, "terminal", color=True)
    assert code in (0, 1) and "Traceback" not in stderr, stderr[-2000:]
    text = stdout.decode("utf-8")
    assert "\x1b[" in text  # colour really is on
    leftover = re.sub(r"\x1b\[[0-9;]*m", "", text)  # relaycheck's own SGR colour codes, and nothing else
    assert "\x1b" not in leftover and "\r" not in leftover and "\x07" not in leftover and "\x9b" not in leftover
    assert "\\x1b[2J" in leftover  # the relay's clear-screen is shown as text


def test_a_hand_edited_report_with_a_lone_surrogate_re_renders_in_every_format(tmp_path):
    code, _, stderr, written = _probe("markdown_injection", tmp_path, "json")
    assert code in (0, 1), stderr
    edited = written["report.json"].decode().replace("gpt-4o-minimini", "gpt\\ud83d", 1)
    assert "gpt\\ud83d" in edited
    saved = tmp_path / "edited.json"
    saved.write_text(edited, encoding="utf-8")
    for fmt in ("json", "md", "junit", "html", "terminal"):
        out = tmp_path / f"again.{fmt}"
        done = subprocess.run([sys.executable, "-m", "relaycheck", "report", str(saved), "--format", fmt, "--output", str(out), "--no-color"],
                              capture_output=True, timeout=60, cwd=tmp_path)
        assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr[-2000:]
        assert "gpt\ufffd" in out.read_text(encoding="utf-8")  # sealed again: the surrogate is a visible U+FFFD
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_the_markdown_payload_is_what_the_ticket_test_looks_for():
    # Guard against a hollow test: the payload really carries every construct the ticket assertions rule out.
    for raw in ("<!--", "<img", "![", "[support](", "\n| `chat.basic`"):
        assert raw in MARKDOWN
