"""Chinese throughout (issue 20): with --lang zh every word relaycheck itself writes is Chinese, in the terminal, the
dry run, Markdown, HTML and the lines after an --output, with Chinese punctuation; observed summaries stay as
measured."""

from __future__ import annotations

import re

from conftest import run_probe
from relaycheck.core.i18n import _LABELS, label

# What the English interface says: none of it may appear in a Chinese output (summaries never contain these).
ENGLISH_UI = ("report written to", "evidence bundle written to", "Base URL", "max gap", "probing ", "dry run", "plan for ",
              "Plan ceiling", "Fingerprint", "failing check", "at or above", "Key sent as", "Models", "Protocol", "Severity",
              "Summary", "cost at most", "requests, ", "Result:", "Details for support", "Why it matters", "What to do",
              "Request ids", "Raw error text", "Time (UTC)", "no response", "none returned", "all models", "max cost")
# ASCII punctuation after Chinese text: "29 通过, 1 失败", "…或更高）.", "结果: ".
MIXED = re.compile(r"[\u4e00-\u9fff）”][,.:;](?:\s|$)")


def _clean(text: str, where: str) -> None:
    found = [w for w in ENGLISH_UI if w in text]
    assert not found, (where, found)
    mixed = [m.group(0) for m in MIXED.finditer(text)]
    assert not mixed, (where, mixed[:5])


def test_every_label_has_its_own_chinese():
    assert all(zh and zh != en for en, zh in _LABELS.values())
    assert label("list_sep", "zh") == "，" and label("colon", "zh") == "："


def test_chinese_outputs_hold_no_english_interface_words(tmp_path):
    bundle = tmp_path / "bundle"
    run = run_probe(tmp_path, demo=True, fault="wrong_model", profile="quick", lang="zh", fmt="md", output=tmp_path / "r.md", bundle=bundle)
    _clean(run.stdout, "terminal and the lines after --output")
    _clean((tmp_path / "r.md").read_text(), "markdown")
    html = run_probe(tmp_path, demo=True, profile="quick", lang="zh", fmt="html", output=tmp_path / "r.html")
    text = re.sub(r"<[^>]+>", " ", (tmp_path / "r.html").read_text())
    _clean(re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S), "html")
    assert html.code == 0
    dry = run_probe(tmp_path, demo=True, profile="quick", lang="zh", dry_run=True, fmt="terminal", output=None)
    _clean(dry.stdout, "dry run")
    assert "试运行：未发送任何请求" in dry.stdout and "请求数" in dry.stdout
    assert "报告已写入" in run.stdout and "证据包已写入" in run.stdout


def test_english_outputs_are_unchanged_in_their_words(tmp_path):
    dry = run_probe(tmp_path, demo=True, profile="quick", dry_run=True, fmt="terminal", output=None)
    assert dry.stdout.startswith("plan for demo-relay") and dry.stdout.strip().endswith("dry run: nothing was sent")
    assert "  probe       model                  requests" in dry.stdout
