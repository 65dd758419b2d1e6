"""The HTML report's reading order and text (issue 20): the verdict, then each relay's worst findings with what to
do, the comparison, and only then the tables and the evidence; support facts as a list, not Markdown in a <pre>."""

from __future__ import annotations

import re

from conftest import run_probe
from relaycheck.demo.server import DemoRelay
from relaycheck.demo import faults


def _page(tmp_path, **options) -> str:
    path = tmp_path / "r.html"
    run_probe(tmp_path, fmt="html", output=path, **options)
    return path.read_text()


def test_the_page_opens_with_the_verdict_and_the_worst_findings(tmp_path):
    page = _page(tmp_path, demo=True, fault="wrong_model", profile="quick")
    verdict, overview, table = page.index('id="verdict"'), page.index('id="overview"'), page.index('class="verdicts"')
    assert verdict < overview < table
    top = page[overview:table]
    assert "models.echo" in top and "asked for gpt-4o-mini, the reply named gpt-3.5-turbo" in top and "What to do" in top
    assert "chat.basic" not in top  # passes are not findings


def test_support_facts_are_a_list_and_latency_labels_do_not_repeat(tmp_path):
    page = _page(tmp_path, demo=True, fault="wrong_model")
    details = page[page.index("Details for support"):]
    assert '<div class="evidence">' in details and "- **x" not in page and "  - Time (UTC)" not in page
    labels = re.findall(r'class="note" text-anchor="end">([^<]*)<', page)
    assert labels and not [t for t in labels if re.search(r"\b(\w+) \1\b", t)], labels  # never "stream stream"
    assert "(default 10 s)" not in page


def test_several_targets_compare_before_their_evidence(tmp_path):
    with DemoRelay() as good, DemoRelay(fault=faults.get("wrong_model")) as bad:
        targets = tmp_path / "t.yaml"
        targets.write_text("targets:\n" + "".join(f"  - {{name: {n}, base_url: '{r.base_url}', api_key_env: K, models: [gpt-4o-mini]}}\n"
                                                  for n, r in (("good", good), ("bad", bad))))
        page = _page(tmp_path, env={"K": "sk-demo-relay"}, targets_file=targets, profile="quick")
    assert page.index('id="overview"') < page.index('id="comparison"') < page.index('class="target"')
    assert page.index('id="comparison"') < page.index("Exchanges")
