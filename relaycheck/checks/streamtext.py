"""Check stream.integrity: the streamed text is what was asked for, each piece once (no doubled or dropped chunks)."""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, NATIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import excerpt
from relaycheck.checks.demands import around_count, demand_of


def doubled(pieces: list[str]) -> bool:
    """Every content delta arrives twice in a row (a relay that forwards each chunk twice)."""
    return len(pieces) >= 4 and len(pieces) % 2 == 0 and pieces[0::2] == pieces[1::2]


@check("stream.integrity", probes=("stream",), protocols=NATIVE)
def integrity(inp: CheckInput) -> Verdict:
    """The numbered lines asked for arrive once each and in order; a stream whose every chunk is doubled fails."""
    found = [x for x in inp.of("stream") if x.status == 200 and x.events]
    if not found:
        return Verdict(INCONCLUSIVE, "no stream to judge (see stream.sse)")
    ex = found[0]
    demand = demand_of(ex)
    if demand is None or demand.kind != "count":
        return Verdict(INCONCLUSIVE, "the stream request does not say what it asked for", (ex.id,))
    high = int(demand.arg)
    pieces = list(ex.reply.pieces)
    text = "".join(pieces)
    # Cut at the budget, or broken off after its 200 (stream.complete judges that): only a clean start can be judged.
    cut = ex.reply.finish_reason == "length" or ex.error is not None
    if around_count(text, high, cut) is not None:
        return Verdict(PASS, f"the streamed text holds the integers 1 to {high} once each, in order ({len(pieces)} content chunks)", (ex.id,))
    if doubled(pieces) and around_count("".join(pieces[0::2]), high, cut) is not None:
        return Verdict(FAIL, f"every one of the {len(pieces)} content chunks arrived twice, so the text is doubled: “{excerpt(text, 60)}”; "
                             "SDKs concatenate deltas, so users see every word twice", (ex.id,), {"content_chunks": len(pieces)})
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) >= 4 and lines[0::2] == lines[1::2] and around_count("\n".join(lines[0::2]), high, cut) is not None:
        return Verdict(FAIL, f"every line arrived twice: “{excerpt(text, 60)}”", (ex.id,), {"content_chunks": len(pieces)})
    return Verdict(INCONCLUSIVE, f"the model did not write the integers 1 to {high} as asked (“{excerpt(ex.reply.streamed_text, 60)}”): "
                                 "nothing to compare the stream with", (ex.id,))
