"""The SSE reader follows the spec: line ends, comments, multi-line data, event names, split chunks."""

from __future__ import annotations

import pytest

from relaycheck.sse import SSEReader

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
