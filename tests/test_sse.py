"""The SSE reader follows the spec: line ends, comments, multi-line data, event names, split chunks."""

from __future__ import annotations

import pytest

from relaycheck.wire.evidence import CONTROL_COST
from relaycheck.wire.sse import SSEReader

STREAM = (
    b": keep-alive\r\n\r\n"
    b'data:{"a":1}\r\n\r\n'
    b"event: ping\ndata: x\ndata: y\n\n"
    b"id: 7\rdata: cr\r\r"
    b"data: [DONE]\n\n"
)


def _read(data: bytes, step: int) -> SSEReader:
    reader = SSEReader()
    for i in range(0, len(data), step):
        reader.feed(data[i : i + step], float(i))
    return reader


@pytest.mark.parametrize("step", [1, 2, 3, 5, 7, 64, 4096])
def test_events_are_the_same_whatever_the_chunking(step):
    reader = _read(STREAM, step)
    assert [(e.event, e.data, e.id) for e in reader.events] == [
        (None, '{"a":1}', None),
        ("ping", "x\ny", None),
        (None, "cr", "7"),
        (None, "[DONE]", None),
    ]
    assert reader.comments == 1
    assert reader.events[-1].is_done
    assert reader.tail() == ""


def test_raw_text_keeps_line_ends_and_canonical_events_are_not_duplicated():
    reader = _read(b'data: {"b":2}\n\ndata:{"c":3}\r\n\r\n', 4096)
    first, second = reader.events
    assert first.raw_text is None and first.raw == 'data: {"b":2}\n\n'
    assert second.raw == 'data:{"c":3}\r\n\r\n'


def test_arrival_time_is_that_of_the_chunk_completing_the_event():
    reader = SSEReader()
    reader.feed(b"data: 1", 10.0)
    reader.feed(b"\n\n", 25.0)
    assert reader.events[0].t_ms == 25.0


def test_crlf_split_between_chunks_is_one_line_end():
    reader = SSEReader()
    reader.feed(b"data: a\r", 1.0)
    reader.feed(b"\n\r\n", 2.0)
    assert [e.data for e in reader.events] == ["a"]


def test_invalid_utf8_is_flagged_not_raised():
    reader = _read(b"data: \xff\xfe\n\n", 4096)
    assert reader.events[0].utf8_ok is False


def test_incomplete_tail_and_field_without_colon():
    reader = _read(b"event\ndata\n\ndata: cut", 4096)
    assert reader.events[0].event == "" and reader.events[0].data == ""
    assert reader.tail() == "data: cut"


def test_event_cap_counts_the_rest():
    reader = SSEReader(max_events=2)
    reader.feed(b"data: 1\n\n" * 5, 0.0)
    assert len(reader.events) == 2 and reader.events_total == 5


def test_a_huge_line_is_read_in_linear_time():
    import time

    reader = SSEReader()
    piece = b"x" * 4096
    start = time.perf_counter()
    reader.feed(b"data: ", 0.0)
    for _ in range(768):  # 3 MiB without a line end (under the 4 MiB line cap)
        reader.feed(piece, 0.0)
    reader.feed(b"\n\n", 1.0)
    assert time.perf_counter() - start < 2.0
    assert len(reader.events[0].data) == 3 * 1024 * 1024 and not reader.overflow


def test_a_line_that_never_ends_overflows_instead_of_growing():
    reader = SSEReader()
    reader.feed(b"data: ", 0.0)
    for _ in range(2048):  # 8 MiB, no line end
        reader.feed(b"x" * 4096, 0.0)
        if reader.overflow:
            break
    assert reader.overflow and len(reader._buffer) <= reader.max_line + 4096
    assert len(reader.tail()) < 5000  # the evidence keeps the start of the line, not all of it


CR_ONLY = b'data: {"a":1}\r\r: keep-alive\rdata: [DONE]\r\r'


@pytest.mark.parametrize("step", [1, 2, 3, 7, 4096])
def test_a_cr_only_stream_dispatches_its_last_event_at_the_end_of_the_body(step):
    reader = _read(CR_ONLY, step)
    assert [e.data for e in reader.events] == ['{"a":1}']  # the final CR may still be half of a CRLF
    reader.finish()
    assert [e.data for e in reader.events] == ['{"a":1}', "[DONE]"]
    assert reader.events[-1].raw == ": keep-alive\rdata: [DONE]\r\r" and reader.tail() == "" and reader.comments == 1


