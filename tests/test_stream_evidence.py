"""The Recorder's side of streams: bounded work between yields, the CR at the end of a body, binary events and the
per-client evidence budget (through the real RecordingClient)."""

from __future__ import annotations

import asyncio
import zlib

import httpx

from relaycheck.wire.evidence import CONTROL_COST, EXCHANGE_FLOOR, EvidenceBudget, byte_cost
from relaycheck.transport.recorder import FEED_STEP, Recorder
from relaycheck.transport.client import Limits, RecordingClient
from rawserver import head, serve

SSE_HEADERS = {"content-type": "text/event-stream"}


def _recorder(headers: dict[str, str] = SSE_HEADERS, evidence: EvidenceBudget | None = None, **limits: int) -> Recorder:
    rec = Recorder(xid="x1", probe="stream", model="m", label="", expect_sse=False, limits=Limits(**limits), started_at="", t0=0.0,
                   evidence=evidence)
    rec.on_headers(httpx.Response(200, headers=headers))
    return rec


def _gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def test_one_chunk_that_inflates_to_megabytes_is_parsed_in_bounded_slices():
    rec = _recorder({**SSE_HEADERS, "content-encoding": "gzip"})
    assert rec.sse is not None
    fed: list[int] = []
    feed = rec.sse.feed
    rec.sse.feed = lambda chunk, t: (fed.append(len(chunk)), feed(chunk, t))[1]  # type: ignore[method-assign]
    slices, since_yield = [], 0
    for _ in rec._steps(_gzip(b'data: {"a":1}\n\n' * 400_000), 1.0):  # 6 MB of events in one raw chunk
        slices.append(sum(fed) - since_yield)
        since_yield = sum(fed)
    assert len(slices) > 50 and max(slices) <= FEED_STEP  # never more than one slice of parsing between yields
    assert rec.sse.events_total == 400_000


def test_receive_lets_other_tasks_run_while_a_large_chunk_is_parsed():
    async def go() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        rec = _recorder({**SSE_HEADERS, "content-encoding": "gzip"})
        assert await rec.receive(_gzip(b":\n\n" * 300_000), 1.0)  # 900 KB of comment blocks from one raw chunk
        task.cancel()
        return ticks

    # The event loop ran between slices, so a deadline (a timer like this task) fires on time.
    assert asyncio.run(go()) > 10


def test_a_cr_only_stream_is_complete_once_the_body_ends():
    rec = _recorder()
    assert rec.on_raw(b'data: {"a":1}\r\rdata: [DONE]\r\r', 5.0)
    assert rec.sse is not None and len(rec.sse.events) == 1  # the last CR is held back while the body may go on
    exchange = rec.freeze(10.0)
    assert [e.data for e in exchange.events] == ['{"a":1}', "[DONE]"] and exchange.sse_tail == ""
    assert exchange.events[-1].t_ms == 5.0


def test_an_endless_block_stops_the_read_with_a_body_cap_error():
    rec = _recorder()
    going = True
    for _ in range(100):
        going = rec.on_raw(b"x\n" * 32768, 1.0)
        if not going:
            break
    assert not going and rec.error_kind == "body_cap" and "without a blank line" in (rec.error or "")
    assert rec.body_bytes < 1024 * 1024


def test_binary_events_are_cut_and_noted():
    rec = _recorder()
    rec.on_raw((b"data: " + b"\x01" * 20_000 + b"\n\n") * 3, 1.0)
    exchange = rec.freeze(10.0)
    assert all(len(e.data or "") == 4096 for e in exchange.events) and len(exchange.events) == 3
    assert any("3 SSE events are binary" in n for n in exchange.notes)


def test_the_budget_keeps_a_floor_per_exchange_and_counts_the_rest():
    budget = EvidenceBudget(cap=100_000)
    first, second = _recorder({"content-type": "application/json"}, budget), _recorder({"content-type": "application/json"}, budget)
    body = b'{"text": "' + b"y" * 200_000 + b'"}'
    for rec in (first, second):
        rec.on_raw(body, 1.0)
    one, two = first.freeze(10.0), second.freeze(10.0)
    assert len(one.body) == 100_000 and len(two.body) == EXCHANGE_FLOOR  # the budget, then only the floor
    assert one.body_truncated and two.body_bytes == len(body)
    assert any("evidence budget" in n for n in two.notes)
    small = _recorder({"content-type": "application/json"}, budget)
    small.on_raw(b'{"ok": true}', 1.0)
    kept = small.freeze(10.0)
    assert kept.body == '{"ok": true}' and not kept.body_truncated and not kept.notes  # a reply stays judgeable


def test_the_budget_counts_bytes_and_weighs_control_characters():
    assert byte_cost(b"ab") == 2 and byte_cost("中".encode()) == 3
    assert byte_cost(b"\x01\x1f") == 2 * CONTROL_COST and byte_cost(b"\t\r\n") == 3  # JSON's short escapes are text


def test_the_recording_client_shares_one_budget_across_its_exchanges():
    events = b"".join(b'data: {"n": "' + b"z" * 1000 + b'"}\n\n' for _ in range(200)) + b"data: [DONE]\n\n"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="text/event-stream", connection="close") + events)
        await writer.drain()

    async def go() -> tuple[RecordingClient, list]:
        async with serve(handler) as base, RecordingClient("sk-test") as client:
            client.evidence.cap = 150_000  # small, so the second and third streams find it spent
            found = [await client.request("POST", f"{base}/v1/chat/completions", probe="stream", json_body={}) for _ in range(3)]
        return client, found

    client, (one, two, three) = asyncio.run(go())
    assert client.evidence.spent >= 150_000
    assert one.events_total == two.events_total == three.events_total == 201
    assert len(one.events) > len(three.events) > 0  # the floor still keeps the start of each stream
    assert any("counted, not kept" in n for n in three.notes) and any("evidence budget" in n for n in three.notes)


def test_the_deadline_fires_on_time_while_one_chunk_inflates_to_the_drain_cap():
    bomb = _gzip(b":\n\n" * 6_000_000)  # 18 MB of comment blocks in about 20 KB: one raw chunk, once parsed in one go

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="text/event-stream", content_encoding="gzip", content_length=str(len(bomb))) + bomb)
        await writer.drain()
        await asyncio.sleep(30)

    async def go():
        async with serve(handler) as base, RecordingClient("sk-test") as client:
            return await client.request("POST", f"{base}/v1/chat/completions", probe="stream", json_body={}, deadline_s=0.3)

    exchange = asyncio.run(go())
    assert exchange.error_kind == "deadline"
    assert exchange.timings.end_ms is not None and exchange.timings.end_ms < 3000  # parsed all in one call, it took seconds
