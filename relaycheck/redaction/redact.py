"""The one redaction step: known secrets and credential-bearing fields are replaced before anything renders.

What counts as a secret occurrence (one rule for redaction, the final scan and key-echo detection alike):
- any run of 12 or more characters shared with a form of a known key (raw, %-encoded, base64 at any alignment),
  compared case-insensitively, with JSON \\uXXXX, \\/, %XX and HTML &#N; / &#xH; escapes decoded first;
- a whole form shorter than 12 characters (keys of 8 to 11 characters);
- at a cut point (the end or start of a text, next to "…"), a fragment of 8 or more characters that is a prefix
  (or a suffix) of a form: what a truncation leaves of a key.

Matching uses an index of 4-character blocks taken at aligned offsets of every form (any common run of 7 or more
characters contains one), so its cost grows with the text, not with the number of keys.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import re
import urllib.parse
from bisect import bisect_right
from typing import Any, Iterable, Iterator

from relaycheck.core.exits import SecretLeakError
from relaycheck.text.walk import AS_USUAL, rebuild
from relaycheck.wire.sse import SSEEvent

SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "set-cookie"}
)
SENSITIVE_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "token", "access_token", "auth", "secret"})
# Anything shaped like a provider key, even one we were not told about (a relay echoing another user's key).
KEY_SHAPE = re.compile(r"\b(?:sk|rk|pk|ak)-[A-Za-z0-9_\-]{16,}|\bsk-ant-[A-Za-z0-9_\-]{16,}|\bAIza[0-9A-Za-z_\-]{30,}")
_ALREADY_REDACTED = re.compile(r"\[redacted(?: [^\]\s]{1,12} #[0-9a-f]{8})?\]")
_QUERY_SECRET = re.compile(r"([?&](?:%s)=)[^&#\s\"']+" % "|".join(re.escape(p) for p in SENSITIVE_PARAMS), re.I)

PIECE = 12  # no run of this many characters of a key may survive anywhere
CUT_PIECE = 8  # what is left of a key at a cut point, from this length on, is treated as the key
_BLOCK = 4  # index block; every common run of 2 * _BLOCK - 1 = 7+ characters contains an aligned one
_STOP = 64  # a block shared by more forms than this (a common prefix like "sk-proj-") is not used for finding
_FOLD = str.maketrans("-_", "+/")  # base64url and base64 alike; a key's own - and _ fold the same way in text
_CUT_MARK = "…"
# The escapes a relay may write a key's characters in: JSON \uXXXX and \/, %XX, HTML &#N; and &#xH;.
_ESC = r"\\u[0-9a-fA-F]{4}|\\/|%[0-9a-fA-F]{2}|&#0*[0-9]{1,7};?|&#[xX]0*[0-9a-fA-F]{1,6};?"  # HTML reads "&#52" too
_ESC_RE = re.compile(_ESC)
_ESCAPES = ("\\", "%", "&#")  # a text without any of these cannot hold an escaped form
_PARTIAL_ESC = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?|%[0-9a-fA-F]?|&(?:#[xX]?[0-9a-fA-F]{0,7})?")  # cut mid-escape
_ESC_REACH = 256  # characters before an escape searched for the plain start of an escaped run
_SURROGATES = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.I)
_JSON_U = re.compile(r"\\u([0-9a-fA-F]{4})")
_ENTITY = re.compile(r"&#(?:0*([0-9]{1,7})|[xX]0*([0-9a-fA-F]{1,6}));?")
_TOKEN_CHUNK = 64 * 1024
_CACHE_MAX = 50_000
_LONG_TOKEN = 1024
_IN_SEARCH_COST = 4  # a block searched with `in` costs about a quarter of a per-position set lookup per character  # a huge token is scanned in slices, so its block set stays small


def key_id(secret: str) -> str:
    """A masked, stable identifier for a key: `sk-…6b5c #3f9a1c2e` (prefix, last four, hash prefix)."""
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]
    prefix = ""
    head, sep, _ = secret.partition("-")
    if sep and 1 <= len(head) <= 4 and head.isalnum():
        prefix = head + "-"
    tail = secret[-4:] if len(secret) >= 20 else ""
    masked = f"{prefix}…{tail}" if (prefix or tail) else "…"
    return f"{masked} #{digest}"


def secret_forms(secret: str) -> set[str]:
    """The exact strings in which a key can appear in recorded traffic: raw, URL-encoded, base64 at any alignment."""
    raw = secret.encode("utf-8")
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    # Inside a longer base64 blob ("Bearer <key>" encoded, say) the key starts at any of three byte alignments;
    # for each, the characters that depend on the key's bytes alone are the same whatever surrounds them.
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            text = encode(b"\0" * offset + raw).decode()
            core = text[-(-offset * 4 // 3) : (offset + len(raw)) * 4 // 3]
            if len(core) >= 8:
                forms.add(core)
    return {f for f in forms if f}


def _fold(text: str) -> str:
    """Case- and base64-alphabet-folded text of the same length (the index compares folded characters)."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer ("İ"): keep such characters as they are
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_FOLD)