def test_finish_resolves_only_the_held_back_cr():
    crlf_then_cr = _read(b"data: a\r\n\r", 4096)
    crlf_then_cr.finish()
    assert [e.data for e in crlf_then_cr.events] == ["a"]
    # A final block without its blank line is not dispatched (WHATWG), whether its last line ends in CR or not at all.
    for unfinished in (b"data: [DONE]\r", b"data: [DONE]\n", b"data: [DONE]"):
        reader = _read(b"data: 1\n\n" + unfinished, 4096)
        reader.finish()
        assert [e.data for e in reader.events] == ["1"], unfinished
        assert reader.tail() == unfinished.decode()


@pytest.mark.parametrize("line", [b":\n", b"x\n", b"data: a\n"])
def test_a_block_without_a_blank_line_stops_at_its_line_bound(line):
    reader = SSEReader(max_block_lines=1000)
    for _ in range(100):  # 3,200 lines, never a blank line
        reader.feed(line * 32, 0.0)
    assert reader.overflow and "1000 lines" in reader.overflow_reason
    assert len(reader._raw) <= 1000 * len(line) and reader.events_total == 0
    comments = reader.comments
    reader.feed(b":\n\n" * 10, 1.0)  # nothing after the overflow is parsed or kept
    assert reader.comments == comments and reader.events_total == 0
    assert len(reader.tail()) < 5000


def test_a_block_without_a_blank_line_stops_at_its_byte_bound():
    reader = SSEReader(max_block=64 * 1024)
    for _ in range(100):
        reader.feed(b"x" * 1000 + b"\n", 0.0)
    assert reader.overflow and "65536 bytes" in reader.overflow_reason and len(reader._raw) <= 64 * 1024


def test_the_default_bounds_keep_a_long_event_and_stop_an_endless_block():
    reader = _read(b"data: a\n" * 200_000 + b"\n", 65536)
    assert not reader.overflow and reader.events[0].data == "\n".join(["a"] * 200_000)
    endless = _read(b":\n" * 300_000, 65536)
    assert endless.overflow and len(endless._raw) <= 2 * 250_000


def test_many_data_lines_are_joined_in_linear_time():
    import time

    start = time.perf_counter()
    reader = _read(b"data: a\n" * 200_000 + b"\n", 4096)
    # Linear: well under a second; the old list copy per line took about 40 s for these 200,000 lines.
    assert time.perf_counter() - start < 10.0
    assert len(reader.events[0].data) == 2 * 200_000 - 1


def test_a_binary_event_keeps_its_start_and_says_so():
    junk = bytes(range(1, 9)) * 2000  # 16,000 control characters
    reader = _read(b"data: " + junk + b"\n\ndata: \x01 one stray control\n\n", 4096)
    big, small = reader.events
    assert len(big.data) == 4096 and big.data == junk[:4096].decode()
    assert big.raw.startswith("data: " + junk[:100].decode()) and "more characters not kept: binary" in big.raw
    assert small.data == "\x01 one stray control" and small.raw_text is None  # a few control characters are kept
    assert reader.binary_events == 1
    # Control characters in another field make the event binary, but JSON data without any is kept whole.
    payload = '{"text": "' + "y" * 10_000 + '"}'
    named = _read(b"event: " + junk + b"\ndata: " + payload.encode() + b"\n\n", 4096).events[0]
    assert named.data == payload and len(named.event or "") == 4096


def test_events_the_budget_refuses_are_counted_and_only_a_prefix_is_kept():
    costs: list[int] = []

    def keep(cost: int) -> bool:
        costs.append(cost)
        return len(costs) <= 2

    reader = SSEReader(keep=keep)
    reader.feed(b"data: 1\n\n" * 3 + b"data: 2\n\n", 0.0)
    assert [e.data for e in reader.events] == ["1", "1"] and reader.events_total == 4 and reader.unkept_from == 2
    assert len(costs) == 3  # once refused, later (smaller) events are not asked about: no holes in the stream
    # The cost is the event's size, control characters weighing CONTROL_COST each.
    priced: list[int] = []
    SSEReader(keep=lambda c: priced.append(c) or True).feed(b"data: \x01\x01\n\ndata: ab\n\n", 0.0)
    assert priced[0] - priced[1] == 2 * (CONTROL_COST - 1)
