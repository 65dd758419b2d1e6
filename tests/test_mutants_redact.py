"""Redaction cases written against surviving mutmut mutants of relaycheck/redact.py (see /tmp/mut/RESULT.md).

Each case pins what the redactor must output for one input: the exact text, the label it uses, which
helpers report a leak or a full echo. All deterministic, no network, no subprocess.
"""

from __future__ import annotations

import base64
import io
import json
import urllib.parse

import pytest

from relaycheck.core.exits import SecretLeakError
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.redaction.redact import (
    GuardedStream,
    Redactor,
    decode_escapes,
    echoes,
    key_id,
    redact_known,
    register,
    register_secrets,
    secret_forms,
    single,
)
from relaycheck.wire.sse import SSEEvent, SSEReader

KEY = "sk-live-7Qx9Lm2Pz8Rt4Wv6Ny1Bk3Hd"
LABEL = "[redacted sk-…k3Hd #285d1ab1]"
ESC_U = "".join(f"\\u{ord(c):04x}" for c in KEY)


@pytest.fixture(scope="module")
def r() -> Redactor:
    return Redactor([KEY])


# --- key_id and secret_forms ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "secret,expected",
    [
        (KEY, "sk-…k3Hd #285d1ab1"),
        ("abc", "… #ba7816bf"),  # short, no prefix: nothing but the hash
        ("abcdefghij-klmnopqrstuvwxyz", "…wxyz #008ac0b7"),  # head longer than 4: no prefix, tail from 20 chars on
        ("ab-cdefghijklmnopqrst", "ab-…qrst #eee0e84e"),
        ("abcde-fghijklmnopqrstu", "…rstu #17fc6a32"),
        ("a!-bcdefghijklmnopqrstu", "…rstu #c276d6c4"),  # a non-alphanumeric head is not a prefix
    ],
)
def test_key_id_shapes(secret, expected):
    assert key_id(secret) == expected


def test_key_id_prefix_and_tail_boundaries():
    assert key_id("a-" + "x" * 16).startswith("a-… #")  # 18 characters: a one-character head, no tail
    assert key_id("abcd-" + "y" * 14) == key_id("abcd-" + "y" * 14)
    assert key_id("abcd-" + "y" * 14).split(" #")[0] == "abcd-…"
    assert key_id("abcd-" + "y" * 15).split(" #")[0] == "abcd-…yyyy"  # exactly 20 characters: the tail is shown
    assert key_id("-" + "z" * 20).split(" #")[0] == "…zzzz"  # an empty head is no prefix


def test_secret_forms_of_short_and_special_keys():
    assert secret_forms("abcdefgh") == {"FiY2RlZmdo", "YWJjZGVmZ2", "YWJjZGVmZ2g", "abcdefgh", "hYmNkZWZna"}
    assert secret_forms("a b/c") == {"YSBiL2M", "a b/c", "a%20b%2Fc", "a+b%2Fc"}  # cores shorter than 8 are dropped


def test_secret_forms_of_the_key_cover_every_base64_alignment():
    forms = secret_forms(KEY)
    assert KEY in forms and base64.b64encode(KEY.encode()).decode().rstrip("=") in forms
    for offset in range(3):
        blob = base64.b64encode(b"\0" * offset + KEY.encode()).decode()
        assert any(f in blob for f in forms if f != KEY)


# --- decode_escapes -------------------------------------------------------------------------------------------

def test_decode_escapes_every_kind():
    assert decode_escapes("\\ud83d\\ude00 \\u0041\\/ &#65; &#x42; &#1114112; %41%zz") == "😀 A/ A B \ufffd A%zz"
    assert decode_escapes("&#X43 &#0067; &#x0044;") == "C C D"
    assert decode_escapes("plain text") == "plain text"
    assert decode_escapes("a\\/b") == "a/b"
    assert decode_escapes("%E4%BD%A0 %FF") == "你 \ufffd"