def decode_escapes(text: str) -> str:
    """Text with JSON \\uXXXX and \\/, HTML &#N; / &#xH; and %XX escapes decoded (what a reader would see)."""
    if "\\" in text:
        text = _SURROGATES.sub(lambda m: chr(0x10000 + ((int(m.group(1), 16) - 0xD800) << 10) + int(m.group(2), 16) - 0xDC00), text)
        text = _JSON_U.sub(lambda m: chr(int(m.group(1), 16)), text).replace("\\/", "/")
    if "&#" in text:
        text = _ENTITY.sub(lambda m: _chr(int(m.group(1)) if m.group(1) else int(m.group(2), 16)), text)
    return urllib.parse.unquote(text, errors="replace") if "%" in text else text


def _chr(code: int) -> str:
    return chr(code) if code <= 0x10FFFF else "\ufffd"


@dataclasses.dataclass(frozen=True, slots=True)
class _Hit:
    """A maximal run shared by the text (start, end) and form `form` (form_start, form_end)."""

    start: int
    end: int
    form: int
    form_start: int
    form_end: int


class Redactor:
    """Replaces known secrets (in every form) and credential fields in strings and whole records."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: tuple[str, ...] = ()
        self._labels: list[str] = []
        self._forms: list[str] = []  # folded forms
        self._form_secret: list[int] = []
        self._blocks: dict[str, list[int]] = {}  # folded block -> form number * 2**20 + offset
        self._block_set: set[str] = set()  # the usable blocks, as a set (set & set iterates the smaller one)
        self._edges: dict[str, int] = {}  # folded prefix/suffix fragments (8-11 chars) of raw and %-forms -> secret
        self._short: list[tuple[str, int]] = []  # forms too short for the index: found by search
        self._whole: list[str] = []  # every folded form, for telling a whole echo from a piece
        self._alphabet: set[str] = set("-_+/")
        self._token_re: re.Pattern[str] | None = None
        self._region_re: re.Pattern[str] | None = None
        self._back_re: re.Pattern[str] | None = None
        self._cache: dict[str, tuple[_Hit, ...]] = {}  # token -> its hits, relative to the token
        self.add(secrets)

    # --- building the index ---------------------------------------------------------------------------------
    def add(self, secrets: Iterable[str]) -> None:
        """Add secrets to the index (incrementally: registering a run's keys costs only those keys)."""
        known = set(self.secrets)
        new = sorted({s for s in secrets if s and s not in known}, key=len, reverse=True)
        for secret in new:
            self._add_one(secret)
        if new:
            self.secrets = (*self.secrets, *new)
            self._token_re = self._region_re = self._back_re = None
            self._cache = {}

    def forget_tokens(self) -> None:
        """Empty the per-token cache (a long-lived redactor, a watch's, calls it after each cycle: every cycle's
        nonces are new tokens, and the cache would otherwise sit at its ceiling)."""
        self._cache = {}

    def _add_one(self, secret: str) -> None:
        number = len(self._labels)
        self._labels.append(f"[redacted {key_id(secret)}]")
        forms = secret_forms(secret)
        for ch in set("".join(forms)) - self._alphabet:
            self._alphabet.update((ch, ch.lower(), ch.upper()) if len(ch.upper()) == 1 else (ch, ch.lower()))
        folded = sorted({_fold(f) for f in forms}, key=len, reverse=True)
        self._whole.extend(folded)
        kept: list[str] = []
        for form in folded:  # a form inside a longer one (raw == quoted, say) adds nothing
            if not any(form in longer for longer in kept):
                kept.append(form)
        for form in kept:
            if len(form) < 2 * _BLOCK - 1:
                self._short.append((form, number))
                continue
            f = len(self._forms)
            self._forms.append(form)
            self._form_secret.append(number)
            for offset in range(0, len(form) - _BLOCK + 1, _BLOCK):
                block = form[offset : offset + _BLOCK]
                entries = self._blocks.setdefault(block, [])
                entries.append(f << 20 | offset)
                if len(entries) == 1:
                    self._block_set.add(block)
                elif len(entries) == _STOP + 1:
                    self._block_set.discard(block)
        # Truncation leaves a prefix or a suffix; the edges of the raw and %-forms are looked up directly at cut
        # points, so that a common prefix (a stop block) cannot hide one.
        for form in {_fold(secret), _fold(urllib.parse.quote(secret, safe=""))}:
            for k in range(CUT_PIECE, min(PIECE, len(form))):
                self._edges.setdefault(">" + form[:k], number)
                self._edges.setdefault("<" + form[-k:], number)

    def _patterns(self) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
        if self._token_re is None or self._region_re is None or self._back_re is None:
            chars = "".join(re.escape(c) for c in sorted(self._alphabet))
            self._token_re = re.compile(f"[{chars}]{{{CUT_PIECE},}}")
            self._region_re = re.compile(f"[{chars}]*(?:(?:{_ESC})[{chars}]*)*")  # unrolled, as _PIECE_RE
            self._back_re = re.compile(f"[{chars}]*")
        return self._token_re, self._region_re, self._back_re

    # --- finding --------------------------------------------------------------------------------------------
    def _hits(self, text: str) -> Iterator[_Hit]:
        """Every maximal run of 7+ characters that `text` shares with a form (folded comparison)."""
        if not self._forms:
            return
        token_re = self._patterns()[0]
        cache = self._cache
        # Each distinct token is looked up once (a relay's 5,000 tool calls repeat the same keys and names 30,000
        # times); only when one of them hits is the text walked again for where its tokens stand.
        hitting: dict[str, tuple[_Hit, ...]] = {}
        for token in set(token_re.findall(text)):
            found = cache.get(token)
            if found is None:
                found = tuple(self._token_hits(_fold(token), 0))
                if len(cache) >= _CACHE_MAX:  # ids, JSON keys and model names repeat in every event: keep them
                    cache.clear()
                cache[token] = found
            if found:
                hitting[token] = found
        if not hitting:
            return
        for m in token_re.finditer(text):
            found = hitting.get(m.group())
            if found is None:
                continue
            base = m.start()
            for hit in found:
                yield _Hit(base + hit.start, base + hit.end, hit.form, hit.form_start, hit.form_end) if base else hit

    def _token_hits(self, tok: str, base: int) -> Iterator[_Hit]:
        n = len(tok)
        hits: set[str] = set()
        if n >= _LONG_TOKEN and len(self._block_set) * _IN_SEARCH_COST < n:
            # A long token (a base64 blob, 512 KiB of "x") and few keys: C string search per block is cheaper.
            hits = {block for block in self._block_set if block in tok}
        else:
            for lo in range(0, max(n - _BLOCK + 1, 0), _TOKEN_CHUNK):
                hi = min(n - _BLOCK + 1, lo + _TOKEN_CHUNK)
                hits |= {tok[i : i + _BLOCK] for i in range(lo, hi)} & self._block_set
        if not hits:
            return
        done: dict[tuple[int, int], int] = {}  # (form, diagonal) -> end of the run found on it
        for block in hits:
            entries = self._blocks[block]
            i = tok.find(block)
            while i != -1:
                for entry in entries:
                    f, offset = entry >> 20, entry & 0xFFFFF
                    diagonal = (f, i - offset)
                    if done.get(diagonal, -1) > i:
                        continue
                    form = self._forms[f]
                    a = 0
                    while i - a > 0 and offset - a > 0 and tok[i - a - 1] == form[offset - a - 1]:
                        a += 1
                    b, c = i + _BLOCK, offset + _BLOCK
                    while b < n and c < len(form) and tok[b] == form[c]:
                        b, c = b + 1, c + 1
                    done[diagonal] = b
                    yield _Hit(base + i - a, base + b, f, offset - a, c)
                i = tok.find(block, i + 1)

    def _spans(self, text: str, cuts: bool, escapes: bool = True) -> list[tuple[int, int, int]]:
        """(start, end, secret) of every occurrence in `text`; with `cuts`, fragments at cut points too."""
        spans: list[tuple[int, int, int]] = []
        if not self.secrets:
            return spans
        for hit in self._hits(text):
            length, form_len = hit.end - hit.start, len(self._forms[hit.form])
            if length >= min(PIECE, form_len) or (
                cuts and length >= CUT_PIECE and (
                    (hit.form_start == 0 and _cut_after(text, hit.end)) or (hit.form_end == form_len and _cut_before(text, hit.start))
                )
            ):
                spans.append((hit.start, hit.end, self._form_secret[hit.form]))
        if cuts and self._edges:
            spans += self._edge_spans(text)
        folded = _fold(text) if self._short else ""
        for form, number in self._short:
            i = folded.find(form)
            while i != -1:
                spans.append((i, i + len(form), number))
                i = folded.find(form, i + 1)
        if escapes and any(e in text for e in _ESCAPES):
            spans += self._escaped_spans(text, cuts)
        return spans

    def _edge_spans(self, text: str) -> list[tuple[int, int, int]]:
        """Fragments of 8-11 characters of a key's start before a cut point (or of its end after one)."""
        found = []
        points = [len(text)]
        i = text.find(_CUT_MARK)
        while i != -1:
            points.append(i)
            i = text.find(_CUT_MARK, i + 1)
        alphabet = self._alphabet
        for p in points:
            if p < CUT_PIECE or text[p - 1] not in alphabet:  # no fragment can end here (the usual case: "}")
                continue
            tail = _fold(text[max(0, p - PIECE + 1) : p])
            for k in range(min(len(tail), PIECE - 1), CUT_PIECE - 1, -1):
                number = self._edges.get(">" + tail[-k:])
                if number is not None:
                    found.append((p - k, p, number))
                    break
        for p in [0] + [q + 1 for q in points[1:]]:
            if len(text) - p < CUT_PIECE or text[p] not in alphabet:
                continue
            head = _fold(text[p : p + PIECE - 1])
            for k in range(min(len(head), PIECE - 1), CUT_PIECE - 1, -1):
                number = self._edges.get("<" + head[:k])
                if number is not None:
                    found.append((p, p + k, number))
                    break
        return found

    def _escaped_spans(self, text: str, cuts: bool) -> list[tuple[int, int, int]]:
        """Runs holding escapes (\\u0073\\u006b…, %73%6b…, &#115;&#107;…): decoded, then matched as a whole."""
        found = []
        for start, end in self._escaped_runs(text):
            decoded = decode_escapes(text[start:end])
            if len(decoded) < CUT_PIECE or decoded == text[start:end]:
                continue
            if sum(c in self._alphabet for c in decoded[:PIECE * 4]) < CUT_PIECE:  # "你好世界" and the like
                continue
            # The decoded run keeps the cut points of the text around it; a cut inside an escape ("\\u00") is one.
            partial = _PARTIAL_ESC.match(text, end)
            if partial and _cut_after(text, partial.end()):
                end = partial.end()
            probe = ("" if start == 0 or text[start - 1] == _CUT_MARK else " ") + decoded
            probe += "" if end == len(text) or text.startswith(_CUT_MARK, end) else " "
            inner = self._spans(probe, cuts, escapes=False)  # one round of decoding: what a reader would see
            if inner:
                found.append((start, end, inner[0][2]))
        return found

    def _escaped_runs(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each run of key characters holding at least one escape, each escape visited once."""
        _, region_re, back_re = self._patterns()
        done = 0
        for m in _ESC_RE.finditer(text):
            if m.start() < done:
                continue
            lo = max(done, m.start() - _ESC_REACH)
            start = m.start() - back_re.match(text[lo : m.start()][::-1]).end()
            region = region_re.match(text, start)
            done = region.end() if region else m.end()
            yield start, done

    # --- the public operations ------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """Redact one string: known secrets (any form, any piece), key-shaped tokens, key-bearing query parameters."""
        if "=" in value:  # a key-bearing query parameter needs one
            value = _QUERY_SECRET.sub(lambda m: m.group(1) + "[redacted]", value)
        spans = self._spans(value, cuts=True)
        if spans:
            value = self._replace(value, spans)
        if "-" not in value and "AIza" not in value:  # every key shape holds one of these
            return value
        return KEY_SHAPE.sub(lambda m: f"[redacted {key_id(m.group())}]", value)

    def _replace(self, value: str, spans: list[tuple[int, int, int]]) -> str:
        out, pos = [], 0
        for start, end, number in _merged(spans):
            out.append(value[pos:start])
            out.append(self._labels[number])
            pos = end
        out.append(value[pos:])
        return "".join(out)

    def header(self, name: str, value: str) -> str:
        """Redact a header value; credential headers are masked whatever they hold."""
        if name.lower() in SENSITIVE_HEADERS:
            redacted = self.text(value)
            if redacted != value:
                return redacted
            scheme, _, rest = value.partition(" ")
            # A saved report read back: keep its masked key id, bare ("[redacted sk-… #id]" holds a space) or after a scheme.
            if _ALREADY_REDACTED.fullmatch(value) or (rest and _ALREADY_REDACTED.fullmatch(rest)):
                return value
            if rest and scheme.lower() in ("bearer", "basic", "token"):
                return f"{scheme} [redacted]"
            return "[redacted]"
        return self.text(value)

    def leaks(self, value: str) -> list[str]:
        """Key ids of known secrets of which `value` still holds a piece (12+ characters, any form, any case)."""
        numbers = sorted({number for _, _, number in self._spans(value, cuts=False)})
        return [key_id(self.secrets[n]) for n in numbers]

    def carries_in_full(self, value: str) -> bool:
        """True when `value` holds a whole form of a known key (any case, escapes decoded): a key echo."""
        folded = _fold(value)
        if any(form in folded for form in self._whole):
            return True
        if not any(e in value for e in _ESCAPES):
            return False
        for start, end in self._escaped_runs(value):
            decoded = _fold(decode_escapes(value[start:end]))
            if any(form in decoded for form in self._whole):
                return True
        return False

    def assert_clean(self, value: str, where: str) -> str:
        """The final scan: refuse an output that still contains a known secret."""
        found = self.leaks(value)
        if found:
            raise SecretLeakError(f"refused to write {where}: it contains a secret ({', '.join(found)})")
        return value

    def scrub(self, obj: Any) -> Any:
        """Redact every string inside dataclasses, tuples, lists and dicts (headers by name, split stream keys too)."""
        return rebuild(obj, self.text, self._field, self._record)

    def _field(self, name: str, value: Any) -> Any:
        if name in ("request_headers", "response_headers"):
            return tuple((self.text(k), self.header(k, v)) for k, v in value)
        return AS_USUAL

    def _record(self, obj: Any, changes: dict[str, Any]) -> dict[str, Any]:
        if self.secrets and _is_stream(obj):
            events = changes.get("events", getattr(obj, "events"))
            body = changes.get("body", getattr(obj, "body", None))
            masked = self._split_keys(events, body)
            if masked is not None:
                changes["events"], changes["body"] = masked
        return changes

    # --- keys split across stream events --------------------------------------------------------------------
    def _split_keys(self, events: tuple[SSEEvent, ...], body: str | None) -> tuple[tuple[SSEEvent, ...], str | None] | None:
        """Mask every delta piece that is part of a key occurrence in the reassembled stream text, or None."""
        pieces = list(_stream_pieces(events))
        if len(pieces) < 2:
            return None
        sequences: dict[Any, list[tuple[int, tuple[int, int], str]]] = {"all": []}
        for n, path, piece, lane in pieces:
            sequences["all"].append((n, path, piece))
            sequences.setdefault(lane, []).append((n, path, piece))
        marked: dict[int, dict[tuple[int, int], str]] = {}
        for seq in sequences.values():
            starts, pos = [], 0
            for _, _, piece in seq:
                starts.append(pos)
                pos += len(piece)
            joined = "".join(piece for _, _, piece in seq)
            for start, end, number in self._spans(joined, cuts=True):
                for k in range(bisect_right(starts, start) - 1, len(seq)):
                    if starts[k] >= end:
                        break
                    n, path, _ = seq[k]
                    marked.setdefault(n, {})[path] = self._labels[number]
        if not marked:
            return None
        new_events = list(events)
        for n, paths in marked.items():
            new_events[n] = _masked_event(events[n], paths)
            if body and events[n].data and new_events[n].data != events[n].data:
                # Every copy: an identical unmarked event elsewhere holds the same text, masking it costs nothing.
                body = body.replace(events[n].data, new_events[n].data or "")
        return tuple(new_events), body


def _cut_after(text: str, end: int) -> bool:
    return end == len(text) or text.startswith(_CUT_MARK, end)


def _cut_before(text: str, start: int) -> bool:
    return start == 0 or text[start - 1] == _CUT_MARK


def _merged(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Overlapping spans joined (the first secret's label names the union)."""
    out: list[list[int]] = []
    for start, end, number in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end, number])
    return [(a, b, c) for a, b, c in out]


