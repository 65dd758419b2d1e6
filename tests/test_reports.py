"""Re-rendering saved reports, Chinese output and the comparison of several targets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import run_probe
from relaycheck.demo.faults import FAULTS
from relaycheck.demo.server import DemoRelay
from relaycheck.report.load import from_dict
from relaycheck.render import FORMATS, render
from relaycheck.report.model import exchange_dict, to_dict


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved JSON report of a demo run with a failure, a warning and streams in it."""
    tmp = tmp_path_factory.mktemp("saved")
    run = run_probe(tmp, demo=True, fault="stall_stream")
    path = tmp / "run.json"
    path.write_text(json.dumps(run.report), encoding="utf-8")
    return path, run.report


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "relaycheck", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_a_report_survives_the_round_trip_through_json(saved):
    _, data = saved
    assert to_dict(from_dict(data)) == data


def test_the_streamed_json_writer_writes_what_json_dumps_would(saved, monkeypatch):
    # The writer makes SSE events one at a time and joins them into pieces; the document must not change.
    from relaycheck.render import jsonfmt

    _, data = saved
    report = from_dict(data)
    monkeypatch.setattr(jsonfmt, "_PIECE_CHARS", 200)  # many pieces even for the demo's short streams
    pieces = list(jsonfmt.chunks(report))
    text = "".join(pieces)
    assert json.loads(text) == to_dict(report)
    streams = [x for t in report.targets for x in t.exchanges if x.events]
    assert streams and len(pieces) > sum(len(x.events) for x in streams) // 10
    lines = {line.strip().rstrip(",") for line in text.splitlines()}
    for x in streams:  # each exchange is one line, byte for byte json.dumps of its dict
        assert json.dumps(exchange_dict(x), ensure_ascii=False) in lines


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "terminal"])
def test_relaycheck_report_renders_every_format_from_a_saved_run(saved, tmp_path, fmt):
    path, data = saved
    out = tmp_path / f"again.{fmt}"
    result = _cli("report", str(path), "--format", fmt, "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text == render(from_dict(data), fmt)  # the same renderer, the same Report: nothing probed again
    assert "stream.complete" in text and "stall_stream" in text


def test_relaycheck_report_prints_the_terminal_table_in_chinese(saved, tmp_path):
    path, _ = saved
    result = _cli("report", str(path), "--lang", "zh", "--no-color", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "流式响应正常结束" in result.stdout and "失败" in result.stdout and "检查项" in result.stdout


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not valid JSON"),
        ('{"tool": {"name": "other"}}', "not a relaycheck JSON report"),
        ('{"tool": {"name": "relaycheck"}, "schema_version": 99}', "schema_version 99 is not supported"),
        ('{"tool": {"name": "relaycheck", "version": "0"}, "schema_version": 1}', "incomplete or damaged"),
    ],
)
def test_a_bad_saved_report_is_one_clear_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = _cli("report", str(path), "--format", "md", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    missing = _cli("report", str(tmp_path / "nope.json"), cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_unknown_language_is_a_usage_error(tmp_path, saved):
    result = _cli("report", str(saved[0]), "--lang", "fr", cwd=tmp_path)
    assert result.returncode == 2 and "unknown language 'fr'" in result.stderr


def test_a_hand_edited_report_with_a_key_in_it_is_masked_when_re_rendered(saved, tmp_path):
    path, data = saved
    edited = json.loads(json.dumps(data))
    edited["targets"][0]["checks"][0]["summary"] = "pasted sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234 by mistake"
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    result = _cli("report", str(tmp_path / "edited.json"), "--format", "md", cwd=tmp_path)
    assert result.returncode == 0 and "AbCdEfGhIjKlMnOpQrStUvWx1234" not in result.stdout and "[redacted sk-…1234" in result.stdout


def test_several_targets_end_with_a_comparison_in_every_human_format(tmp_path):
    price = "pricing: {currency: USD, gpt-4o-mini: {input: 0.15, output: 0.6}}"
    with DemoRelay(key="key-a-12345") as a, DemoRelay(key="key-b-12345", fault=FAULTS["price_multiplier"]) as b:
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            "targets:\n"
            f"  - {{name: honest, base_url: '{a.base_url}', api_key_env: KEY_A, models: [gpt-4o-mini], billing: auto, {price}}}\n"
            f"  - {{name: pricey, base_url: '{b.base_url}', api_key_env: KEY_B, models: [gpt-4o-mini], billing: auto, {price}}}\n"
        )
        run = run_probe(tmp_path, env={"KEY_A": "key-a-12345", "KEY_B": "key-b-12345"}, targets_file=targets)
    report = from_dict(run.report)
    from relaycheck.report import compare

    honest, pricey = compare.rows(report)
    assert honest.failures == 0 and pricey.failures >= 1
    assert honest.price_multiplier == pytest.approx(1.0, abs=0.1)
    assert pricey.price_multiplier is not None and pricey.price_multiplier > 1.5  # the fault charges double
    assert honest.ttft_ms is not None and honest.tokens_per_s is not None
    for fmt, heading in (("terminal", "Comparison"), ("md", "## Comparison"), ("html", 'id="comparison"')):
        text = render(report, fmt)
        assert heading in text and "pricey" in text[text.index(heading):], fmt
        assert f"{pricey.price_multiplier:.2f}×" in text[text.index(heading):], fmt
    assert "目标对比" in render(report, "md", lang="zh")
    assert "Comparison" not in render(from_dict({**run.report, "targets": run.report["targets"][:1]}), "md")  # one target: no table
