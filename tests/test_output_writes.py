"""Safe writes (issue 14, item 21): --output and --bundle never write through a planted name, and leave nothing behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from relaycheck.output import bundle
from relaycheck.core.exits import UsageError
from relaycheck.report.load import from_dict
from relaycheck.output.write import OutputOptions, atomic_text, emit, write_file
from relaycheck.redaction.redact import Redactor

VICTIM_TEXT = "the victim's own contents\n"


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text(VICTIM_TEXT)
    return victim


def _plant(directory: Path, names: list[str], victim: Path) -> None:
    for name in names:
        (directory / name).symlink_to(victim)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A small real Report: one demo run with a failure in it."""
    from conftest import run_probe

    run = run_probe(tmp_path_factory.mktemp("writes"), demo=True, fault="wrong_model", profile="quick")
    assert run.report is not None, run.stderr
    return from_dict(run.report)


def test_a_planted_tmp_symlink_is_not_followed_by_write_file(tmp_path):
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    _plant(out, ["report.md.tmp", ".report.md.tmp"], victim)  # the old predictable name, and a dotted variant
    write_file(out / "report.md", "# the report\n")
    assert victim.read_text() == VICTIM_TEXT
    assert (out / "report.md").read_text() == "# the report\n"
    assert not (out / "report.md").is_symlink()
    assert {p.name for p in out.iterdir()} == {"report.md", "report.md.tmp", ".report.md.tmp"}  # no new temporary left


@pytest.mark.parametrize("fmt", ["json", "md", "junit", "html", "terminal"])
def test_no_format_writes_through_a_planted_symlink(report, tmp_path, fmt):
    import io

    victim = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"report.{fmt}"
    _plant(out, [target.name + ".tmp"], victim)
    emit(report, OutputOptions(fmt=fmt, output=target), io.StringIO(), Redactor(()))
    assert victim.read_text() == VICTIM_TEXT
    assert target.stat().st_size > 100 and not target.is_symlink()


def test_the_report_keeps_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_file(tmp_path / "report.md", "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o644  # not mkstemp's 0600: CI must read it


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_text(path) as handle:
            handle.write("half a new rep")
            raise RuntimeError("the renderer failed halfway")
    with pytest.raises(UsageError, match="UTF-8 cannot encode"):  # never a traceback and exit 4
        with atomic_text(path) as handle:
            handle.write("gpt\ud83d")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_write_file_replaces_a_lone_surrogate_instead_of_failing(tmp_path):
    write_file(tmp_path / "report.md", "model gpt\ud83d\n")
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == "model gpt\ufffd\n"


def test_the_bundle_refuses_what_was_planted_after_the_check_and_removes_its_own_files(report, tmp_path, monkeypatch):
    victim = _victim(tmp_path)
    directory = tmp_path / "bundle"
    directory.mkdir()
    real_check = bundle.check_destination

    def check_then_plant(d: Path) -> None:
        real_check(d)  # empty when checked ...
        (d / "ticket.md").symlink_to(victim)  # ... and a symlink appears before the files are written

    monkeypatch.setattr(bundle, "check_destination", check_then_plant)
    with pytest.raises(UsageError, match="cannot write the bundle"):
        bundle.write(report, directory, "en", Redactor(()))
    assert victim.read_text() == VICTIM_TEXT
    assert [p.name for p in directory.iterdir()] == ["ticket.md"]  # only the planted link: our own files were removed


def test_the_bundle_does_not_follow_a_planted_folder(report, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    directory = tmp_path / "bundle"
    real_check = bundle.check_destination

    def check_then_plant(d: Path) -> None:
        real_check(d)
        d.mkdir()
        (d / "exchanges").symlink_to(elsewhere, target_is_directory=True)

    monkeypatch.setattr(bundle, "check_destination", check_then_plant)
    with pytest.raises(UsageError):
        bundle.write(report, directory, "en", Redactor(()))
    assert list(elsewhere.iterdir()) == []


def test_an_ordinary_bundle_is_still_written_and_verifies(report, tmp_path):
    (tmp_path / "new").mkdir()
    digest = bundle.write(report, tmp_path / "new" / "bundle", "en", Redactor(()))
    result = bundle.verify(tmp_path / "new" / "bundle")
    assert not result.problems and result.verified > 3 and result.manifest_sha256 == digest