def _is_stream(obj: Any) -> bool:
    events = getattr(obj, "events", None)
    return isinstance(events, tuple) and len(events) > 1 and isinstance(events[0], SSEEvent)


# Text pieces of a chat stream: delta/message content (and reasoning, refusal), legacy text, tool-call arguments.
# Found with a pattern, not by parsing each event: a 50,000-event stream is scrubbed without 50,000 json.loads.
# (The string pattern is "unrolled": an alternation inside a repeat costs the engine memory per character.)
_PIECE_RE = re.compile(r'"(content|reasoning_content|reasoning|refusal|text|arguments)"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')
_INDEX_RE = re.compile(r'"index"\s*:\s*(\d+)')


def _stream_pieces(events: tuple[SSEEvent, ...]) -> Iterator[tuple[int, tuple[int, int], str, Any]]:
    """(event number, span of the JSON string's contents in its data, decoded text, lane) of each text piece."""
    for n, event in enumerate(events):
        data = event.data
        if not data or '"' not in data:
            continue
        indexes = [(m.start(), m.group(1)) for m in _INDEX_RE.finditer(data)] if '"index"' in data else []
        for m in _PIECE_RE.finditer(data):
            literal = m.group(2)
            if not literal:
                continue
            try:
                piece = json.loads(f'"{literal}"') if "\\" in literal else literal
            except ValueError:
                continue
            # The lane: the field and the choice (or tool call) index written last before it.
            lane = (m.group(1), next((i for pos, i in reversed(indexes) if pos < m.start()), "0"))
            yield n, (m.start(2), m.end(2)), piece, lane


