"""Check models.thinking (Anthropic Messages, deep): the reply's thinking is signed, and the signature is verified
when the block comes back (accepted as it came, refused once altered), as only Anthropic's servers can do."""

from __future__ import annotations

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, SKIP, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import describe
from relaycheck.protocol import thinking
from relaycheck.wire.errorclass import error_text
from relaycheck.wire.exchange import Exchange

PROBE = "thinking"
STRIPPED_TOKENS = 10  # fewer input tokens than this below the unchanged continuation's is noise, not a removed block


def _stripped(returned: Exchange, altered: Exchange) -> bool:
    """The altered continuation was billed clearly fewer input tokens than the unchanged one: its thinking block was
    removed on the way (a thinking block is tens of tokens at least)."""
    kept, cut = returned.reply.prompt_tokens, altered.reply.prompt_tokens
    return kept is not None and cut is not None and cut < kept - STRIPPED_TOKENS


def _transient(x: Exchange) -> bool:
    """No answer, a rate limit or a server error: says nothing about the thinking block."""
    return x.status is None or x.status == 429 or x.status >= 500


def _first(x: Exchange) -> Verdict | None:
    """Why the first reply cannot be continued (None when it can: signed thinking and a tool call)."""
    if not x.ok:
        if x.status is not None and 400 <= x.status < 500 and x.status not in (401, 403, 429):
            return Verdict(INCONCLUSIVE, f"thinking was refused ({describe(x)}): the relay or the model offers no extended thinking", (x.id,))
        return Verdict(INCONCLUSIVE, f"the thinking request failed: {describe(x)}", (x.id,))
    found = thinking.thoughts(x.json)
    if not found:
        return Verdict(INCONCLUSIVE, "thinking was asked for and the reply has no thinking block: the relay (or the model) offers no "
                                     "visible thinking", (x.id,))
    if any(t.kind == "thinking" and not t.signature for t in found):
        return Verdict(FAIL, "the reply's thinking block has no signature: Anthropic signs every thinking block, so either the relay "
                             "dropped it (and multi-turn tool use with thinking breaks) or this thinking is not Anthropic's", (x.id,))
    if not any(t.kind == "thinking" for t in found):
        return Verdict(INCONCLUSIVE, "only redacted thinking came: no signature to alter", (x.id,))
    if not thinking.tool_uses(x.json):
        return Verdict(INCONCLUSIVE, "the model answered without calling the tool, and only a tool call makes the backend verify the "
                                     "thinking block in the next turn", (x.id,))
    return None


@check("models.thinking", probes=(PROBE,), protocols=("anthropic",))
def signed(inp: CheckInput) -> Verdict:
    """A signed thinking block sent back as it came is accepted and refused once its signature is altered; an altered
    signature accepted, or thinking without a signature, is not Anthropic's thinking."""
    assert inp.model is not None
    if not thinking.claude(inp.model):
        return Verdict(SKIP, f"{inp.model} is not a Claude model: other models served over Messages sign no thinking")
    by = {x.label: x for x in inp.of(PROBE)}
    first = by.get("thinking")
    if first is None:
        return Verdict(INCONCLUSIVE, "the thinking request was not sent")
    early = _first(first)
    if early is not None:
        return early
    returned, altered = by.get("thinking returned"), by.get("signature altered")
    if returned is None or altered is None:
        return Verdict(INCONCLUSIVE, "the conversation was not continued", (first.id,))
    ids = (first.id, returned.id, altered.id)
    if altered.ok and returned.ok and _stripped(returned, altered):
        return Verdict(WARN, f"the thinking block sent back with its signature altered was accepted, but billed "
                             f"{altered.reply.prompt_tokens} input tokens against {returned.reply.prompt_tokens} unchanged: the relay "
                             "removed the block before the backend saw it (a signature rectifier), so nothing was verified", ids)
    if altered.ok:
        return Verdict(FAIL, f"the thinking block came back with its signature altered and was accepted (HTTP {altered.status}): "
                             "Anthropic's API verifies the signature and refuses an altered one, so this thinking is not signed by "
                             "Anthropic (made up by the relay, or a backend that does not verify)", ids)
    if _transient(altered) or _transient(returned):
        unlucky = altered if _transient(altered) else returned
        return Verdict(INCONCLUSIVE, f"a continuation got no usable answer ({unlucky.id}: {describe(unlucky)})", ids)
    if not returned.ok:
        said = error_text(returned) or ""
        if "signature" in said.lower():
            return Verdict(FAIL, f"the relay refused its own thinking block sent back unchanged ({describe(returned)}): its signatures do not "
                                 "survive a round trip, so multi-turn tool use with thinking breaks (a relay switching backends between "
                                 "requests does this)", ids)
        return Verdict(INCONCLUSIVE, f"both continuations were refused (unchanged: {describe(returned)}), so the refusal of the altered "
                                     "signature shows nothing", ids)
    return Verdict(PASS, f"the thinking block sent back as it came was accepted, and refused with its signature altered "
                         f"({describe(altered)}): the signature was verified", ids)
