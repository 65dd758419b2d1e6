"""Deep check: a long prompt reaches the model whole (markers at both ends), or is refused honestly."""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import describe, error_text, excerpt
from relaycheck.wire.exchange import Exchange
from relaycheck.probes.context import MARKER

_TOO_LONG = ("context", "too long", "maximum", "token", "length")


def _markers(x: Exchange) -> tuple[str, str] | None:
    found = MARKER.findall(x.request_body or "")
    return (found[0], found[-1]) if len(found) >= 2 else None


def _depth(x: Exchange) -> int:
    return int(x.label.split()[-1]) if x.label.split()[-1].isdigit() else 0


@check("context.intact", probes=("context",))
def intact(inp: CheckInput) -> Verdict:
    """Both markers at every depth tried; only the end marker means the head was dropped (billed all the same)."""
    tried = sorted((x for x in inp.of("context") if x.model == inp.model), key=_depth)
    if not tried:
        return Verdict(INCONCLUSIVE, "the context probe did not run")
    kept: list[int] = []
    for x in tried:
        depth, markers = _depth(x), _markers(x)
        if markers is None:
            return Verdict(INCONCLUSIVE, f"the depth-{depth} request carries no markers to look for", (x.id,))
        if x.status in (400, 413) and any(w in error_text(x).lower() for w in _TOO_LONG):
            reached = f"both markers came back up to {kept[-1]} tokens; " if kept else ""
            return Verdict(PASS, f"{reached}the {depth}-token prompt was refused with HTTP {x.status} (“{excerpt(error_text(x), 80)}”), which is honest",
                           tuple(e.id for e in tried), {"kept_depths": kept, "refused_depth": depth})
        if not x.ok:
            return Verdict(INCONCLUSIVE, f"the depth-{depth} request did not succeed ({describe(x)})", (x.id,))
        text, (head, tail) = x.reply.text or "", markers
        if head in text and tail in text:
            kept.append(depth)
            continue
        billed = f" while {x.reply.prompt_tokens} prompt tokens were billed" if x.reply.prompt_tokens else ""
        if tail in text:
            return Verdict(FAIL, f"at {depth} tokens only the end marker came back: the start of the prompt was dropped{billed}",
                           tuple(e.id for e in tried), {"kept_depths": kept, "failed_depth": depth})
        what = "only the start marker" if head in text else "neither marker"
        return Verdict(INCONCLUSIVE, f"at {depth} tokens the reply has {what} (“{excerpt(text, 60)}”): not enough to tell a cut prompt from a model that did not follow",
                       tuple(e.id for e in tried), {"kept_depths": kept})
    return Verdict(PASS, f"both markers came back at {', '.join(map(str, kept))} tokens of context", tuple(e.id for e in tried), {"kept_depths": kept})