def _masked_event(event: SSEEvent, spans: dict[tuple[int, int], str]) -> SSEEvent:
    """The event with each marked piece replaced by its label, in place in the data (and raw text)."""
    assert event.data is not None
    data = event.data
    for (start, end), label in sorted(spans.items(), reverse=True):
        data = data[:start] + json.dumps(label, ensure_ascii=False)[1:-1] + data[end:]
    raw = event.raw_text
    if raw is not None:
        if "\n" not in event.data and event.data in raw:
            raw = raw.replace(event.data, data, 1)
        else:
            lines = ([f"event: {event.event}"] if event.event is not None else []) + ([f"id: {event.id}"] if event.id is not None else [])
            raw = "".join(line + "\n" for line in lines + [f"data: {d}" for d in data.split("\n")]) + "\n"
    return dataclasses.replace(event, data=data, raw_text=raw)


# Every secret of the process's runs, in one index: last-resort error text is redacted with all of them.
_KNOWN = Redactor(())


def register(redactor: Redactor) -> Redactor:
    """Remember a run's secrets so that last-resort error text can be redacted too (returns the redactor)."""
    _KNOWN.add(redactor.secrets)
    return redactor


def register_secrets(secrets: Iterable[str]) -> None:
    """Remember secrets known before a run's redactor exists (the keys named on the command line)."""
    _KNOWN.add(secrets)


