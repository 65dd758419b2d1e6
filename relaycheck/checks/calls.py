"""Tool calls set against what relaycheck asked: intact, altered (each change quoted), or not judgeable; and what
shows that a change is the relay's rather than the model's."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from relaycheck.checks import CheckInput
from relaycheck.checks._util import describe, excerpt
from relaycheck.probes.canaries import CANARY_PATTERN, asked_call
from relaycheck.protocol import protocol_of
from relaycheck.wire.exchange import Exchange, loads_relay

# What a router plants and a verbatim copy never invents: a URL, a host name, a package for an installer, or a
# destructive shell idiom. Bounded quantifiers keep the scan linear on hostile text (a-a-a-… never backtracks far).
_PLANTED = re.compile(
    r"https?://[^\s\"'<>]{1,300}"
    r"|\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,6}\.(?:com|net|org|io|sh|dev|example|xyz|top|cn|ru)\b"
    r"|\b(?:pip3?|uv pip|npm|pnpm|yarn|gem|cargo|go) (?:install|add|i|get) +(?!-)[A-Za-z0-9_.@/\-]{1,100}"
    r"|\|\s*(?:ba|z)?sh\b|\brm -rf\b|\bsudo\b|\bchmod \+x\b", re.I)
SCANNED = 4000  # characters of one call's values searched for planted text (a hostile call can be 512 KiB)
NEAR = 0.8  # a value this similar to the one asked is a slip in copying it (a mistyped canary), not an edit


@dataclass(frozen=True)
class Change:
    """One difference from the ask: a sentence quoting both sides, the new value, and whether it is a near copy."""

    sentence: str
    new: str = ""  # the value that came back instead ("" when one was removed)
    near: bool = False  # the new value is a near copy of the asked one (the model's slip, not an edit)
    replaced: bool = False  # an asked value came back as another (not a key added or removed)


@dataclass(frozen=True)
class Outcome:
    """One ask's tool calls judged: no `changes` means intact; `reason` set means it cannot be judged."""

    exchange: Exchange
    tool: str  # the tool asked for
    kind: str  # what the ask does: "install", "file" or "payment" (asks of one kind are compared with each other)
    changes: tuple[Change, ...] = ()
    planted: tuple[str, ...] = ()  # URLs, hosts, packages or shell idioms the changes brought in
    added: bool = False  # a call was added beside the intact asked one, of a tool never offered or planting something
    reason: str = ""

    @property
    def judged(self) -> bool:
        """Whether the calls could be set against the ask."""
        return not self.reason

    @property
    def intact(self) -> bool:
        """Every call came back exactly as asked."""
        return self.judged and not self.changes


def named_calls(x: Exchange) -> list:
    """The reply's tool calls that name a function (a nameless fragment is no call)."""
    return [c for c in x.reply.tool_calls if isinstance(c.name, str) and c.name]


def kind_of(arguments: dict) -> str:
    """What an ask does, by what it carries."""
    text = json.dumps(arguments)
    if " install " in text:
        return "install"
    return "payment" if "recipient" in arguments else "file"


def _same(a: Any, b: Any) -> bool:
    # White space inside a value, and a number written for its string ("0.01" as 0.01), are the liberties a verbatim
    # copy may take: a router gains nothing by editing only those.
    if isinstance(a, str) and isinstance(b, (int, float)) and not isinstance(b, bool):
        b = json.dumps(b)
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:SCANNED]


def near(asked: str, got: str) -> bool:
    """Whether `got` is a near copy of `asked` (a slip in copying it, not an edit)."""
    if len(got) > 4 * len(asked) + 40:
        return False  # far longer than the ask: not a slip in copying it (and never compared at hostile lengths)
    return SequenceMatcher(None, asked, got, autojunk=False).ratio() >= NEAR


def canary_slip(asked: str, got: str) -> bool:
    """Whether `got` is `asked` with only its canary mistyped (the model's slip in copying a fresh random name)."""
    m = CANARY_PATTERN.search(asked)
    if m is None or len(got) > 4 * len(asked) + 40:
        return False
    rest = asked.replace(m.group(), "\0", 1)
    for token in set(re.findall(r"[A-Za-z0-9][A-Za-z0-9-]{7,40}", got)):
        if near(m.group(), token) and got.replace(token, "\0", 1) == rest:
            return True
    return False


def differences(asked: dict, got: Any) -> list[Change]:
    """Each difference between the asked arguments and a call's (changed, added or removed keys)."""
    if not isinstance(got, dict):
        shown = excerpt(_text(got), 120)
        return [Change(f"the arguments are “{shown}”, not an object", _text(got))]
    found = []
    for key, value in asked.items():
        if key not in got:
            found.append(Change(f"{key} removed (asked “{excerpt(_text(value), 120)}”)"))
        elif not _same(value, got[key]):
            old, new = _text(value), _text(got[key])
            found.append(Change(f"{key} “{excerpt(old, 160)}” became “{excerpt(new, 160)}”", new, canary_slip(old, new), replaced=True))
    found += [Change(f"{excerpt(str(key), 40)} added: “{excerpt(_text(got[key]), 160)}”", _text(got[key])) for key in list(got)[:20]
              if key not in asked]
    return found


def planted(got: Any, request_text: str) -> tuple[str, ...]:
    """URLs, hosts, packages and shell idioms in a call's values that the request never named, and that are no near
    copy of a canary it named (a router cannot have a name ready that looks like a canary drawn a moment before)."""
    values = _text(got)[:SCANNED]
    canaries = CANARY_PATTERN.findall(request_text)
    found = []
    for m in _PLANTED.finditer(values):
        token = m.group()
        if token.lower() in request_text.lower() or any(near(canary, token.split()[-1].rsplit("/", 1)[-1]) for canary in canaries):
            continue
        found.append(excerpt(token, 80))
    return tuple(dict.fromkeys(found))[:5]