# --- Redactor.text --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text,expected",
    [
        (f"x {KEY} y", f"x {LABEL} y"),
        (f"x {KEY.upper()} y", f"x {LABEL} y"),
        (ESC_U, LABEL),
        ("".join(f"&#{ord(c)};" for c in KEY), LABEL),
        ("".join(f"&#x{ord(c):x};" for c in KEY), LABEL),
        ("".join(f"%{ord(c):02X}" for c in KEY), LABEL),
        (f"head {KEY[:9]}", f"head {LABEL}"),  # a prefix at the end of the text: a truncated key
        (f"{KEY[-9:]} tail", f"{LABEL} tail"),  # a suffix at its start
        (f"a {KEY[:9]}… b", f"a {LABEL}… b"),  # before a cut mark
        (f"a …{KEY[-9:]} b", f"a …{LABEL} b"),  # after one
        (f"mid {KEY[3:15]} mid", f"mid {LABEL} mid"),  # 12 characters anywhere
        (f"mid {KEY[3:14]} mid", f"mid {KEY[3:14]} mid"),  # 11 in the middle are not a key
        (f"[{KEY[:9]}]", f"[{KEY[:9]}]"),  # 9 characters not at a cut point
        (KEY[:11], LABEL),
        ("pre " + ESC_U[:60], f"pre {LABEL}"),  # escaped prefix at the end
        ("pre " + ESC_U[:62], f"pre {LABEL}"),  # cut inside an escape
        ("x" + ESC_U + "y", LABEL),
        ("q=" + urllib.parse.quote_plus(KEY), f"q={LABEL}"),
        (base64.b64encode(KEY.encode()).decode(), LABEL + "="),
        (base64.b64encode(("Bearer " + KEY).encode()).decode(), "QmVhcmVyIH" + LABEL),
        ("你好世界你好世界你好世界%41", "你好世界你好世界你好世界%41"),
        (f"{KEY[:5]}\\u{ord(KEY[5]):04x}{KEY[6:14]}…", LABEL + "…"),
        ("", ""),
        ("nothing secret here at all", "nothing secret here at all"),
    ],
)
def test_text_exact_output(r, text, expected):
    assert r.text(text) == expected


def test_text_leaks_and_full_echo_agree_with_the_rules(r):
    assert r.leaks(f"x {KEY} y") == ["sk-…k3Hd #285d1ab1"]
    assert r.leaks(f"mid {KEY[3:15]} mid") == ["sk-…k3Hd #285d1ab1"]
    assert r.leaks(f"head {KEY[:9]}") == []  # cut fragments are redacted but are not a leak of 12+
    assert r.leaks(ESC_U) == ["sk-…k3Hd #285d1ab1"]
    assert r.leaks("".join(f"\\u{ord(c):04x}" for c in KEY[:10])) == []
    assert r.carries_in_full(f"x {KEY.lower()} y")
    assert r.carries_in_full(ESC_U) and r.carries_in_full("x" + ESC_U + "y")
    assert r.carries_in_full("".join(f"%{ord(c):02X}" for c in KEY))
    assert not r.carries_in_full(KEY[:-1])
    assert not r.carries_in_full(f"mid {KEY[3:15]} mid")
    assert not r.carries_in_full(ESC_U[:-6])
    assert not r.carries_in_full("only \\n an escape")


def test_query_parameters_and_key_shapes(r):
    assert r.text("GET /v1?api_key=SECRET&token=t0k&x=1#frag and ?AUTH=abc 'q' &secret=zz\"x") == (
        "GET /v1?api_key=[redacted]&token=[redacted]&x=1#frag and ?AUTH=[redacted] 'q' &secret=[redacted]\"x"
    )
    assert r.text("other AIzaSyA1234567890123456789012345678901 and rk-short") == "other [redacted …8901 #89377376] and rk-short"
    assert r.text("pk-" + "A" * 16) == f"[redacted {key_id('pk-' + 'A' * 16)}]"
    assert r.text("pk-" + "A" * 15) == "pk-" + "A" * 15


