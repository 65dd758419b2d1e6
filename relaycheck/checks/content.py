"""Checks integrity.content and integrity.request: the text asked for arrives unedited, and what was sent (the
system message, a tool description) reaches the model."""

from __future__ import annotations

import re

from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import describe, excerpt
from relaycheck.checks.calls import canary_slip, near
from relaycheck.checks.demands import Comparison, Edit, answer_of, compare
from relaycheck.probes.canaries import CANARY_PATTERN
from relaycheck.protocol import protocol_of
from relaycheck.wire.exchange import Exchange

PROBES = ("chat", "stream", "long", "slope", "integrity")
# An edit that touches a URL, a host, a package, a path or a canary is what a router makes (a model copying a text
# verbatim does not rename a download host); invisible characters are a watermark.
_SUBSTANTIVE = re.compile(r"https?://|\w\.\w+/|\binstall\b|/tmp/|rc-canary-|invisible characters", re.I)


def _substantive(edit: Edit) -> bool:
    """An edit of a URL, host, package, path or canary, or invisible marks; a canary copied with a slip is the model's."""
    if not _SUBSTANTIVE.search(edit.asked + " " + edit.got):
        return False
    return not canary_slip(edit.asked, edit.got)


def _seen(canary: str, text: str) -> bool:
    """The canary is in the text, or a near copy of it (a model's slip in copying still shows it arrived)."""
    return canary in text or any(near(canary, word.strip(".,;:!?\"'`*()[]“”")) for word in text.split()[:200])


def _quote(edit: Edit) -> str:
    if not edit.asked:
        return f"inserted “{excerpt(edit.got, 120)}”"
    if not edit.got:
        return f"removed “{excerpt(edit.asked, 120)}”"
    return f"“{excerpt(edit.asked, 120)}” became “{excerpt(edit.got, 120)}”"


@check("integrity.content", probes=PROBES, protocols=NATIVE)
def content(inp: CheckInput) -> Verdict:
    """Replies asked for exact text (the nonce, numbered lines, a code block with a canary URL and package) hold it
    unedited: a changed URL or package, a link or invisible mark inserted inside, or text removed fails."""
    found: list[tuple[Exchange, Comparison]] = [(x, c) for p in PROBES for x in inp.of(p) if (c := compare(x)) is not None]
    if not found:
        return Verdict(INCONCLUSIVE, "no reply followed an exact-reply prompt closely enough to judge")
    edited = [(x, c) for x, c in found if c.edits]
    metrics = {"replies": len(found), "edited": len(edited)}
    substantive = [(x, c) for x, c in edited if any(_substantive(e) for e in c.edits)]
    if substantive:
        x, c = substantive[0]
        ids = tuple(dict.fromkeys(y.id for y, _ in substantive))
        quoted = "; ".join(_quote(e) for e in c.edits[:3])
        paths = sorted({"stream" if y.events else "non-stream" for y, _ in substantive})
        return Verdict(FAIL, f"{x.id} ({x.label}) was asked for an exact text and came back edited inside: {quoted} "
                             f"({len(ids)} of {len(found)} replies, {' and '.join(paths)})", ids,
                       {**metrics, "edits": [_quote(e) for _, c2 in substantive for e in c2.edits][:10]})
    if edited:
        x, c = edited[0]
        return Verdict(WARN, f"{x.id} ({x.label}) differs inside the text it was asked to copy: {'; '.join(_quote(e) for e in c.edits[:3])} "
                             "(no URL, package or mark involved: this may be the model's wording)",
                       tuple(y.id for y, _ in edited), metrics)
    kinds = ", ".join(f"{kind} ({' and '.join(sorted(paths))})" for kind, paths in _kinds(found).items())
    return Verdict(PASS, f"{len(found)} replies asked for exact text hold it unedited: {kinds}", tuple(x.id for x, _ in found), metrics)


