"""The redaction step: every form of a key, credential headers, key-bearing URLs, and the final scan."""

from __future__ import annotations

import base64
import io
import urllib.parse

import pytest

from relaycheck.core.exits import SecretLeakError
from relaycheck.redaction.redact import GuardedStream, Redactor, key_id

KEY = "sk-canary-0123456789abcdefABCDEF"


def test_key_id_is_masked_with_a_hash_prefix():
    kid = key_id(KEY)
    assert kid.startswith("sk-…CDEF #") and len(kid.split("#")[1]) == 8
    assert KEY not in kid and key_id(KEY) == kid
    assert key_id("short") .startswith("… #")


@pytest.mark.parametrize(
    "form",
    [KEY, urllib.parse.quote(KEY, safe=""), base64.b64encode(KEY.encode()).decode(), base64.urlsafe_b64encode(KEY.encode()).decode()],
)
def test_every_encoding_of_the_key_is_replaced(form):
    redactor = Redactor([KEY])
    out = redactor.text(f"before {form} after")
    assert KEY not in out and form.rstrip("=") not in out
    assert not redactor.leaks(out)


def test_query_parameters_and_unknown_provider_keys_are_masked():
    redactor = Redactor([KEY])
    out = redactor.text("GET https://relay/v1/models?key=abc123&x=1&api_key=zzz other sk-proj-AAAAAAAAAAAAAAAAAAAAAA")
    assert "abc123" not in out and "zzz" not in out and "sk-proj-AAAA" not in out
    assert "x=1" in out


def test_credential_headers_are_masked_even_with_unknown_values():
    redactor = Redactor([KEY])
    assert redactor.header("Authorization", f"Bearer {KEY}") == f"Bearer [redacted {key_id(KEY)}]"
    assert redactor.header("Authorization", "Bearer someone-elses-token") == "Bearer [redacted]"
    assert redactor.header("Set-Cookie", "session=abc") == "[redacted]"
    assert redactor.header("Content-Type", "application/json") == "application/json"


def test_scrub_reaches_nested_dataclasses():
    from relaycheck.wire.exchange import Exchange, Timings
    from relaycheck.wire.sse import SSEEvent

    ex = Exchange(
        id="x1", probe="chat", model="m", label="", method="POST", url=f"http://h/v1?key={KEY}",
        request_headers=(("authorization", f"Bearer {KEY}"),), request_body=f'{{"api_key": "{KEY}"}}',
        status=401, response_headers=(("x-echo", KEY),), body=f"bad key {KEY}", body_bytes=10, body_truncated=False,
        body_utf8_ok=True, timings=Timings(started_at="t"),
        events=(SSEEvent(0, 1.0, None, f"data {KEY}", None, True, f"data: data {KEY}\r\n\r\n"),), error=f"boom {KEY}",
    )
    scrubbed = Redactor([KEY]).scrub(ex)
    assert KEY not in repr(scrubbed)
    assert KEY not in scrubbed.events[0].raw


def test_final_scan_refuses_output_with_a_secret():
    with pytest.raises(SecretLeakError):
        Redactor([KEY]).assert_clean(f"x {KEY}", "report.md")


def test_guarded_stream_catches_a_key_split_over_writes():
    sink = io.StringIO()
    stream = GuardedStream(sink, Redactor([KEY]), "stdout")
    stream.write("fine text ")
    stream.write(KEY[:10])
    with pytest.raises(SecretLeakError):
        stream.write(KEY[10:])
    assert KEY not in sink.getvalue()
