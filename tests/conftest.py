"""Shared fixtures: a canary key, in-process probe runs with captured streams, demo relays on loopback."""

from __future__ import annotations

import functools
import io
import json
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from relaycheck.app import ProbeOptions, Streams, probe


@dataclass
class ProbeRun:
    """What one in-process probe run produced."""

    code: int
    stdout: str
    stderr: str
    report: dict | None


def make_canary() -> str:
    """A unique secret that must never appear in any output.

    Deliberately not shaped like a provider key, so that only redaction of the known key can hide it.
    """
    return "canary" + secrets.token_hex(20)


@pytest.fixture
def canary() -> str:
    return make_canary()


def run_probe(tmp_path: Path, env: dict[str, str] | None = None, **options: object) -> ProbeRun:
    """Run `relaycheck probe` in-process with JSON written to a file and stdout/stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    json_path = tmp_path / f"report-{secrets.token_hex(4)}.json"
    options.setdefault("progress", False)
    fmt = options.pop("fmt", "json")
    output = options.pop("output", json_path if fmt == "json" else None)
    code = probe(ProbeOptions(fmt=fmt, output=output, **options), env=env or {}, streams=Streams(out, err))  # type: ignore[arg-type]
    report = json.loads(json_path.read_text()) if fmt == "json" and output == json_path else None
    if report is not None:  # every report the suite writes meets the published schema (relaycheck schema)
        assert_meets_schema(report)
    return ProbeRun(code, out.getvalue(), err.getvalue(), report)


@functools.lru_cache(maxsize=1)
def fast_report_validator():
    """The report schema compiled by jsonschema-rs: a millisecond per report, where the pure-Python validator took
    half a second (on every one of the hundreds of runs the suite writes)."""
    import jsonschema_rs

    from relaycheck.report.schema import report_schema

    return jsonschema_rs.Draft202012Validator(report_schema())


def assert_meets_schema(report: dict) -> None:
    """The report meets the published schema (relaycheck schema), with every way it does not when it does not."""
    if fast_report_validator().is_valid(report):
        return
    from relaycheck.report.schema import validate  # the readable account of what is wrong, from relaycheck's own validator

    problems = validate(report)
    assert not problems, problems[:10]


def assert_no_leak(secrets: str | tuple[str, ...], *texts: str) -> None:
    """No text holds a secret, whole or in any form the redactor knows (encoded, split, escaped)."""
    from relaycheck.redaction.redact import Redactor

    redactor = Redactor([secrets] if isinstance(secrets, str) else list(secrets))
    for text in texts:
        assert not redactor.leaks(text), text[:2000]


def bundle_texts(directory: Path) -> list[str]:
    """Every file of an evidence bundle, as text."""
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert len(files) > 3, files
    return [p.read_text(encoding="utf-8") for p in files]


def verdicts(report: dict) -> dict[tuple[str, str | None], str]:
    """(check id, model) -> status for the first target."""
    return {(c["id"], c["model"]): c["status"] for c in report["targets"][0]["checks"]}


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """The project built as a wheel, once per test process (the wheel tests read it; building takes seconds)."""
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out),
                             str(Path(__file__).resolve().parent.parent)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return next(out.glob("relaycheck_cli-*.whl"))

