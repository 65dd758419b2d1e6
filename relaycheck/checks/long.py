"""Checks on a long reply: it arrives whole on both paths, and its stream does not stall."""

from __future__ import annotations

import re

from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import describe, excerpt, own_budget
from relaycheck.checks.demands import around_count
from relaycheck.checks.streamtext import doubled
from relaycheck.protocol import protocol_of
from relaycheck.wire.exchange import Exchange

_ASKED = re.compile(r"integers from 1 to (\d+)")


# Transport failures after a 200 that cut an answer short; a deadline is relaycheck's own limit, judged elsewhere.
_BROKEN = ("read", "protocol", "stream_idle")


def judge_lines(text: str, expected: int) -> tuple[str, int]:
    """('complete'|'prefix'|'other', lines in order): a clean prefix is what truncation leaves behind."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    good = 0
    for i, line in enumerate(lines, start=1):
        if line != str(i):
            # A last line cut mid-number ("74" of "745") is still a clean prefix.
            if i == len(lines) and str(i).startswith(line):
                break
            return "other", good
        good = i
    if good == expected and len(lines) == expected:
        return "complete", good
    return "prefix", good


def _path_verdict(x: Exchange, expected: int) -> tuple[str, str]:
    path = "stream" if x.label.endswith("stream") else "non-stream"
    if x.status == 200 and x.error_kind in _BROKEN:
        # An answer that broke off is evidence: the reply did not arrive whole, whatever it held until then.
        where = f"after event #{x.events[-1].index} ({x.body_bytes} bytes)" if x.events else f"after {x.body_bytes} bytes"
        protocol = protocol_of(x)
        done = f"; {protocol.end_marker} never came" if x.events and not protocol.stream_ended(x) else ""
        return FAIL, f"{path}: the answer broke off {where}: {x.error_kind} error: {x.error or 'connection closed'}{done}"
    if not x.ok:
        return INCONCLUSIVE, f"{path}: {describe(x)}"
    text = x.reply.streamed_text if x.events else x.reply.text
    if text is None:
        return INCONCLUSIVE, f"{path}: no reply text"
    kind, lines = judge_lines(text, expected)
    finish = x.reply.finish_reason
    if kind == "complete":
        return PASS, f"{path}: all {expected} lines in order, finish_reason {finish!r}"
    if kind == "other" and x.events and doubled(list(x.reply.pieces)):
        return FAIL, f"{path}: every content chunk arrived twice, so the text is doubled (“{excerpt(text, 40)}”)"
    if kind == "other":
        around = around_count(text, expected, cut=False)
        if around is not None:
            # Every line is there in order: the reply is complete; what surrounds it is chat.injection's to judge.
            extra = "; ".join(f"{where} them “{excerpt(part, 60)}”" for where, part in zip(("before", "after"), around) if part.strip())
            return PASS, f"{path}: all {expected} lines in order, finish_reason {finish!r}, with added text {extra}"
        odd = next((line.strip() for i, line in enumerate(l for l in text.splitlines() if l.strip()) if line.strip() != str(i + 1)), "")
        return INCONCLUSIVE, f"{path}: the model did not write the lines exactly as asked (first {lines} correct, then “{excerpt(odd, 60)}”)"
    completion, limit = x.reply.completion_tokens, own_budget(x)
    if finish == "length" and completion is not None and limit is not None and completion >= limit:
        return INCONCLUSIVE, f"{path}: the model used all {limit} max_tokens after {lines} of {expected} lines (finish_reason length)"
    ending = f"finish_reason {finish!r}" if finish else "no finish_reason" + (f" ({x.error_kind} error)" if x.error else "")
    return FAIL, f"{path}: cut short after {lines} of {expected} lines with {ending}"


@check("long.complete", probes=("long",), protocols=NATIVE)
def complete(inp: CheckInput) -> Verdict:
    """The long numbered reply arrives whole, in order, with stop, on both paths, and the paths agree."""
    found = inp.of("long")
    if not found:
        return Verdict(INCONCLUSIVE, "the long probe did not run")
    asked = _ASKED.search(str(found[0].request_json))
    if not asked:
        return Verdict(INCONCLUSIVE, "the long request does not say how many lines it asked for")
    expected = int(asked.group(1))
    results = [_path_verdict(x, expected) for x in sorted(found, key=lambda x: x.label)]
    evidence = tuple(x.id for x in found)
    for status in (FAIL, INCONCLUSIVE):
        if any(r[0] == status for r in results):
            return Verdict(status, "; ".join(text for st, text in results if st == status), evidence, {"lines_expected": expected})
    agree = " the stream and non-stream replies agree" if len(results) == 2 else ""
    return Verdict(PASS, "; ".join(text for _, text in results) + (";" + agree if agree else ""), evidence, {"lines_expected": expected})


@check("long.no_stall", probes=("long",), protocols=NATIVE)
def no_stall(inp: CheckInput) -> Verdict:
    """No gap between events of the long stream exceeds the stall threshold; report the longest gap and last byte."""
    ex = next((x for x in inp.of("long") if x.label == "long stream"), None)
    if ex is None:
        return Verdict(INCONCLUSIVE, "the long stream was not sent")
    if ex.status != 200:
        return Verdict(INCONCLUSIVE, f"the long stream did not succeed ({describe(ex)})", (ex.id,))
    threshold_ms = inp.target.stall_threshold_s * 1000
    times = [e.t_ms for e in ex.events]
    if len(times) < 2:
        return Verdict(INCONCLUSIVE, f"the long stream had {len(times)} event(s): no gaps to measure", (ex.id,))
    gap, after = max((b - a, i) for i, (a, b) in enumerate(zip(times, times[1:])))
    metrics = {"max_gap_ms": round(gap, 1), "last_byte_ms": round(ex.timings.end_ms or 0.0, 1), "events": ex.events_total,
               "threshold_ms": threshold_ms}
    if ex.error_kind == "stream_idle":
        return Verdict(FAIL, f"the stream went silent after event #{ex.events[-1].index} until the idle timeout ({ex.error})", (ex.id,), metrics)
    where = f"between events #{ex.events[after].index} and #{ex.events[after + 1].index}"
    if gap > threshold_ms:
        return Verdict(FAIL, f"a {gap / 1000:.2f} s gap {where} (threshold {inp.target.stall_threshold_s:g} s)", (ex.id,), metrics)
    return Verdict(PASS, f"longest gap {gap:.0f} ms {where} (threshold {inp.target.stall_threshold_s:g} s); last byte after {metrics['last_byte_ms']:.0f} ms", (ex.id,), metrics)
