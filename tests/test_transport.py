"""The recording transport: no redirects, no retries, deadlines, caps, bounded decompression, timestamps."""

from __future__ import annotations

import asyncio
import time
import zlib

import httpx
import respx

from relaycheck.protocol.auth import Auth
from relaycheck.transport.client import Limits, RecordingClient, retry_after_seconds
from rawserver import chunk, head, serve

KEY = "sk-test-abcdefghijklmnopqrstuvwx"


def run(coro):
    return asyncio.run(coro)


def test_redirects_are_recorded_not_followed():
    async def go():
        with respx.mock(assert_all_called=False) as mock:
            mock.get("https://relay.test/v1/models").respond(307, headers={"location": "https://elsewhere.test/v1/models"})
            other = mock.get("https://elsewhere.test/v1/models").respond(200, json={})
            async with RecordingClient(KEY) as client:
                ex = await client.request("GET", "https://relay.test/v1/models", probe="root")
            return ex, other.call_count

    ex, calls_elsewhere = run(go())
    assert ex.status == 307 and ex.header("location") == "https://elsewhere.test/v1/models"
    assert calls_elsewhere == 0


def test_no_retries_on_errors():
    async def go():
        with respx.mock() as mock:
            route = mock.post("https://relay.test/v1/chat/completions").respond(500, json={"error": {"message": "x"}})
            async with RecordingClient(KEY) as client:
                await client.request("POST", "https://relay.test/v1/chat/completions", probe="chat", json_body={})
            return route.call_count

    assert run(go()) == 1


def test_key_placements():
    async def go():
        with respx.mock() as mock:
            route = mock.post(url__startswith="https://relay.test/v1/chat/completions").respond(200, json={})
            async with RecordingClient(KEY) as client:
                for auth in Auth:
                    await client.request("POST", "https://relay.test/v1/chat/completions", probe="chat", json_body={"a": 1}, auth=auth)
            return [call.request for call in route.calls]

    bearer, none, query, xkey, goog, apikey, body = run(go())
    assert bearer.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in none.headers and KEY not in str(none.url) and KEY.encode() not in none.content
    assert query.url.params["key"] == KEY
    assert xkey.headers["x-api-key"] == KEY and apikey.headers["api-key"] == KEY and goog.headers["x-goog-api-key"] == KEY
    assert b'"api_key": "' + KEY.encode() in body.content


def test_retry_after_delays_the_next_request():
    async def go():
        with respx.mock() as mock:
            mock.get("https://relay.test/a").respond(429, headers={"retry-after": "0.4"})
            mock.get("https://relay.test/b").respond(200)
            async with RecordingClient(KEY) as client:
                await client.request("GET", "https://relay.test/a", probe="p")
                start = time.perf_counter()
                await client.request("GET", "https://relay.test/b", probe="p")
                return time.perf_counter() - start

    assert run(go()) >= 0.35


def test_retry_after_forms():
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(httpx.Headers({"retry-after": "3"})) == 3.0
    assert retry_after_seconds(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after_seconds(httpx.Headers({})) is None


def test_body_is_capped_and_the_rest_counted():
    async def go():
        with respx.mock() as mock:
            mock.get("https://relay.test/big").respond(200, content=b"a" * 100_000)
            async with RecordingClient(KEY, Limits(body_cap=1000)) as client:
                return await client.request("GET", "https://relay.test/big", probe="p")

    ex = run(go())
    assert len(ex.body) == 1000 and ex.body_bytes == 100_000 and ex.body_truncated and ex.error is None


def test_connection_refused_and_invalid_url_become_fields():
    async def go():
        async with RecordingClient(KEY, Limits(connect_s=2)) as client:
            refused = await client.request("GET", "http://127.0.0.1:9/v1/models", probe="p")
            after = await client.request("GET", "http://127.0.0.1:9/v1/models", probe="p")
        async with RecordingClient(KEY, Limits(connect_s=2)) as client:
            invalid = [await client.request("GET", url, probe="p") for url in ("relay/v1", "http://127.0.0.1:99999/v1")]
        return refused, after, invalid

    refused, after, invalid = run(go())
    # Refused is unreachable, not slow; nothing more is sent to an address that refuses (recorded as not sent).
    assert refused.error_kind == "unreachable" and refused.status is None
    assert after.error_kind == "not_sent" and "unreachable" in (after.error or "")
    assert [x.error_kind for x in invalid] == ["protocol", "protocol"]


def test_silence_before_the_first_byte_is_a_read_timeout():
    async def handler(reader, writer):
        await asyncio.sleep(5)

    async def go():
        async with serve(handler) as base:
            async with RecordingClient(KEY, Limits(read_s=0.3, deadline_s=3)) as client:
                return await client.request("GET", base + "/x", probe="p")

    ex = run(go())
    assert ex.error_kind == "read" and ex.timings.end_ms < 2000


def test_a_stalled_stream_is_a_stream_idle_timeout():
    async def handler(reader, writer):
        writer.write(head(content_type="text/event-stream", transfer_encoding="chunked") + chunk(b'data: {"a":1}\n\n'))
        await writer.drain()
        await asyncio.sleep(5)

    async def go():
        async with serve(handler) as base:
            async with RecordingClient(KEY, Limits(read_s=0.3, deadline_s=3)) as client:
                return await client.request("POST", base + "/x", probe="stream", json_body={}, expect_sse=True)

    ex = run(go())
    assert ex.error_kind == "stream_idle" and len(ex.events) == 1


def test_an_endless_trickle_hits_the_deadline():
    async def handler(reader, writer):
        writer.write(head(content_type="text/plain", transfer_encoding="chunked"))
        for _ in range(100):
            writer.write(chunk(b"x"))
            await writer.drain()
            await asyncio.sleep(0.05)

    async def go():
        async with serve(handler) as base:
            async with RecordingClient(KEY, Limits(read_s=1, deadline_s=0.5)) as client:
                return await client.request("GET", base + "/x", probe="p")

    start = time.perf_counter()
    ex = run(go())
    assert ex.error_kind == "deadline" and time.perf_counter() - start < 2.0
    assert 0 < ex.body_bytes < 100


def test_a_gzip_bomb_is_not_inflated_past_the_drain_cap():
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = bomb.compress(b"\0" * (64 * 1024 * 1024)) + bomb.flush()  # 64 MiB of zeros in ~64 KiB

    async def handler(reader, writer):
        writer.write(head(content_type="application/json", content_encoding="gzip", content_length=str(len(payload))) + payload)
        await writer.drain()

    async def go():
        async with serve(handler) as base:
            async with RecordingClient(KEY, Limits(drain_cap=1024 * 1024, body_cap=1000)) as client:
                return await client.request("GET", base + "/x", probe="p")

    ex = run(go())
    assert ex.error_kind == "body_cap"
    assert ex.body_bytes <= 1024 * 1024 and len(ex.body) == 1000


def test_sse_event_times_follow_arrival():
    async def handler(reader, writer):
        writer.write(head(content_type="text/event-stream", transfer_encoding="chunked"))
        for i in range(3):
            writer.write(chunk(b'data: {"i":%d}\n\n' % i))
            await writer.drain()
            await asyncio.sleep(0.15)
        writer.write(chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
        await writer.drain()

    async def go():
        async with serve(handler) as base:
            async with RecordingClient(KEY) as client:
                return await client.request("POST", base + "/x", probe="stream", json_body={}, expect_sse=True)

    ex = run(go())
    times = [e.t_ms for e in ex.events]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 4 and all(120 <= g <= 250 for g in gaps), gaps
    assert ex.timings.first_event_ms == times[0] and ex.events[-1].is_done
