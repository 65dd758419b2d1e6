"""SSE reader cases written against surviving mutmut mutants of relaycheck/sse.py (see /tmp/mut/RESULT.md)."""

from __future__ import annotations

import pytest

from relaycheck.wire.evidence import BINARY_KEPT
from relaycheck.wire.sse import TAIL_CHARS, SSEReader


def _read(raw: bytes, t_ms: float = 5.0, **kw) -> SSEReader:
    reader = SSEReader(**kw)
    reader.feed(raw, t_ms)
    return reader


def test_event_costs_asked_of_keep():
    costs: list[int] = []
    _read(b"data: a\n\nevent: e\nid: 1\ndata: b\n\n", keep=lambda c: costs.append(c) or True)
    # canonical: overhead 96 + data 1; with fields: 96 + 1 + 1 + 1 + the raw text's 24 bytes
    assert costs == [97, 123]


def test_binary_events_are_counted_cut_and_costed():
    costs: list[int] = []
    raw = b"data: " + b"\x01" * 1100 + b"\n\n" + b"event: " + b"\x02" * 1100 + b"\nid: " + b"i" * 5000 + b"\ndata: x\n\n"
    reader = _read(raw, keep=lambda c: costs.append(c) or True)
    assert reader.binary_events == 2
    assert costs == [140896, 288832]
    first, second = reader.events
    assert len(first.data) == 1100 and first.raw_text is None
    assert len(second.event) == 1100 and second.id == "i" * BINARY_KEPT and second.data == "x"
    assert len(second.raw_text) == 4139
    assert second.raw_text.endswith("i… (2026 more characters not kept: binary)\n\n")


def test_a_binary_event_of_exactly_the_kept_size_is_not_marked_cut():
    raw = b"data: " + b"\x01" * (BINARY_KEPT - 8) + b"\n\n"
    (event,) = _read(raw).events
    assert event.raw_text is None and len(event.raw) == BINARY_KEPT


def test_invalid_utf8_in_every_field_is_replaced_not_raised():
    (event,) = _read(b"event: \xff\nid: \xfe\ndata: \xfd\n\n").events
    assert (event.event, event.id, event.data, event.utf8_ok) == ("\ufffd", "\ufffd", "\ufffd", False)
    assert event.raw_text == "event: \ufffd\nid: \ufffd\ndata: \ufffd\n\n"


def test_comments_are_counted_and_a_comment_block_is_no_event():
    reader = _read(b"data: a\n\n:c1\n:c2\n\n")
    assert (reader.events_total, reader.comments, len(reader.events)) == (1, 2, 1)


def test_unknown_fields_and_ids_with_nul_are_ignored():
    reader = _read(b"foo: bar\ndata: a\n\nid: a\x00b\ndata: c\n\nid: ok\ndata: d\n\n")
    assert [(e.id, e.data) for e in reader.events] == [(None, "a"), (None, "c"), ("ok", "d")]


def test_a_held_back_cr_takes_the_time_of_its_chunk():
    reader = SSEReader()
    reader.feed(b"data: a\n\r", 7.0)
    reader.finish()
    assert [(e.t_ms, e.data, e.raw_text) for e in reader.events] == [(7.0, "a", "data: a\n\r")]
    reader = SSEReader()
    reader.feed(b"data: a\r", 1.0)
    reader.feed(b"\n", 2.0)
    reader.feed(b"\r", 3.0)
    reader.finish()
    assert [(e.t_ms, e.raw_text) for e in reader.events] == [(3.0, "data: a\r\n\r")]


def test_the_line_bound_is_exclusive():
    reader = SSEReader(max_line=10)
    reader.feed(b"x" * 10, 1.0)
    assert (reader.overflow, reader.overflow_reason) == (False, "")
    reader.feed(b"y", 1.0)
    assert (reader.overflow, reader.overflow_reason) == (True, "an SSE line grew past 10 bytes without a line end")


def test_the_block_line_bound_counts_from_each_event():
    reader = _read(b"data: a\n\ndata: 1\ndata: 2\ndata: 3\n", max_block_lines=3)
    assert (reader.overflow, reader.events_total) == (False, 1)
    reader = _read(b"data: 1\ndata: 2\ndata: 3\ndata: 4\n", max_block_lines=3)
    assert reader.overflow
    assert reader.overflow_reason == f"an SSE event grew past 3 lines or {reader.max_block} bytes without a blank line"
    assert reader.tail() == "data: 1\ndata: 2\ndata: 3\n"


@pytest.mark.parametrize("bound,overflow", [(18, False), (17, True)])
def test_the_block_byte_bound(bound, overflow):
    reader = _read(b"data: 1234567890ab\n\n", max_block=bound)  # the line is 18 bytes
    assert reader.overflow is overflow
    assert reader.events_total == (0 if overflow else 1)


@pytest.mark.parametrize(
    "raw,length,end",
    [
        (b"data: " + b"z" * 5000, 4129, "z… (910+ more characters not kept)"),
        (b"data: " + b"z" * (TAIL_CHARS - 6), TAIL_CHARS, "zzzz"),
        (b"data: 1\ndata: " + b"w" * 20000 + b"\n", 4131, "w… (12288+ more characters not kept)"),
        (b"data: 1\n" + b"q" * 20000, 4131, "q… (12296+ more characters not kept)"),
    ],
)
def test_tail_bounds(raw, length, end):
    tail = _read(raw).tail()
    assert len(tail) == length and tail.endswith(end)


def test_tail_replaces_invalid_utf8():
    assert _read(b"data: \xff\xfe").tail() == "data: \ufffd\ufffd"