def test_a_short_key_is_found_by_search_in_any_case():
    secret = "k9Zq7Wm3Xv"
    rs = Redactor([secret])
    label = "[redacted … #47b47aa7]"
    assert rs.text(f"a {secret} b {secret.upper()} c {secret}") == f"a {label} b {label} c {label}"
    assert rs.leaks(f"x{secret}x") == ["… #47b47aa7"]
    assert rs.text("k9Zq7Wm3X") == label  # a 9-character prefix at a cut point is what truncation leaves
    assert rs.text("[k9Zq7Wm3X]") == "[k9Zq7Wm3X]"  # not at a cut point: not the key


def test_a_very_short_key_below_the_block_size():
    rs = Redactor(["abc"])
    assert rs.text("xabcx") == "x[redacted … #ba7816bf]x"


def test_several_keys_each_keep_their_own_label_longest_first():
    a, b = "sk-aaaaBBBBccccDDDDeeee1111", "sk-zzzzYYYYxxxxWWWWvvvv22223333"
    r2 = Redactor([a, b, "", a])
    assert r2.secrets == (b, a)
    assert r2.text(f"p {a} q {b}") == "p [redacted sk-…1111 #78d5d6fd] q [redacted sk-…3333 #ca954fd9]"
    assert r2.leaks(f"{b} {a}") == ["sk-…3333 #ca954fd9", "sk-…1111 #78d5d6fd"]  # by secret number (order added)
    r2.add([a])  # already known: nothing changes
    assert r2.secrets == (b, a)


def test_adding_a_key_later_invalidates_the_cache():
    rd = Redactor()
    assert rd.text(f"x {KEY}") == "x [redacted sk-…k3Hd #285d1ab1]"  # key-shaped, found by KEY_SHAPE
    other = "zz9Qw8Er7Ty6Ui5Op4"
    assert rd.text(f"x {other}") == f"x {other}"
    rd.add([other])
    assert rd.text(f"x {other}") == f"x [redacted {key_id(other)}]"


def test_many_keys_sharing_a_prefix_are_all_still_found():
    keys = [f"sk-proj-{i:04d}" + "Q7w9E2r4T6y8U1i3"[i % 16:] + "Q7w9E2r4T6y8U1i3"[: i % 16] + f"{i:04d}" for i in range(80)]
    rd = Redactor(keys)
    for k in (keys[0], keys[41], keys[79]):
        out = rd.text(f"see {k} end")
        assert out == f"see [redacted {key_id(k)}] end", out


def test_a_huge_token_is_searched_by_block():
    rd = Redactor([KEY])
    blob = "x" * 3000 + KEY[4:20] + "y" * 3000
    out = rd.text(blob)
    assert out == "x" * 3000 + LABEL + "y" * 3000
    assert rd.text("x" * 3000) == "x" * 3000


def test_overlapping_occurrences_are_merged_into_one_label(r):
    assert r.text(KEY + KEY) == LABEL
    assert r.text(KEY + " " + KEY) == LABEL + " " + LABEL
    assert r.text(KEY[:20] + "…" + KEY[-20:]) == LABEL + "…" + LABEL


# --- headers --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("Authorization", f"Bearer {KEY}", f"Bearer {LABEL}"),
        ("authorization", "Bearer xyz", "Bearer [redacted]"),
        ("Authorization", "Basic abc", "Basic [redacted]"),
        ("Authorization", "token abc", "token [redacted]"),
        ("Proxy-Authorization", "BEARER abc", "BEARER [redacted]"),
        ("X-Api-Key", "plainvalue", "[redacted]"),
        ("api-key", "v", "[redacted]"),
        ("x-goog-api-key", "v", "[redacted]"),
        ("Cookie", f"Bearer {LABEL}", f"Bearer {LABEL}"),  # a saved report read back keeps its masked id
        ("Set-Cookie", "[redacted]", "[redacted]"),
        ("Authorization", "Other abc", "[redacted]"),
        ("X-Other", f"v {KEY}", f"v {LABEL}"),
        ("X-Other", "fine", "fine"),
        ("X-Other", "Bearer xyz", "Bearer xyz"),
    ],
)
def test_header(r, name, value, expected):
    assert r.header(name, value) == expected


