"""Evidence bundles: written beside the report, verified by verify-bundle, and any edit is caught."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import run_probe


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "relaycheck", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A bundle of a demo run with a failing check (so the ticket has details)."""
    tmp = tmp_path_factory.mktemp("bundle")
    run = run_probe(tmp, demo=True, fault="html_errors", bundle=tmp / "evidence")
    assert "evidence bundle written to" in run.stdout
    return tmp / "evidence", run


def test_the_bundle_holds_the_report_the_ticket_and_every_exchange(bundle):
    directory, run = bundle
    report = json.loads((directory / "report.json").read_text())
    assert report == run.report  # the same sealed report as --output
    assert "Details for support" in (directory / "ticket.md").read_text()
    exchanges = report["targets"][0]["exchanges"]
    folder = next((directory / "exchanges").iterdir())
    for x in exchanges:
        request = (folder / f"{x['id']}.request.txt").read_text()
        response = (folder / f"{x['id']}.response.txt").read_text()
        assert request.startswith(f"{x['method']} {x['url']}\n")
        assert response.startswith(f"HTTP {x['response']['status']}\n" if x["response"]["status"] else "no response\n")
    listed = (directory / "MANIFEST.sha256").read_text().splitlines()
    assert len(listed) == 2 + 2 * len(exchanges)


def test_an_intact_bundle_verifies_and_sha256sum_agrees(bundle, tmp_path):
    directory, _ = bundle
    result = _cli("verify-bundle", str(directory), cwd=tmp_path)
    assert result.returncode == 0 and "OK" in result.stdout, result.stdout + result.stderr
    if shutil.which("sha256sum"):  # the manifest is in sha256sum's own format
        assert subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=directory, capture_output=True).returncode == 0


@pytest.mark.parametrize("edit", ["one_byte", "delete", "add", "manifest_line"])
def test_any_change_fails_verify_bundle(bundle, tmp_path, edit):
    copy = tmp_path / "copy"
    shutil.copytree(bundle[0], copy)
    victim = next((copy / "exchanges").rglob("*.response.txt"))
    if edit == "one_byte":
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0x01
        victim.write_bytes(bytes(data))
    elif edit == "delete":
        victim.unlink()
    elif edit == "add":
        (copy / "exchanges" / "extra.txt").write_text("added later")
    else:
        manifest = copy / "MANIFEST.sha256"
        manifest.write_text(manifest.read_text() + "not a manifest line\n")
    result = _cli("verify-bundle", str(copy), cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    expected = {"one_byte": "changed: exchanges/", "delete": "missing: exchanges/", "add": "not in the manifest: exchanges/extra.txt",
                "manifest_line": "is malformed"}[edit]
    assert expected in result.stdout


def test_verify_bundle_on_something_that_is_not_a_bundle_is_exit_2(tmp_path):
    result = _cli("verify-bundle", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "is not an evidence bundle" in result.stderr


def test_a_used_bundle_directory_is_refused_before_any_request(tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "old.txt").write_text("x")
    result = _cli("probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--bundle", str(used), cwd=tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_relaycheck_report_can_write_a_bundle_from_a_saved_run(bundle, tmp_path):
    directory, _ = bundle
    result = _cli("report", str(directory / "report.json"), "--format", "md", "--bundle", str(tmp_path / "again"), "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _cli("verify-bundle", str(tmp_path / "again"), cwd=tmp_path).returncode == 0
    assert "提交给客服的详情" in (tmp_path / "again" / "ticket.md").read_text()
