"""Terminal conventions (issue 20): a closed pipe, colour by NO_COLOR and FORCE_COLOR, the terminal's width, short
options, `-o -`, help at 80 columns, the failing checks named at the end, `report --fail-on`, the ci profile."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from conftest import run_probe
from relaycheck.core import checklist
from relaycheck.output.console import WIDTH, use_color, width
from test_cli import cli


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("args", [("probe", "--demo", "--format", "json"), ("checks",), ("demo-relay", "--list-faults")])
def test_a_reader_closing_the_pipe_early_ends_the_output_quietly(args):
    """`relaycheck … | head -1`: no traceback and no "internal error"; a probe keeps its verdict's exit code."""
    proc = subprocess.Popen([sys.executable, "-m", "relaycheck", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(20)
    proc.stdout.close()  # the reader leaves: every later write meets a broken pipe (a JSON report is far above 64 KB)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Error" not in err and "internal error" not in err and "Traceback" not in err, err


def test_colour_follows_the_flag_then_no_color_then_force_color_then_the_terminal():
    tty, pipe = Tty(), io.StringIO()
    assert use_color(None, tty, {}) and not use_color(None, pipe, {})
    assert not use_color(None, tty, {"NO_COLOR": "1"}) and use_color(None, pipe, {"FORCE_COLOR": "1"})
    assert not use_color(None, pipe, {"FORCE_COLOR": "0"}) and not use_color(None, tty, {"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert use_color(True, pipe, {"NO_COLOR": "1"}) and not use_color(False, tty, {"FORCE_COLOR": "1"})


def test_the_report_and_the_listing_honour_no_color_and_force_color(tmp_path):
    ansi = re.compile(r"\x1b\[")
    forced = run_probe(tmp_path, env={"FORCE_COLOR": "1"}, demo=True, profile="quick", fmt="terminal", output=None)
    assert ansi.search(forced.stdout)
    plain = run_probe(tmp_path, env={"FORCE_COLOR": "1"}, demo=True, profile="quick", fmt="terminal", output=None, color=False)
    assert not ansi.search(plain.stdout) and not ansi.search(plain.stderr)
    assert ansi.search(cli("models", env={"FORCE_COLOR": "1"}).stdout)
    assert not ansi.search(cli("models", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout)


def test_the_table_takes_the_terminals_width():
    assert width(io.StringIO(), {}) == WIDTH  # files and pipes: the same lines everywhere
    assert width(io.StringIO(), {"COLUMNS": "80"}) == 80
    assert width(Tty(), {"COLUMNS": "20"}) == 60  # narrower is unreadable: folded at 60


def test_an_80_column_report_fits_80_columns(tmp_path):
    run = run_probe(tmp_path, env={"COLUMNS": "80"}, demo=True, profile="quick", fmt="terminal", output=None)
    assert run.code == 0
    assert max(len(line) for line in run.stdout.splitlines()) <= 80


def test_short_options_and_help_at_80_columns():
    assert cli("-V").stdout.strip() == cli("--version").stdout.strip()
    for command in ((), ("probe",), ("report",), ("enroll",), ("checks",), ("demo-relay",)):
        out = cli(*command, "-h", env={"COLUMNS": "80"}).stdout
        assert out == cli(*command, "--help", env={"COLUMNS": "80"}).stdout and out.startswith("Usage:")
        assert max(len(line) for line in out.splitlines()) <= 80, command
        assert "<bool>" not in out and "<list" not in out and "…" not in out, command  # whole option names
    help_text = cli("probe", "-h", env={"COLUMNS": "80"}).stdout
    assert "--rate-limit-concurrency N" in help_text and "--base-url URL" in help_text
    # Every profile the catalogue has is named in --profile's help.
    flat = " ".join(help_text.split())
    assert all(name in flat for name in checklist.load().profiles), flat
    assert "--install-completion" in cli("--help").stdout


def test_dash_output_means_stdout(tmp_path):
    result = cli("probe", "--demo", "--profile", "quick", "--format", "json", "-o", "-")
    assert result.returncode == 0 and json.loads(result.stdout)["targets"][0]["name"] == "demo-relay"
    assert not (tmp_path / "-").exists()


def test_the_terminal_report_ends_with_each_failing_check(tmp_path):
    run = run_probe(tmp_path, demo=True, fault="wrong_model", profile="quick", fmt="terminal", output=None)
    tail = run.stdout.strip().splitlines()[-2:]
    assert tail[0] == "1 failing check(s) at or above medium:"
    assert tail[1].startswith("  ✗ models.echo (gpt-4o-mini): asked for gpt-4o-mini, the reply named gpt-3.5-turbo")
    zh = run_probe(tmp_path, demo=True, fault="wrong_model", profile="quick", fmt="terminal", output=None, lang="zh")
    assert zh.stdout.strip().splitlines()[-2].endswith("：")


def test_report_gates_on_a_saved_report_with_fail_on(tmp_path):
    saved = tmp_path / "r.json"
    run = run_probe(tmp_path, demo=True, fault="wrong_model", profile="quick", output=saved)
    assert run.code == 1
    assert cli("report", str(saved)).returncode == 0  # rendering alone never fails
    gated = cli("report", str(saved), "--fail-on", "medium")
    assert gated.returncode == 1 and "models.echo" in gated.stdout.splitlines()[-1]
    assert cli("report", str(saved), "--fail-on", "critical").returncode == 0  # models.echo is high
    assert cli("report", str(saved), "--fail-on", "none").returncode == 0


def test_the_ci_profile_is_a_cheap_gate_distinct_from_full():
    cat = checklist.load()
    ci, full, quick = set(cat.select("ci")), set(cat.select("full")), set(cat.select("quick"))
    assert quick < ci < full
    assert not {c for c in ci if c.startswith(("long.", "billing.", "integrity.", "chat.injection", "chat.replay"))}
    assert {"errors.unknown_model", "usage.present", "models.tokenizer", "stream.usage"} <= ci


def test_a_key_in_a_yaml_comment_is_refused(tmp_path):
    from relaycheck.config.targets import load_targets
    from relaycheck.core.exits import UsageError

    path = tmp_path / "t.yaml"
    body = "targets:\n  - {name: a, base_url: 'https://relay.example/v1', api_key_env: K, models: [m]}\n"
    for comment in ("# old key: sk-proj-" + "Ab3d" * 8, "    # RelayToken " + "x9Kq2LmP7vRt4WzB8nYc5DhF3jGs6QaE"):
        path.write_text(body + comment + "\n")
        with pytest.raises(UsageError, match="line 3: a comment holds what looks like a literal API key"):
            load_targets(path)
    path.write_text("# relays we use: see https://wiki.example/relays#openai-compatible (gpt-4o-mini-2024-07-18)\n" + body)
    assert load_targets(path)[0].name == "a"  # ordinary comments, model names and URLs are fine