# --- scrub ----------------------------------------------------------------------------------------------------

def _chunk(content: str, index: int = 0, name: str = "content") -> str:
    return "data: " + json.dumps({"choices": [{"index": index, "delta": {name: content}}]}) + "\n\n"


def _events(raw: str) -> tuple[SSEEvent, ...]:
    reader = SSEReader()
    reader.feed(raw.encode(), 1.0)
    return tuple(reader.events)


def _exchange(events: tuple[SSEEvent, ...], body: str, headers=(("authorization", "Bearer " + KEY), ("x-trace", "t"))) -> Exchange:
    return Exchange(
        id="x", probe="stream", model="m", label="l", method="POST", url="u", request_headers=headers,
        request_body=None, status=200, response_headers=(), body=body, body_bytes=len(body), body_truncated=False,
        body_utf8_ok=True, timings=Timings(started_at="t"), events=events, events_total=len(events),
    )


MASKED = '{"choices": [{"index": 0, "delta": {"content": "' + LABEL + '"}}]}'


def test_a_key_split_over_three_events_is_masked_in_every_piece_and_in_the_body(r):
    raw = "".join(_chunk(p) for p in (KEY[:10], KEY[10:20], KEY[20:])) + "data: [DONE]\n\n"
    scrubbed = r.scrub(_exchange(_events(raw), raw))
    assert [e.data for e in scrubbed.events] == [MASKED, MASKED, MASKED, "[DONE]"]
    assert [e.raw_text for e in scrubbed.events] == [None] * 4
    assert scrubbed.body == "".join(f"data: {MASKED}\n\n" for _ in range(3)) + "data: [DONE]\n\n"
    assert scrubbed.request_headers == (("authorization", f"Bearer {LABEL}"), ("x-trace", "t"))


def test_split_pieces_of_two_choices_are_joined_per_choice(r):
    raw = "".join(_chunk(p, 0) + _chunk("hello world", 1) for p in (KEY[:10], KEY[10:20], KEY[20:]))
    scrubbed = r.scrub(_exchange(_events(raw), raw))
    other = '{"choices": [{"index": 1, "delta": {"content": "hello world"}}]}'
    assert [e.data for e in scrubbed.events] == [MASKED, other] * 3


def test_split_pieces_in_reasoning_and_arguments_fields(r):
    raw = _chunk(KEY[:10], name="reasoning_content") + _chunk(KEY[10:20], name="reasoning_content") + _chunk(KEY[20:], name="reasoning_content")
    scrubbed = r.scrub(_exchange(_events(raw), raw, headers=()))
    assert all(LABEL in e.data and KEY[:10] not in e.data for e in scrubbed.events)
    assert KEY[10:20] not in scrubbed.body


def test_a_split_key_in_escaped_pieces_and_raw_text_with_fields(r):
    first = "event: m\nid: 7\ndata: " + json.dumps({"choices": [{"index": 0, "delta": {"content": KEY[:10]}}]}) + "\r\n\r\n"
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY[10:20])  # the piece written as JSON escapes
    second = 'data: {"choices": [{"index": 0, "delta": {"content": "' + escaped + '"}}]}\n\n'
    third = _chunk(KEY[20:])
    scrubbed = r.scrub(_exchange(_events(first + second + third), first + second + third, headers=()))
    assert [e.data for e in scrubbed.events] == [MASKED, '{"choices": [{"index": 0, "delta": {"content": "' + LABEL + '"}}]}', MASKED]
    assert scrubbed.events[0].raw_text == "event: m\nid: 7\ndata: " + MASKED + "\r\n\r\n"