def forget_known_tokens() -> None:
    """Empty the per-token cache of the process-wide index too (a watch's cycles each bring new tokens)."""
    _KNOWN.forget_tokens()


def redact_known(text: str) -> str:
    """Redact text with every registered secret (and key-shaped tokens when none is registered)."""
    return _KNOWN.text(text)


@functools.lru_cache(maxsize=64)
def single(secret: str) -> Redactor:
    """A cached redactor of one secret (the recorder asks it whether a response echoed the key)."""
    return Redactor([secret])


def echoes(secret: str, texts: Iterable[str]) -> bool:
    """Whether any of `texts` carries `secret` in full, in any form the redactor knows."""
    redactor = single(secret)
    return any(redactor.carries_in_full(text) for text in texts)


# Room kept between writes: a piece of a key split over writes, escaped at up to ~12 characters per character.
_STREAM_KEEP = PIECE * 12 + 16


class GuardedStream:
    """A text stream wrapper that refuses any write that would complete a known secret."""

    def __init__(self, inner: Any, redactor: Redactor, where: str) -> None:
        self._inner = inner
        self._redactor = redactor
        self._where = where
        self._tail = ""
        self._keep = _STREAM_KEEP if redactor.secrets else 0

    def write(self, text: str) -> int:
        # Check across write boundaries: a secret split over two writes still matches.
        window = self._tail + text
        if self._keep and self._redactor.leaks(window):
            raise SecretLeakError(f"refused to write to {self._where}: the output contains a secret")
        self._tail = window[-self._keep :] if self._keep else ""
        return self._inner.write(text)

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
