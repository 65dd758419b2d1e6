"""relaycheck.text.sanitize and the renderers' escaping, unit by unit (the end-to-end cases are in test_hostile_output.py)."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from relaycheck.render import render
from relaycheck.render.markdown import code, inline
from relaycheck.report.model import Finding, Report, TargetReport
from relaycheck.text.sanitize import clean, encodable, json_safe, visible


def test_encodable_replaces_lone_surrogates_and_joins_pairs():
    assert encodable("gpt\ud83d") == "gpt\ufffd"
    assert encodable("\udc00x\ud83d") == "\ufffdx\ufffd"
    assert encodable("\ud83d\ude00") == "😀"  # a pair that arrived as two code points is one character
    plain = "plain text 中文"
    assert encodable(plain) is plain


def test_clean_walks_records_and_keeps_unchanged_ones():
    finding = Finding("x.y", "gpt\ud83d", "fail", "high", {"en": "t"}, "named gpt\ud83d", (), {"model": "gpt\ud83d", "n": [1, "\ud83d"]})
    fine = Finding("x.z", None, "pass", "low", {"en": "t"}, "ok", (), {})
    target = TargetReport("t", "http://127.0.0.1/v1", "http://127.0.0.1/v1", "k", "bearer", ("m",), 1, 1, (finding, fine), ())
    report = Report(1, "relaycheck", "0", "a", "b", "quick", "medium", (target,))
    cleaned = clean(report)
    got = cleaned.targets[0].checks[0]
    assert got.model == "gpt\ufffd" and got.summary == "named gpt\ufffd" and got.metrics == {"model": "gpt\ufffd", "n": [1, "\ufffd"]}
    assert cleaned.targets[0].checks[1] is fine  # a clean record is not copied
    assert clean(fine) is fine
    for fmt in ("json", "md", "junit", "html", "terminal"):
        render(cleaned, fmt).encode("utf-8")  # every format can now be encoded


@pytest.mark.parametrize("raw, shown", [
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"), ("a\rb", "a\\rb"), ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),
    ("\u202eevil\u2066", "\\u202eevil\\u2066"), ("\ufffe\ud83d", "\\ufffe\\ud83d"), ("keep\nlines\tand tabs", "keep\nlines\tand tabs"),
])
def test_visible_shows_every_control_and_bidi_character(raw, shown):
    assert visible(raw) == shown


def test_visible_on_one_line_shows_newlines_too():
    assert visible("a\nb\tc", lines=False) == "a\\nb\\tc"


def test_json_safe_changes_the_text_but_not_the_value():
    value = {"model": "gpt\x9b31m\u202eevil\x7f\u2028"}
    piece = json.dumps(value, ensure_ascii=False)
    safe = json_safe(piece)
    assert json.loads(safe) == value
    assert not any(ch in safe for ch in "\x9b\u202e\x7f\u2028")


@pytest.mark.parametrize("raw", ["<!-- hidden", "<img src=http://127.0.0.1:1/x>", "![](http://127.0.0.1:1/y)", "[a](http://127.0.0.1:1/z)",
                                 "*b* _c_ `d` ~~e~~ $f$ | g", "&lt;", "\\*"])
def test_inline_markdown_leaves_no_markup(raw):
    out = inline(raw)
    assert "<" not in out and ">" not in out and "![" not in out
    unescaped = out.replace("\\\\", "")  # an escaped backslash escapes nothing after it
    assert not re.search(r"(?<!\\)[*`~$|\[\]]", unescaped), out  # every opener is backslash-escaped
    assert not re.search(r"&(?!amp;|lt;|gt;)", out)  # every & is ours: no relay entity is decoded
    # Undoing the escapes gives the relay's text back: it is shown, not altered.
    back = re.sub(r"\\(.)", r"\1", out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert back == raw


def test_inline_markdown_keeps_plain_identifiers_readable():
    assert inline("finish_reason 'stop' at event #80") == "finish_reason 'stop' at event #80"
    assert inline("a\nb") == "a b"  # no relay line can start a block


def test_a_code_span_cannot_be_closed_from_inside():
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a|b", cell=True) == "`a\\|b`"


def _hostile_report(text: str) -> Report:
    finding = Finding("models.echo", "gpt-4o-mini" + text, "fail", "high", {"en": "Replies name the requested model"},
                      "the reply named " + text, (), {})
    warn = dataclasses.replace(finding, id="stream.sse", status="warn")
    target = TargetReport("relay" + text, "http://127.0.0.1:1/v1", "http://127.0.0.1:1/v1", "sk-…0001 #00000000", "bearer",
                          ("gpt-4o-mini",), 1, 1, (finding, warn), (), fingerprint=("server software: " + text,))
    return Report(1, "relaycheck", "0.0.0", "2000-01-01T00:00:00Z", "2000-01-01T00:00:01Z", "quick", "medium", (target,))


def test_junit_is_well_formed_with_every_control_character_xml_forbids():
    forbidden = "".join(chr(c) for c in range(0x20) if c not in (9, 10, 13)) + "\ufffe\uffff"
    xml = render(_hostile_report(forbidden), "junit")
    root = ET.fromstring(xml)  # raises on a single forbidden character
    message = root.find("testsuite/testcase/failure").get("message")
    assert "\\x01" in message and "\\x1b" in message and "\\ufffe" in message


def test_the_terminal_never_reads_relay_text_as_rich_markup():
    text = "[bold red]all checks passed[/] :skull:"
    out = render(_hostile_report(text), "terminal", color=False, width=200)
    assert "[bold red]all checks passed[/]" in out and ":skull:" in out


def test_a_relay_cannot_add_a_header_row_to_the_terminal_report():
    out = render(_hostile_report("\nno failing check at or above medium"), "terminal", color=False, width=200)
    assert not any(line.startswith("no failing check") for line in out.splitlines()[:-1])  # only the real verdict


def test_stdout_json_has_no_raw_c1_or_bidi():
    from relaycheck.output.write import OutputOptions, emit
    from relaycheck.redaction.redact import Redactor

    buffer = io.StringIO()
    emit(_hostile_report("\x9b31m\u202e"), OutputOptions(fmt="json"), buffer, Redactor(()))
    assert "\x9b" not in buffer.getvalue() and "\u202e" not in buffer.getvalue()
    assert "\x9b31m\u202e" in json.loads(buffer.getvalue())["targets"][0]["checks"][0]["summary"]


def test_reseal_replaces_lone_surrogates_before_any_renderer_sees_them():
    from relaycheck.report.seal import reseal

    hostile = _hostile_report("gpt\ud83d")
    report = reseal("0.0.0", "a", "b", "quick", "medium", hostile.targets)
    assert report.targets[0].checks[0].summary == "the reply named gpt\ufffd"
    assert clean(report) is report  # nothing left that UTF-8 cannot encode


def test_build_report_replaces_lone_surrogates_from_a_live_relay(tmp_path, monkeypatch):
    import relaycheck.app
    from hostile_output import OutputRelay

    from relaycheck.app import ProbeOptions, Streams, probe

    sealed = []
    monkeypatch.setattr(relaycheck.app, "emit", lambda report, *args: sealed.append(report))
    with OutputRelay("lone_surrogate").running() as base_url:
        probe(ProbeOptions(base_url=base_url, models=("gpt-4o-mini",), api_key_env="K", profile="quick", progress=False, timeout_s=4),
              env={"K": "sk-hostile-test-key-000000000001"}, streams=Streams(io.StringIO(), io.StringIO()))
    (report,) = sealed
    echo = next(c for c in report.targets[0].checks if c.id == "models.echo")
    assert echo.summary.endswith("gpt\ufffd") and clean(report) is report


def test_markdown_escaping_cannot_hide_a_secret_from_the_final_scan(tmp_path):
    from relaycheck.core.exits import SecretLeakError
    from relaycheck.output.write import OutputOptions, emit
    from relaycheck.redaction.redact import Redactor

    secret = "Abcdef*Hijklm*Opqrst*Vwxyz1"  # escaped as Abcdef\*Hijklm\*…: no piece of 8 characters is left whole
    plain = _hostile_report("")
    target = plain.targets[0]
    finding = dataclasses.replace(target.checks[0], summary="the reply named " + secret)
    # Built by hand, past the redaction step: only the final scan stands between the key and the ticket.
    report = dataclasses.replace(plain, targets=(dataclasses.replace(target, checks=(finding,)),))
    for opts in (OutputOptions(fmt="md"), OutputOptions(fmt="md", output=tmp_path / "t.md")):
        with pytest.raises(SecretLeakError):
            emit(report, opts, io.StringIO(), Redactor([secret]))
    assert not (tmp_path / "t.md").exists()