def test_masked_multi_line_data_rebuilds_the_raw_text(r):
    event = SSEEvent(0, 1.0, "e", '{"choices":[{"index":0,"delta":\n{"content":"' + KEY[:10] + '"}}]}', "3", True, "irrelevant")
    second = SSEEvent(1, 2.0, None, '{"choices":[{"index":0,"delta":{"content":"' + KEY[10:20] + '"}}]}', None, True)
    third = SSEEvent(2, 3.0, None, '{"choices":[{"index":0,"delta":{"content":"' + KEY[20:] + '"}}]}', None, True)
    scrubbed = r.scrub(_exchange((event, second, third), "", headers=()))
    masked = '{"choices":[{"index":0,"delta":\n{"content":"' + LABEL + '"}}]}'
    assert scrubbed.events[0].data == masked
    assert scrubbed.events[0].raw_text == "event: e\nid: 3\ndata: " + masked.replace("\n", "\ndata: ") + "\n\n"
    assert scrubbed.events[1].data == '{"choices":[{"index":0,"delta":{"content":"' + LABEL + '"}}]}'


def test_one_event_or_no_pieces_are_left_to_text_redaction(r):
    raw = _chunk(KEY[:10])
    one = r.scrub(_exchange(_events(raw), raw, headers=()))
    assert one.events[0].data == '{"choices": [{"index": 0, "delta": {"content": "' + KEY[:10] + '"}}]}'
    raw = _chunk("hello ") + _chunk("world")
    ex = _exchange(_events(raw), raw, headers=())
    assert r.scrub(ex) is ex  # nothing changed: the very same record
    assert Redactor().scrub(ex) is ex


def test_pieces_that_are_not_json_strings_are_skipped(r):
    events = (
        SSEEvent(0, 1.0, None, '{"content": "' + KEY[:10] + '\\x"}', None, True),  # an invalid escape
        SSEEvent(1, 1.0, None, '{"content": ""}', None, True),
        SSEEvent(2, 1.0, None, "no quotes", None, True),
        SSEEvent(3, 1.0, None, None, None, True),
        SSEEvent(4, 1.0, None, '{"content": "' + KEY[10:] + '"}', None, True),
    )
    scrubbed = r.scrub(_exchange(events, "", headers=()))
    assert scrubbed.events[0].data == '{"content": "' + KEY[:10] + '\\x"}'
    assert scrubbed.events[4].data == '{"content": "' + LABEL + '"}'


def test_scrub_containers(r):
    assert r.scrub(("a", "b")) == ("a", "b")
    t = ("a", "b")
    assert r.scrub(t) is t
    assert r.scrub(("a", KEY)) == ("a", LABEL)
    assert r.scrub(["a", KEY]) == ["a", LABEL]
    assert r.scrub({KEY: KEY, "n": 1}) == {LABEL: LABEL, "n": 1}
    assert r.scrub(5) == 5 and r.scrub(None) is None
    assert r.scrub(Exchange) is Exchange  # a class is not a record


def test_scrub_keeps_a_clean_record_and_masks_response_headers(r):
    ex = _exchange((), "body", headers=(("content-type", "text/plain"),))
    assert r.scrub(ex) is ex
    ex = Exchange(**{**ex.__dict__, "response_headers": (("set-cookie", "s=1"), ("x-echo", KEY))})
    assert r.scrub(ex).response_headers == (("set-cookie", "[redacted]"), ("x-echo", LABEL))


# --- final scan, streams, the process-wide index --------------------------------------------------------------

def test_assert_clean_names_the_key_and_the_place(r):
    assert r.assert_clean("clean", "report.md") == "clean"
    with pytest.raises(SecretLeakError, match=r"^refused to write report\.md: it contains a secret \(sk-…k3Hd #285d1ab1\)$"):
        r.assert_clean(f"x {KEY}", "report.md")


def test_guarded_stream_passes_clean_text_and_delegates():
    sink = io.StringIO()
    stream = GuardedStream(sink, Redactor([KEY]), "stdout")
    assert stream.write("hello ") == 6
    stream.flush()
    assert stream.getvalue() == "hello "  # attribute access reaches the wrapped stream
    # The window keeps 160 characters: a key split after a long clean write is still caught.
    stream.write("z" * 500 + KEY[:6])
    with pytest.raises(SecretLeakError, match="^refused to write to stdout: the output contains a secret$"):
        stream.write(KEY[6:])
    assert KEY not in sink.getvalue()


