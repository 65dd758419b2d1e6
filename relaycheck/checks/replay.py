"""Check chat.replay: no reply is another request's (its nonce, or its answer to a different demand)."""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import excerpt
from relaycheck.checks.demands import answer_of, demand_of, meets
from relaycheck.exchange import Exchange
from relaycheck.probes.prompts import NONCE_PATTERN

PROBES = ("chat", "stream", "long", "slope", "tokenizer")


def _nonces(x: Exchange) -> set[str]:
    return {m.lower() for m in NONCE_PATTERN.findall(x.request_body or "")}


def _replayed(x: Exchange, text: str, sent: list[Exchange], owners: dict[str, set[str]]) -> tuple[Exchange, str] | None:
    """The other exchange whose reply this is, and how that shows; None when the reply is its own."""
    mine = _nonces(x)
    for found in NONCE_PATTERN.findall(text):
        nonce = found.lower()
        if nonce not in mine and nonce in owners:  # relaycheck sent this nonce in another request: its reply came back here
            other = next((e for e in sent if e.id in owners[nonce]), None)
            if other is not None:
                return other, f"it carries {other.id}'s nonce {found}"
    demand = demand_of(x)
    if demand is None or meets(x, text, demand):
        return None
    # A reply that misses its own demand but is, to the letter, another request's answer to a different demand.
    for other in sent:
        if other.id == x.id or other.request_body == x.request_body:
            continue  # a retry of the same request may well get the same answer
        theirs, their_demand = answer_of(other), demand_of(other)
        if theirs and theirs.strip() == text.strip() and their_demand is not None and their_demand != demand and meets(other, theirs, their_demand):
            return other, f"it is, to the letter, {other.id}'s answer to another prompt"
    return None


@check("chat.replay", probes=PROBES)
def replay(inp: CheckInput) -> Verdict:
    """Every reply answers its own request: another request's nonce or answer in it is a replayed (cached) reply."""
    sent = [x for p in PROBES for x in inp.of(p)]
    owners: dict[str, set[str]] = {}
    for x in inp.exchanges:  # nonces of every request, whatever its model: a cache may cross models too
        for nonce in _nonces(x):
            owners.setdefault(nonce, set()).add(x.id)
    judged = [(x, text) for x in sent if (text := answer_of(x))]
    if not judged:
        return Verdict(INCONCLUSIVE, "no reply to compare")
    everything = [x for x in inp.exchanges if answer_of(x)]
    for x, text in judged:
        found = _replayed(x, text, everything, owners)
        if found is not None:
            other, how = found
            return Verdict(FAIL, f"{x.id} ({x.probe}) got a replayed reply: {how} (“{excerpt(text, 60)}”); a cache or relay answers "
                                 "requests with other requests' replies", (x.id, other.id))
    return Verdict(PASS, f"each of {len(judged)} replies answers its own request (no other request's nonce or answer)", tuple(x.id for x, _ in judged))
