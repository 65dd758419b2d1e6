"""Transport state of the "parse" area: Retry-After reading, the per-run wait budget, no cookie jar, one SSL context."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest
import respx

from relaycheck.transport import client as transport
from relaycheck.wire.exchange import loads_relay
from relaycheck.transport.client import DEFAULT_RETRY_AFTER_S, Limits, RecordingClient, read_retry_after

KEY = "sk-test-abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize("value", ["soon", "Mon, 01 Jan 2026 23:59:60 GMT", "Mon, 99 Jan 2026 23:59:59 GMT", "", "nan", "inf", "1e999"])
def test_an_unreadable_retry_after_waits_the_default_and_says_so(value):
    seconds, note = read_retry_after(httpx.Headers({"retry-after": value}))
    assert seconds == DEFAULT_RETRY_AFTER_S and note is not None and repr(value) in note and "default" in note


def test_readable_retry_after_values_carry_no_note():
    assert read_retry_after(httpx.Headers({"retry-after": "3"})) == (3.0, None)
    assert read_retry_after(httpx.Headers({"retry-after-ms": "nan", "retry-after": "2"})) == (2.0, None)  # the bad ms form is skipped
    assert read_retry_after(httpx.Headers({})) == (None, None)
    assert read_retry_after(httpx.Headers({"retry-after-ms": "later"}))[1].startswith("retry-after-ms 'later' is neither")
    long = read_retry_after(httpx.Headers({"retry-after": "x" * 5000}))[1]
    assert long is not None and len(long) < 200  # the relay's text is shown, not pasted whole


def test_concurrent_waits_on_one_retry_after_spend_the_budget_once():
    client = RecordingClient(KEY, Limits(retry_wait_s=10))
    try:
        assert client._hold(4) and client._hold(4) and client._hold(3)  # the same window, asked three times
        assert 3.9 < client._waited < 5  # not 11: the later asks add only what passed in between
        assert client._hold(9) and not client._hold(16)  # 9 s ends ~5 s past the first hold (total ~9 s); 16 s would pass 10
    finally:
        asyncio.run(client.aclose())


def test_a_429_past_the_budget_is_noted_and_not_granted():
    async def go():
        with respx.mock() as mock:
            mock.post("https://relay.test/v1/chat/completions").respond(429, headers={"retry-after": "5"}, json={"error": {"message": "slow down"}})
            async with RecordingClient(KEY, Limits(retry_wait_s=3)) as client:
                ex = await client.request("POST", "https://relay.test/v1/chat/completions", probe="chat", json_body={"messages": []})
                return ex, client.retry_granted(ex)

    ex, granted = asyncio.run(go())
    assert not granted and any("3 s budget for Retry-After waits is used up" in n for n in ex.notes), ex.notes


def test_no_cookie_is_kept_or_sent_back():
    async def go():
        with respx.mock() as mock:
            route = mock.get("https://relay.test/v1/models").respond(200, json={}, headers=[(b"set-cookie", b"session=abc; Path=/"),
                                                                                       (b"set-cookie", "utf8=中转站; Path=/".encode())])
            async with RecordingClient(KEY) as client:
                first = await client.request("GET", "https://relay.test/v1/models", probe="root")
                second = await client.request("GET", "https://relay.test/v1/models", probe="root")
                return first, second, [call.request.headers.get("cookie") for call in route.calls], len(client._client.cookies.jar)

    first, second, cookies, kept = asyncio.run(go())
    assert first.ok and second.ok and second.error is None
    assert cookies == [None, None] and kept == 0
    assert not any(k.lower() == "cookie" for k, _ in second.request_headers)


def test_every_client_shares_one_ssl_context(monkeypatch):
    built: list[ssl.SSLContext] = []
    real = httpx.create_ssl_context

    def counting(*args, **kwargs):
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(transport, "_SSL", {})
    monkeypatch.setattr(httpx, "create_ssl_context", counting)

    async def go():
        clients = [RecordingClient(KEY) for _ in range(20)]
        contexts = {id(c._client._transport._pool._ssl_context) for c in clients}
        for c in clients:
            await c.aclose()
        return contexts

    contexts = asyncio.run(go())
    assert len(built) == 1 and contexts == {id(built[0])}


def test_loads_relay_never_raises():
    assert loads_relay("[" * 1000 + "]" * 1000) is None  # RecursionError inside json
    assert loads_relay("[" * 100 + "]" * 100) is None  # parses, but deeper than any API answer
    assert loads_relay('{"a": [[1]]}') == {"a": [[1]]}
    assert loads_relay("1" * 5000) is None  # past Python's integer-string limit
    assert loads_relay("nope", default="x") == "x" and loads_relay("null", default="x") is None