def test_guarded_stream_keeps_only_its_window():
    sink = io.StringIO()
    stream = GuardedStream(sink, Redactor([KEY]), "stdout")
    stream.write(KEY[:6])
    stream.write("y" * 200)  # the first piece leaves the window
    with pytest.raises(SecretLeakError):
        stream.write(KEY[6:])  # 26 characters: a piece of 12+ on its own is refused
    assert sink.getvalue() == KEY[:6] + "y" * 200


def test_guarded_stream_window_drops_old_text():
    sink = io.StringIO()
    stream = GuardedStream(sink, Redactor(["Q7w9E2r4T6y8U1i3O5p0"]), "out")
    stream.write("Q7w9E2r4")
    stream.write("-" * 200)
    stream.write("T6y8U1i3")  # 8 characters: no leak on their own, and the start is long gone
    assert sink.getvalue().endswith("T6y8U1i3")


def test_guarded_stream_without_secrets_keeps_nothing():
    sink = io.StringIO()
    stream = GuardedStream(sink, Redactor(), "out")
    stream.write(KEY)
    assert sink.getvalue() == KEY and stream._tail == ""


def test_echoes_and_single():
    assert echoes(KEY, ["nothing", ESC_U]) is True
    assert echoes(KEY, ["nothing", KEY[:-1]]) is False
    assert single(KEY) is single(KEY)


def test_registered_secrets_redact_last_resort_text():
    secret = "zQ8wE7rT6yU5iO4pA3sD"
    register_secrets([secret])
    assert redact_known(f"error: {secret}") == f"error: [redacted {key_id(secret)}]"
    other = "mN1bV2cX3zL4kJ5hG6fD"
    rd = Redactor([other])
    assert register(rd) is rd
    assert redact_known(f"e {other}") == f"e [redacted {key_id(other)}]"


# --- cut fragments behind stop blocks (70 keys sharing a prefix and a suffix) ----------------------------------

import hashlib  # noqa: E402
import re  # noqa: E402

SHARED = ["sk-proj-" + hashlib.sha256(str(i).encode()).hexdigest()[:12] + "-tailend-xyz" for i in range(70)]
ANY_LABEL = r"\[redacted sk-…-xyz #[0-9a-f]{8}\]"


@pytest.fixture(scope="module")
def shared() -> Redactor:
    return Redactor(SHARED)


def test_a_unique_prefix_behind_a_stop_block_is_found_at_a_cut(shared):
    k = SHARED[7]
    own = f"[redacted {key_id(k)}]"
    assert shared.text(f"x {k[:10]}") == f"x {own}"
    assert shared.text(f"x {k[:11]}… y") == f"x {own}… y"
    assert shared.text(f"{k[:10]}…zz…") == f"{own}…zz…"
    assert shared.text(f"[{k[:10]}]") == f"[{k[:10]}]"  # not at a cut point
    assert shared.text(f"x {k[:7]}") == f"x {k[:7]}"  # 7 characters are never a key
    assert shared.text(k[:12] + "…") == own + "…"


@pytest.mark.parametrize(
    "text,pattern",
    [
        ("x sk-proj-", "x " + ANY_LABEL),
        ("ailend-xyz y", ANY_LABEL + " y"),
        ("a …ilend-xyz b", "a …" + ANY_LABEL + " b"),
        ("ab…lend-xyz", "ab…" + ANY_LABEL),
        ("sk-proj-7…sk-proj-7…", ANY_LABEL + "…" + ANY_LABEL + "…"),
        ("a sk-proj-7…ilend-xyz b", "a " + ANY_LABEL + "…" + ANY_LABEL + " b"),
        ("zz…zz…tailend-xyz", "zz…zz…" + ANY_LABEL),
    ],
)
def test_shared_edges_at_every_cut_point(shared, text, pattern):
    assert re.fullmatch(pattern, shared.text(text)), shared.text(text)


