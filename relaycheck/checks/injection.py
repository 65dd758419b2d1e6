"""Check chat.injection: replies asked to be exactly X carry nothing else (no advert, link or notice added)."""

from __future__ import annotations

from collections import defaultdict

from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import excerpt
from relaycheck.checks.demands import compare
from relaycheck.wire.exchange import Exchange

# What a model may wrap an exact reply in without adding anything: white space, quotes, code marks, a full stop.
_WRAPPING = " \t\r\n\"'`*“”‘’.。!！"
PROBES = ("chat", "stream", "long", "slope", "integrity")


def _normal(text: str) -> str:
    return " ".join(text.strip(_WRAPPING).split())


def _added(x: Exchange) -> tuple[str, str, str] | None:
    """The prompt's kind and what the reply carries beyond what it demanded (before, after); None when unjudgeable."""
    found = compare(x)
    if found is None or found.around is None:
        return None  # no exact copy: what is inside a near copy is integrity.content's to judge
    before, after = found.around
    return found.demand.kind, _normal(before), "" if found.cut else _normal(after)


@check("chat.injection", probes=PROBES, protocols=NATIVE)
def injection(inp: CheckInput) -> Verdict:
    """The same text added to replies of different prompts fails; an addition to one reply only warns."""
    judged: list[Exchange] = []
    additions: dict[str, list[tuple[str, Exchange]]] = defaultdict(list)
    for x in [e for p in PROBES for e in inp.of(p)]:
        found = _added(x)
        if found is None:
            continue
        judged.append(x)
        kind, *parts = found
        for part in parts:
            if part:
                additions[part].append((kind, x))
    if not judged:
        return Verdict(INCONCLUSIVE, "no reply followed an exact-reply prompt closely enough to judge")
    evidence = tuple(x.id for x in judged)
    metrics = {"replies": len(judged), "with_additions": len({x.id for found in additions.values() for _, x in found})}
    # A model's chatter depends on the prompt (and repeats for prompts of one kind); a relay's addition is the same
    # whatever was asked: the same text after prompts of different kinds is the relay's.
    repeated = {text: found for text, found in additions.items() if len({kind for kind, _ in found}) >= 2}
    if repeated:
        text, found = max(repeated.items(), key=lambda item: len(item[1]))
        ids = tuple(dict.fromkeys(x.id for _, x in found))
        return Verdict(FAIL, f"the same text is added to {len(ids)} of {len(judged)} replies asked to be exact, after different prompts "
                             f"({', '.join(ids)}): “{excerpt(text, 120)}”", ids, {**metrics, "added": text[:500]})
    if additions:
        text, found = next(iter(additions.items()))
        first = found[0][1]
        return Verdict(WARN, f"{first.id} ({first.probe}) adds “{excerpt(text, 120)}” to the text it was asked to write exactly; no reply "
                             "to another kind of prompt does, so this may be the model's own wording", tuple(dict.fromkeys(x.id for _, x in found)),
                       {**metrics, "added": text[:500]})
    return Verdict(PASS, f"{len(judged)} replies asked for exact text carry nothing else", evidence, metrics)