def _kinds(found: list[tuple[Exchange, Comparison]]) -> dict[str, set[str]]:
    """What was asked for, by kind, with the paths it came back on."""
    kinds: dict[str, set[str]] = {}
    for x, c in found:
        kind = {"count": "numbered lines", "ok": "OK"}.get(c.demand.kind) or ("a code block" if "\n" in c.demand.arg else "the nonce")
        kinds.setdefault(kind, set()).add("stream" if x.events else "non-stream")
    return kinds


HIDDEN_FAIL = 30  # tokens per request, as usage.prompt judges them


def _hidden_tokens(inp: CheckInput) -> float | None:
    """The hidden prompt overhead usage.prompt measures on this model (None when it could not)."""
    from relaycheck.checks.usage import prompt as usage_prompt

    hidden = usage_prompt(inp).metrics.get("hidden_tokens")
    return hidden if isinstance(hidden, (int, float)) else None


@check("integrity.request", probes=("integrity", "slope"), protocols=NATIVE)
def request(inp: CheckInput) -> Verdict:
    """The model repeats the canary of the system message and the one of a tool description: both must arrive."""
    x = next((e for e in inp.of("integrity") if e.label == "request"), None)
    if x is None:
        return Verdict(INCONCLUSIVE, "the request ask was not sent")
    if not x.ok:
        return Verdict(INCONCLUSIVE, f"the request ask did not succeed ({describe(x)})", (x.id,))
    protocol = protocol_of(x)
    system = CANARY_PATTERN.search(protocol.system_of(x.request_json))
    described = CANARY_PATTERN.search(" ".join(d for _, d in protocol.tools_of(x.request_json)))
    if system is None or described is None:
        return Verdict(INCONCLUSIVE, "the request ask carries no canaries to look for", (x.id,))
    text = answer_of(x) or ""
    has_system, has_tool = _seen(system.group(), text), _seen(described.group(), text)
    hidden = _hidden_tokens(inp)
    overhead = f"; usage.prompt measures {hidden:g} hidden prompt tokens per request" if hidden is not None and hidden >= 6 else ""
    metrics = {"system_canary_seen": has_system, "tool_canary_seen": has_tool, "hidden_tokens": hidden}
    if has_system and has_tool:
        rest = " ".join(w for w in text.strip(" \t\r\n\"'`*.。").split() if not (_seen(system.group(), w) or _seen(described.group(), w)))
        if rest and hidden is not None and hidden >= HIDDEN_FAIL:
            return Verdict(WARN, f"both canaries arrived, and the reply also says “{excerpt(rest, 120)}”{overhead}: a hidden prompt "
                                 "may be changing what the model answers", (x.id,), metrics)
        if rest:  # without a measured hidden prompt, text around the canaries is chat.injection's to judge
            return Verdict(PASS, f"both canaries reached the model (the reply also says “{excerpt(rest, 80)}”: text added around "
                                 f"replies is chat.injection's to judge){overhead}", (x.id,), metrics)
        return Verdict(PASS, f"the model repeated the system message's canary and the tool description's: both reached it{overhead}",
                       (x.id,), metrics)
    if x.reply.finish_reason in ("length", "max_tokens"):
        return Verdict(INCONCLUSIVE, f"the reply was cut at its own limit before it repeated both canaries (“{excerpt(text, 100)}”)",
                       (x.id,), metrics)
    if has_tool:
        return Verdict(FAIL, f"the model repeated the tool description's canary but not the system message's (“{excerpt(text, 100)}”): "
                             f"the system message was dropped or rewritten on the way{overhead}", (x.id,), metrics)
    if has_system:
        # Some translators strip the tools of a request that forbids calling them (tool_choice "none"): nothing
        # shows whether this relay rewrote them or only did that.
        return Verdict(INCONCLUSIVE, f"the model repeated the system message's canary but not the tool description's "
                                     f"(“{excerpt(text, 100)}”): the tools did not reach it, which a translator that strips the tools "
                                     "of a tool_choice \"none\" request also causes", (x.id,), metrics)
    return Verdict(INCONCLUSIVE, f"the reply repeats neither canary (“{excerpt(text, 100)}”): the model did not do what was asked, "
                                 "so nothing shows what reached it", (x.id,), metrics)
