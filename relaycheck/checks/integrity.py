"""Checks integrity.tool_args and integrity.conditional: tool calls come back with the arguments the model was asked
to copy, whatever the tool is named."""

from __future__ import annotations

from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import excerpt
from relaycheck.checks.calls import named_calls, outcome, outcomes, relay_evidence, unasked_calls, where
from relaycheck.wire.exchange import Exchange

ASKS = "integrity"
TRIGGERS = "triggers"


def _other_models(inp: CheckInput) -> list[str]:
    """Other configured models whose asks all came back intact (a rewrite keyed on the model name)."""
    clean = []
    for model in inp.target.models:
        if model == inp.model:
            continue
        found = outcomes(CheckInput(inp.target, model, inp.exchanges), ASKS)
        if found and all(o.intact for o in found):
            clean.append(model)
    return clean


def _first_call(x: Exchange) -> str:
    call = named_calls(x)[0]
    return f"a call of {excerpt(call.name, 60)!r} with “{excerpt(str(call.arguments), 160)}”"


@check("integrity.tool_args", probes=(ASKS,), protocols=NATIVE)
def tool_args(inp: CheckInput) -> Verdict:
    """Forced calls carry exactly the asked arguments, no call is added, and no call answers a request for text."""
    found = outcomes(inp, ASKS)
    never, unenforced = unasked_calls(inp)
    judged = [o for o in found if o.judged]
    intact = [o for o in judged if o.intact]
    altered = [o for o in judged if not o.intact]
    evidence = tuple(o.exchange.id for o in found)
    metrics = {"asks": len(found), "intact": len(intact), "altered": len(altered), "unasked_calls": len(never) + len(unenforced)}
    if never:
        x = never[0]
        return Verdict(FAIL, f"{x.id} ({x.probe}, {x.label}) asked for text and {_first_call(x)} came back, of a tool the request never "
                             "offered: no model makes that call, the relay added it",
                       tuple(dict.fromkeys((*(u.id for u in never), *evidence))), metrics)
    shown = [(o, why) for o in altered if (why := relay_evidence(o, judged))]
    if shown:
        first, why = shown[0]
        clean = _other_models(inp)
        keyed = f"; the same asks for {', '.join(clean)} came back intact, so the change depends on the model" if clean else ""
        ids = tuple(dict.fromkeys([o.exchange.id for o, _ in shown] + [o.exchange.id for o in altered + intact] + [u.id for u in unenforced]))
        return Verdict(FAIL, f"{where(first)} asked {first.tool} to be called with arguments chosen by relaycheck and got: "
                             f"{'; '.join(c.sentence for c in first.changes[:3])} ({len(altered)} of {len(judged)} asks altered; {why}{keyed})",
                       ids, metrics)
    if unenforced:
        x = unenforced[0]
        return Verdict(WARN, f"{x.id} ({x.label}) forbade tool calls (tool_choice \"none\") and {_first_call(x)} came back: the relay "
                             "does not pass tool_choice on (an agent that relies on it would run the call)",
                       tuple(u.id for u in unenforced) + evidence, metrics)
    if altered:
        first = altered[0]
        return Verdict(INCONCLUSIVE, f"{len(altered)} ask{'s' if len(altered) > 1 else ''} did not come back as asked ({where(first)}: "
                                     f"{'; '.join(c.sentence for c in first.changes[:3])}), and nothing shows the relay rather than "
                                     "the model changed them (no clean copy of the same tool's ask, nothing planted, no value repeated)",
                       evidence, metrics)
    if not judged:
        reasons = "; ".join(f"{where(o)}: {o.reason}" for o in found[:3]) or "the asks were not sent"
        return Verdict(INCONCLUSIVE, f"no tool call to judge ({reasons})", evidence, metrics)
    labels = ", ".join(o.exchange.label for o in intact)
    return Verdict(PASS, f"{len(intact)} forced calls ({labels}) came back with exactly the arguments asked, and no reply carries a call "
                         "nobody asked for", evidence, metrics)


@check("integrity.conditional", probes=(TRIGGERS, ASKS), protocols=NATIVE)
def conditional(inp: CheckInput) -> Verdict:
    """The asks repeated under popular agents' tool names (and, opted in, agent clients' User-Agents) come back as
    the neutral ones do: a trigger ask altered, with evidence it was the relay, while an ask of the same kind came
    back intact fails naming the trigger."""
    triggers = outcomes(inp, TRIGGERS)
    neutral = [o for x in inp.of(ASKS) if (o := outcome(x)) is not None]
    tried = list(dict.fromkeys(o.exchange.label for o in triggers))
    metrics: dict = {"triggers_tried": tried, "neutral": [o.exchange.label for o in neutral]}
    if not triggers:
        return Verdict(INCONCLUSIVE, "the trigger asks were not sent", (), metrics)
    judged_triggers = [o for o in triggers if o.judged]
    if not judged_triggers:
        return Verdict(INCONCLUSIVE, f"no call to judge under any trigger ({where(triggers[0])}: {triggers[0].reason})",
                       tuple(o.exchange.id for o in triggers), metrics)
    judged = judged_triggers + [o for o in neutral if o.judged]
    changed = [(o, why) for o in judged_triggers if not o.intact and (why := relay_evidence(o, judged))]
    # Against a clean copy of the same kind of ask (an install command, a file write): the trigger made the difference.
    contrasted = [(o, why, clean) for o, why in changed
                  if (clean := [c for c in judged if c.intact and c.kind == o.kind])]
    evidence = tuple(o.exchange.id for o in judged)
    if contrasted:
        first, why, clean = contrasted[0]
        named = ", ".join(dict.fromkeys(o.exchange.label for o, _, _ in contrasted))
        intact_under = ", ".join(dict.fromkeys(c.exchange.label if c.exchange.probe == TRIGGERS else f"the neutral {c.tool}" for c in clean))
        metrics["changed_under"] = list(dict.fromkeys(o.exchange.label for o, _, _ in contrasted))
        return Verdict(FAIL, f"the calls change only under {named}: {where(first)} got "
                             f"{'; '.join(c.sentence for c in first.changes[:2])} ({why}); the same kind of ask came back intact under "
                             f"{intact_under}", evidence, metrics)
    altered = [o for o in judged_triggers if not o.intact]
    if altered:
        return Verdict(INCONCLUSIVE, f"{len(altered)} trigger ask{'s' if len(altered) > 1 else ''} did not come back as asked "
                                     f"({where(altered[0])}), but no ask of the same kind came back clean to contrast, or nothing shows "
                                     "the relay made the change (integrity.tool_args judges the changes themselves)", evidence, metrics)
    return Verdict(PASS, f"{len(tried)} triggers tried ({', '.join(tried)}): each call came back as asked", evidence, metrics)
