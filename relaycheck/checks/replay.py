"""Check chat.replay: no reply is another request's (its nonce, or its answer to a different demand)."""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import excerpt
from relaycheck.checks.demands import Demand, answer_of, demand_of, meets
from relaycheck.wire.exchange import Exchange
from relaycheck.probes.prompts import NONCE_PATTERN

PROBES = ("chat", "stream", "long", "slope", "tokenizer")


@dataclass(frozen=True)
class _Answer:
    """One reply, read once: its text, what its prompt demanded, and whether it met that demand."""

    x: Exchange
    text: str
    demand: Demand | None
    met: bool


def _read(x: Exchange) -> _Answer | None:
    text = answer_of(x)
    if not text:
        return None
    demand = demand_of(x)
    return _Answer(x, text, demand, demand is not None and meets(x, text, demand))


def _nonces(x: Exchange) -> set[str]:
    return {m.lower() for m in NONCE_PATTERN.findall(x.request_body or "")}


def _replayed(a: _Answer, answers: list[_Answer], owners: dict[str, set[str]]) -> tuple[Exchange, str] | None:
    """The other exchange whose reply this is, and how that shows; None when the reply is its own."""
    mine = _nonces(a.x)
    for found in NONCE_PATTERN.findall(a.text):
        nonce = found.lower()
        if nonce not in mine and nonce in owners:  # relaycheck sent this nonce in another request: its reply came back here
            other = next((b.x for b in answers if b.x.id in owners[nonce]), None)
            if other is not None:
                return other, f"it carries {other.id}'s nonce {found}"
    if a.demand is None or a.met:
        return None
    # A reply that misses its own demand but is, to the letter, another request's answer to a different demand.
    for b in answers:
        if b.x.id == a.x.id or b.x.request_body == a.x.request_body:
            continue  # a retry of the same request may well get the same answer
        if b.met and b.demand != a.demand and b.text.strip() == a.text.strip():
            return b.x, f"it is, to the letter, {b.x.id}'s answer to another prompt"
    return None


@check("chat.replay", probes=PROBES, protocols=NATIVE)
def replay(inp: CheckInput) -> Verdict:
    """Every reply answers its own request: another request's nonce or answer in it is a replayed (cached) reply."""
    owners: dict[str, set[str]] = {}
    for x in inp.exchanges:  # nonces of every request, whatever its model: a cache may cross models too
        for nonce in _nonces(x):
            owners.setdefault(nonce, set()).add(x.id)
    # Every reply is read once (a stream's deltas parsed once), however many pairs are compared.
    answers = [a for x in inp.exchanges if (a := _read(x)) is not None]
    mine = {x.id for p in PROBES for x in inp.of(p)}
    judged = [a for a in answers if a.x.id in mine]
    if not judged:
        return Verdict(INCONCLUSIVE, "no reply to compare")
    for a in judged:
        found = _replayed(a, answers, owners)
        if found is not None:
            other, how = found
            return Verdict(FAIL, f"{a.x.id} ({a.x.probe}) got a replayed reply: {how} (“{excerpt(a.text, 60)}”); a cache or relay answers "
                                 "requests with other requests' replies", (a.x.id, other.id))
    return Verdict(PASS, f"each of {len(judged)} replies answers its own request (no other request's nonce or answer)", tuple(a.x.id for a in judged))
