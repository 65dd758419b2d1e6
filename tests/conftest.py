"""Shared fixtures: a canary key, in-process probe runs with captured streams, demo relays on loopback."""

from __future__ import annotations

import functools
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bytecode_outside_the_tree() -> None:
    """Where PYTHONDONTWRITEBYTECODE is set (this machine sets it), every xdist worker compiled relaycheck again and
    rewrote every test module's asserts again, about 6 s of CPU each, on every run. Write the bytecode outside the
    tree instead (the tree stays as clean as the variable asked), in a directory of this user's only; the workers
    and the child processes that inherit this environment read it from there."""
    if not sys.dont_write_bytecode or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    where = Path(tempfile.gettempdir()) / f"relaycheck-pycache-{os.getuid()}"
    try:
        where.mkdir(mode=0o700, exist_ok=True)
        mine = where.stat()
    except OSError:
        return
    if mine.st_uid != os.getuid() or mine.st_mode & 0o022:  # another user's, or writable by others: not trusted
        return
    os.environ["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix = str(where)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


_bytecode_outside_the_tree()  # before relaycheck is imported below: the controller's import writes it for the workers


def pytest_configure(config: pytest.Config) -> None:
    """As xdist's controller, rewrite the test modules' asserts once, into the cache the workers read, before they
    start: each worker rewriting every module of a cold cache cost 5 s of CPU (20 s for four), one pass costs 5 s."""
    if getattr(config, "workerinput", None) is not None or not config.getoption("numprocesses", None) or sys.dont_write_bytecode:
        return
    try:  # pytest's own rewriting, as its import hook does it; a pytest without these names just loses the head start
        from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc, assertstate_key, get_cache_dir
    except ImportError:
        return
    state = config.stash[assertstate_key]
    for fn in sorted(Path(__file__).parent.rglob("test_*.py")):
        cache = get_cache_dir(fn)
        pyc = cache / (fn.name[:-3] + PYC_TAIL)
        if _read_pyc(fn, pyc, state.trace) is None:
            cache.mkdir(parents=True, exist_ok=True)
            source_hash, code = _rewrite_test(fn, config)
            _write_pyc(state, code, source_hash, pyc)

from relaycheck.app import ProbeOptions, Streams, probe  # noqa: E402


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


@functools.lru_cache(maxsize=1)
def junit_schema():
    """The JUnit XML schema (tests/schemas/junit.xsd), loaded when first asked: at import, every worker loaded
    xmlschema and built it twice over, for the few tests that validate with it."""
    import xmlschema

    return xmlschema.XMLSchema(str(Path(__file__).parent / "schemas" / "junit.xsd"))


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

