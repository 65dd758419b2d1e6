"""Property-based redaction: keys of many shapes, echoed by a relay in many encodings, never reach any output.

The guarantee tested (and stated in the README): the exact key and its common encodings (URL-encoding,
base64 at any alignment, JSON \\u escapes, HTML character references, any mixture per character) are replaced
before anything renders. A relay that transforms the key arbitrarily (reversing it, say) is out of reach.
"""

from __future__ import annotations

import base64
import json
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relaycheck import bundle
from relaycheck.exchange import Exchange, Timings
from relaycheck.plan import plan_target
from relaycheck.redact import Redactor
from relaycheck.render import FORMATS, render
from relaycheck.runner import TargetRun, evaluate
from relaycheck.seal import build_report
from relaycheck.sse import SSEEvent
from relaycheck.targets import Target, TargetKeys
from relaycheck.transport import Auth

_MIXED = st.text(alphabet=st.sampled_from("абвгдё密钥鍵ÄÖü-_+/=0123456789abcXYZ"), min_size=8, max_size=30)
KEYS = st.one_of(
    st.from_regex(r"sk-[A-Za-z0-9]{20,48}", fullmatch=True),
    st.from_regex(r"sk-proj-[A-Za-z0-9_\-]{40,80}", fullmatch=True),
    st.from_regex(r"eyJ[A-Za-z0-9_\-]{10,30}\.[A-Za-z0-9_\-]{10,40}\.[A-Za-z0-9_\-]{10,40}", fullmatch=True),  # JWT-like
    st.from_regex(r"[A-Za-z0-9+/=]{16,40}", fullmatch=True),
    # Short keys (8 is the minimum relaycheck accepts) that are not degenerate runs such as "00000000".
    st.from_regex(r"[A-Za-z0-9]{8,12}", fullmatch=True).filter(lambda k: len(set(k)) >= 5 and not k.isdigit() and not k.isalpha()),
    _MIXED.filter(lambda k: len(set(k)) >= 5),
)


def _json_escaped(key: str, every: bool) -> str:
    return "".join(f"\\u{ord(c):04x}" if every or not c.isalnum() else c for c in key if ord(c) < 0x10000)


def _html_entities(key: str) -> str:
    return "".join(f"&#{ord(c)};" if i % 2 else f"&#x{ord(c):X};" for i, c in enumerate(key))


ENCODINGS = {
    "raw": lambda k, r: k,
    "json_escaped_all": lambda k, r: _json_escaped(k, True),
    "json_escaped_some": lambda k, r: _json_escaped(k, False),
    "json_dumps_ascii": lambda k, r: json.dumps(k)[1:-1],
    "url": lambda k, r: urllib.parse.quote(k, safe=""),
    "url_lower": lambda k, r: urllib.parse.quote(k, safe="").lower() if k.isascii() and k.lower() == k else urllib.parse.quote(k, safe=""),
    "url_plus": lambda k, r: urllib.parse.quote_plus(k),
    "base64_aligned": lambda k, r: base64.b64encode(k.encode()).decode(),
    "base64_in_blob": lambda k, r: base64.b64encode(r.encode() + k.encode() + b"!").decode(),
    "base64url_in_blob": lambda k, r: base64.urlsafe_b64encode(r.encode() + k.encode()).decode().rstrip("="),
    "html": lambda k, r: f"<html><body><p>{k}</p></body></html>",
    "html_entities": lambda k, r: _html_entities(k),
}


def _exchange(xid: str, probe: str, label: str, status: int, body: str, headers=(), events=(), url="http://127.0.0.1:9/v1/chat/completions"):
    return Exchange(id=xid, probe=probe, model="gpt-4o-mini", label=label, method="POST", url=url,
                    request_headers=(("authorization", "Bearer x"),), request_body='{"model": "gpt-4o-mini"}', status=status,
                    response_headers=(("content-type", "application/json"), *headers), body=body, body_bytes=len(body),
                    body_truncated=False, body_utf8_ok=True, timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=5.0),
                    events=tuple(events), events_total=len(events))


def _echoing_exchanges(key: str, form: str, split: int) -> tuple[Exchange, ...]:
    message = json.dumps({"error": {"message": f"Incorrect API key provided: {form}", "code": "invalid_api_key"}})
    reply = json.dumps({"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": f"your key is {form}"}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}})
    parts = [key[:split], key[split:]]  # the key split across two SSE events
    events = [SSEEvent(i, float(i), None, json.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}), None, True) for i, p in enumerate(parts)]
    return (
        _exchange("x1", "chat", "chat auth: bearer", 200, reply, headers=(("x-echo", form), ("location", f"/v1?key={form}"))),
        _exchange("x2", "stream", "stream", 200, "", events=events),
        _exchange("x3", "errors", "wrong key", 401, message, url=f"http://127.0.0.1:9/v1/chat/completions?api_key={form}"),
        _exchange("x4", "errors", "no key", 500, f"<html>upstream said {form}</html>", headers=(("set-cookie", f"s={form}"),)),
    )


CHECKS = ("chat.basic", "chat.follows", "models.echo", "stream.sse", "stream.complete", "errors.bad_key", "errors.missing_key",
          "errors.key_echo", "errors.shape")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(key=KEYS, encoding=st.sampled_from(sorted(ENCODINGS)), prefix=st.text(min_size=0, max_size=5), split=st.integers(1, 7))
def test_no_rendered_output_contains_the_key(key, encoding, prefix, split):
    form = ENCODINGS[encoding](key, prefix)
    target = Target(name="fuzz", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",))
    plan = plan_target(target, CHECKS)
    exchanges = _echoing_exchanges(key, form, split)
    run = TargetRun(plan=plan, effective_base_url=target.base_url, auth=Auth.BEARER, exchanges=exchanges,
                    results=evaluate(plan, exchanges), keys_used=frozenset({key}))
    redactor = Redactor([key])
    report = build_report((run,), {"fuzz": TargetKeys(main=key)}, "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "full", "medium", redactor)
    outputs = [render(report, fmt, lang=lang) for fmt in FORMATS for lang in ("en", "zh")]
    outputs += list(bundle.files(report, "en").values())
    decoded = [urllib.parse.unquote(text) for text in outputs]  # a form the redactor must have caught, decoded again
    for text in outputs + decoded:
        assert key not in text, (encoding, form)
        assert not redactor.leaks(text), (encoding, form)
    # The relay really carried the key: its own bytes hold it in the chosen encoding (no vacuous pass).
    assert Redactor([key]).leaks(form), (encoding, form)
