"""The HTML report: self-contained, and it renders in headless Chromium with its tables and pictures."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import run_probe
from relaycheck.report.load import from_dict
from relaycheck.render import render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# .ci/run installs Debian's chromium and sets this, so that a missing browser fails CI instead of skipping.
REQUIRED = os.environ.get("RELAYCHECK_REQUIRE_CHROMIUM") == "1"
# The flags that keep Chromium quiet on a machine without network (no background fetches, no sandbox as root).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


class _Elements(HTMLParser):
    """Collect (tag, attributes) of every element."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def count(self, tag: str, css_class: str | None = None) -> int:
        return sum(1 for t, a in self.found if t == tag and (css_class is None or css_class in a.get("class", "").split()))


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def stalled(tmp_path_factory):
    """A demo run whose long stream stalls: failures, stream timelines, latency and a billing delta to draw."""
    tmp = tmp_path_factory.mktemp("html")
    run = run_probe(tmp, demo=True, fault="long_stall")
    return from_dict(run.report)


def test_the_page_is_self_contained(stalled):
    html = render(stalled, "html")
    links = [(t, a) for t, a in _elements(html).found for k in ("src", "href") if (v := a.get(k)) is not None and not v.startswith("#")]
    assert links == []  # no script, stylesheet, image or font is fetched; anchors only
    assert "<script" not in html and "default-src 'none'" in html


def test_the_page_has_its_tables_and_pictures(stalled):
    page = _elements(render(stalled, "html"))
    target = stalled.targets[0]
    streams = [x for x in target.exchanges if x.events]
    assert page.count("tr", "verdict") == len(target.checks)
    assert page.count("details", "exchange") == len(target.exchanges)
    assert page.count("svg", "timeline") == len(streams) >= 2
    assert page.count("rect", "stall") >= 1  # the one-second pause of the long stream is drawn
    assert page.count("svg", "latency") == 1 and page.count("svg", "billing") == 1
    assert page.count("span", "s-fail") >= 1


def test_the_chinese_page_uses_the_checklist_texts(stalled):
    from relaycheck.core import checklist

    html = render(stalled, "html", lang="zh")
    assert 'lang="zh-CN"' in html and checklist.load().get("long.no_stall").title["zh"] in html
    assert "流式输出时间线" in html and "计费：预期与实际" in html


def _png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the decoded image data (a blank page has very few)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason="Debian's chromium is not installed here (.ci/run installs it)")
def test_the_report_renders_in_headless_chromium(stalled, tmp_path):
    assert CHROMIUM is not None, "RELAYCHECK_REQUIRE_CHROMIUM=1 but chromium is not installed"
    page = tmp_path / "report.html"
    page.write_text(render(stalled, "html"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*base, "--window-size=1200,3000", f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=True)
    width, height, colours = _png_size_and_colours(shot)
    assert (width, height) == (1200, 3000) and colours > 20  # a real rendering, not a blank page
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    rendered = _elements(dom)  # what the browser built, not what we wrote
    target = stalled.targets[0]
    assert rendered.count("tr", "verdict") == len(target.checks)
    assert rendered.count("svg", "timeline") >= 2 and rendered.count("rect", "stall") >= 1
    assert rendered.count("svg", "latency") == 1 and rendered.count("svg", "billing") == 1
    assert "long.no_stall" in dom and 'id="verdict"' in dom