@pytest.mark.parametrize("text", ["x sk-proj", "x ailend-xyz]", "[ilend-xyz", "…lend-xy!", "end-xyz", "…tailend-xy"])
def test_shared_fragments_away_from_a_cut_or_too_short_stay(shared, text):
    assert shared.text(text) == text


def test_the_percent_form_edges_of_a_key_with_a_slash():
    keys = ["ab/" + hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(70)]
    rd = Redactor(keys)
    out = rd.text("x ab%2F" + keys[3][3:6])  # 9 characters of the %-encoded form's start, at the end of the text
    assert out == f"x [redacted {key_id(keys[3])}]", out


# --- cut fragments of a base64 form (found by the index alone: the edge table holds raw and %-forms only) --------

B64 = base64.b64encode(KEY.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("x " + B64[:8], "x " + LABEL),  # 8 characters of its start at the end of the text
        ("x " + B64[:9], "x " + LABEL),
        (B64[-8:] + " y", LABEL + " y"),  # 8 characters of its end at the start
        ("…" + B64[-8:], "…" + LABEL),
        ("[" + B64[:8] + "]", "[" + B64[:8] + "]"),  # not at a cut
        ("a " + B64[-8:] + " b", "a " + B64[-8:] + " b"),
        ("x " + B64[1:9], "x " + B64[1:9]),  # not the form's start
    ],
)
def test_base64_fragments_at_cut_points(r, text, expected):
    assert r.text(text) == expected


def test_every_copy_of_a_repeated_key_in_one_token_is_masked(r):
    assert r.text(KEY * 3) == LABEL
    assert r.text("x" + KEY * 3 + "y") == "x" + LABEL + "y"


def test_plain_and_escaped_occurrences_in_one_text():
    secret = "canaryQ7w9E2r4T6y8U1"  # not shaped like a provider key: only the index can find it
    label = f"[redacted {key_id(secret)}]"
    rd = Redactor([secret])
    escaped = "".join(f"\\u{ord(c):04x}" for c in secret)
    assert rd.text(f"{secret} and \\u0041") == f"{label} and \\u0041"
    assert rd.text(f"\\u0041 then {escaped}") == f"\\u0041 then {label}"  # a short escaped run first, then the key
    assert rd.text("x " + "".join(f"\\u{ord(c):04x}" for c in secret[:8])) == f"x {label}"  # 8 escaped characters at a cut
    assert rd.text("x " + "".join(f"\\u{ord(c):04x}" for c in secret[:7])) == "x " + "".join(f"\\u{ord(c):04x}" for c in secret[:7])


def test_overlapping_occurrences_of_a_tiny_key():
    assert Redactor(["aa"]).text("aaa") == "[redacted … #961b6dd3]"
    assert Redactor(["aa"]).text("baaab") == "b[redacted … #961b6dd3]b"


def test_a_bare_masked_key_id_in_a_credential_header_is_kept_when_read_back():
    # Found by the mutation run: the label holds a space, so splitting off a scheme used to lose the masked id.
    r = Redactor(())
    assert r.header("x-api-key", "[redacted sk-…k3Hd #285d1ab1]") == "[redacted sk-…k3Hd #285d1ab1]"
    assert r.header("authorization", "Bearer [redacted sk-…k3Hd #285d1ab1]") == "Bearer [redacted sk-…k3Hd #285d1ab1]"
    assert r.header("x-api-key", "[redacted]") == "[redacted]"
    assert r.header("x-api-key", "[redacted sk-…k3Hd #285d1ab1] extra") == "[redacted]"  # not only a label: masked whole
    masked = r.header("authorization", "Bearer sk-notregistered-0123456789abcdef")  # a key's shape: masked with its id
    assert masked.startswith("Bearer [redacted sk-") and "0123456789" not in masked