_UNPARSED = object()


def _parsed(arguments: Any) -> Any:
    """A call's arguments read (relay text: never raising, however deep or malformed), _UNPARSED when not JSON."""
    return loads_relay(arguments, _UNPARSED) if isinstance(arguments, str) else arguments


def _cut(x: Exchange) -> bool:
    return x.reply.finish_reason in ("length", "max_tokens")  # OpenAI's word, and Anthropic's passed through


def outcome(x: Exchange) -> Outcome | None:
    """The ask's calls judged, or None when the exchange asked for no call."""
    protocol = protocol_of(x)
    ask = asked_call(protocol.user_prompt_of(x.request_json))
    if ask is None:
        return None
    name, asked = ask
    kind = kind_of(asked)
    if not x.ok:
        return Outcome(x, name, kind, reason=f"the request did not succeed ({describe(x)})")
    calls = named_calls(x)
    if not calls:
        text = (x.reply.streamed_text if x.reply.streamed else x.reply.text) or ""
        return Outcome(x, name, kind, reason=f"no tool call came back ({'text “' + excerpt(text, 60) + '”' if text.strip() else 'no text either'})")
    if _cut(x):
        return Outcome(x, name, kind, reason="the reply was cut at its own limit: its arguments cannot be complete")
    request_text = json.dumps(x.request_json, ensure_ascii=False)
    offered = {n for n, _ in protocol.tools_of(x.request_json)}
    parsed = [(c, _parsed(c.arguments)) for c in calls]
    matched = next((i for i, (c, got) in enumerate(parsed) if c.name == name and isinstance(got, dict) and not differences(asked, got)), None)
    if matched is None:
        call, got = next(((c, g) for c, g in parsed if c.name == name), parsed[0])
        if got is _UNPARSED and len(calls) == 1:
            return Outcome(x, name, kind, reason="the call's arguments are not JSON (the model's output, unparseable)")
        got = call.arguments if got is _UNPARSED else got
        changes = differences(asked, got) if call.name == name else [Change(f"a call of {excerpt(call.name, 60)!r} came back instead", call.name)]
        return Outcome(x, name, kind, tuple(changes), planted(got, request_text))
    # The asked call is there as asked; an identical repeat is harmless, another call of an offered tool the model's
    # own; a call of a tool never offered, or one that plants something, was added on the way.
    changes, brought = [], []
    for i, (call, got) in enumerate(parsed):
        if i == matched or (call.name == name and isinstance(got, dict) and not differences(asked, got)):
            continue
        found = planted(got, request_text) if got is not _UNPARSED else ()
        if call.name not in offered or found:
            changes.append(Change(f"call {i + 1} of {len(calls)} was added: {excerpt(call.name, 60)!r} with “{excerpt(_text(call.arguments), 160)}”"))
            brought += found
    return Outcome(x, name, kind, tuple(changes), tuple(dict.fromkeys(brought)), added=bool(changes))


def relay_evidence(o: Outcome, judged: list[Outcome]) -> str:
    """Why an altered ask's change is the relay's and not the model's ("" when nothing shows it)."""
    if o.added:
        return "a call nobody asked for was added beside the asked one"
    if o.planted:
        return f"the change brings in {', '.join(f'“{p}”' for p in o.planted[:3])}, which no request named"
    edits = [c for c in o.changes if not c.near]
    if not edits:
        return ""  # a slip in copying a fresh canary is the model's
    # The same model copied the same tool's ask to the character elsewhere in this run.
    if any(other is not o and other.intact and other.tool == o.tool for other in judged):
        return f"the same model copied another {o.tool} ask to the character"
    # The same replacement for asks with different canaries: what a router puts in, not what a model mistypes (a key a
    # model adds on its own, such as a description, may well repeat: added keys need something planted).
    mine = {c.new for c in edits if c.replaced and len(c.new) >= 8 and not CANARY_PATTERN.search(c.new)}
    if any(other is not o and mine & {c.new for c in other.changes if c.replaced} for other in judged):
        return "the same new value came back for asks with different canaries"
    return ""


def outcomes(inp: CheckInput, probe: str) -> list[Outcome]:
    """Every ask of one probe for the input's model, judged."""
    return [o for x in inp.of(probe) if (o := outcome(x)) is not None]


def where(o: Outcome) -> str:
    """An outcome's exchange, for a sentence: "x12 (shell stream)"."""
    return f"{o.exchange.id} ({o.exchange.label})"


def unasked_calls(inp: CheckInput) -> tuple[list[Exchange], list[Exchange]]:
    """Replies with tool calls to requests for text: (calls of tools never offered, offered ones called although
    tool_choice was "none"). The first no model makes; the second a relay that drops tool_choice lets through."""
    never, unenforced = [], []
    for probe in dict.fromkeys(x.probe for x in inp.exchanges):
        for x in inp.of(probe):
            calls = named_calls(x) if x.ok else []
            if not calls:
                continue
            protocol = protocol_of(x)
            choice = protocol.tool_choice_of(x.request_json)
            if choice not in (None, "none", "auto", "required"):
                continue  # a forced call: outcome() judges what came back
            offered = {n for n, _ in protocol.tools_of(x.request_json)}
            if any(c.name not in offered for c in calls):
                never.append(x)
            elif protocol.tool_choice_of(x.request_json) == "none":
                unenforced.append(x)
    return never, unenforced
