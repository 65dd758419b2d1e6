"""Checks on the model list and on the model that answers."""

from __future__ import annotations

from typing import Any

from relaycheck.text import tokens
from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, SKIP, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import completion_beside, describe, prompt_tokens, same_model
from relaycheck.wire.exchange import Exchange
from relaycheck.protocol import for_target, is_api_root, protocol_of


def _list_exchange(inp: CheckInput) -> Exchange | None:
    """The /models answer of the base URL in effect (the first that answered as an API), else the first try."""
    root = inp.of("root")
    return next((x for x in root if is_api_root(x)), root[0] if root else None)


def _listed_ids(body: Any) -> list[str] | None:
    """Model ids from an OpenAI list, or leniently from a bare array; None when none can be read."""
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return None
    ids = [i.get("id") if isinstance(i, dict) else i for i in items]
    ids = [i for i in ids if isinstance(i, str)]
    return ids if ids or not items else None


@check("models.list", probes=("root", "chat"), protocols=NATIVE)
def model_list(inp: CheckInput) -> Verdict:
    """GET /models must be {"object": "list", "data": [{"id": ...}]}."""
    ex = _list_exchange(inp)
    if ex is None:
        return Verdict(INCONCLUSIVE, "GET /models was not sent")
    if ex.status is None:
        return Verdict(INCONCLUSIVE, f"GET /models failed: {describe(ex)}", (ex.id,))
    if ex.status in (401, 403):
        return Verdict(INCONCLUSIVE, f"GET /models refused the key ({describe(ex)})", (ex.id,))
    if not (200 <= ex.status < 300) or not is_api_root(ex):
        chat = completion_beside(ex, inp.of("chat"))
        if ex.status in (404, 405, 501) and chat is not None:
            # The API is there (chat answered at this base); only the list is not served: tools that discover
            # models break, calls by model name work.
            return Verdict(WARN, f"the relay does not serve a model list (GET /models answered {describe(ex)}) while "
                           f"chat answers at the same base ({chat.id}): model pickers and client.models.list() will fail", (ex.id, chat.id))
        return Verdict(FAIL, f"GET /models answered {describe(ex)}, not a model list", (ex.id,))
    listed = for_target(inp.target).model_list(ex.json)  # each protocol's list has its own shape
    if listed.problems:
        return Verdict(FAIL, "; ".join(listed.problems), (ex.id,))
    assert listed.ids is not None
    metrics = {"models": len(listed.ids)}
    more = " (the first page; more follow)" if listed.more else ""
    if listed.deviations:
        return Verdict(WARN, "model list readable but " + "; ".join(listed.deviations), (ex.id,), metrics)
    return Verdict(PASS, f"{listed.shape} of {len(listed.ids)} models{more}", (ex.id,), metrics)


@check("models.listed", probes=("root",), protocols=NATIVE)
def model_listed(inp: CheckInput) -> Verdict:
    """The configured model (or a snapshot of it) is in the list."""
    ex = _list_exchange(inp)
    proto = for_target(inp.target)
    # Chat Completions' list is read leniently (a bare array too); the native lists by their own shape, paged.
    listed = proto.model_list(ex.json) if ex is not None and ex.ok and proto.name not in ("chat", "responses") else None
    ids = (_listed_ids(ex.json) if listed is None else listed.ids) if ex is not None and ex.ok else None
    if ex is None or ids is None:
        detail = f" ({describe(ex)})" if ex is not None else ""
        return Verdict(INCONCLUSIVE, f"no model list could be read{detail}", (ex.id,) if ex else ())
    assert inp.model is not None
    match = next((i for i in ids if same_model(inp.model, i)), None)
    if match:
        return Verdict(PASS, f"{inp.model} is listed" + (f" as {match}" if match != inp.model else ""), (ex.id,))
    sample = ", ".join(ids[:8]) + (" …" if len(ids) > 8 else "")
    if listed is not None and listed.more:
        return Verdict(INCONCLUSIVE, f"{inp.model} is not on the list's first page of {len(ids)} ({sample}), and more pages follow", (ex.id,))
    return Verdict(FAIL, f"{inp.model} is not among the {len(ids)} listed models ({sample or 'empty list'})", (ex.id,))


def reply_models(exchange: Exchange) -> list[str]:
    """The model names a reply claims: the body's model, or every chunk's in a stream."""
    # Azure's content-filter frames carry an empty model; they say nothing about substitution.
    return [n for n in exchange.reply.models if isinstance(n, str) and n]


@check("models.echo", probes=("chat",), protocols=NATIVE)  # also reads stream exchanges when the run has them
def model_echo(inp: CheckInput) -> Verdict:
    """Every model name in successful replies is the requested one or its snapshot."""
    assert inp.model is not None
    seen: dict[str, list[str]] = {}
    for ex in inp.of("chat") + inp.of("stream"):
        if ex.status is not None and 200 <= ex.status < 300:
            for name in reply_models(ex):
                ids = seen.setdefault(name, [])
                if ex.id not in ids:
                    ids.append(ex.id)
    if not seen:
        return Verdict(INCONCLUSIVE, "no successful reply carried a model name")
    wrong = {n: ids for n, ids in seen.items() if not same_model(inp.model, n)}
    evidence = tuple(dict.fromkeys(i for ids in seen.values() for i in ids))
    if wrong:
        names = ", ".join(sorted(wrong))
        return Verdict(FAIL, f"asked for {inp.model}, the reply named {names}", tuple(dict.fromkeys(i for ids in wrong.values() for i in ids)), {"reply_models": sorted(seen)})
    return Verdict(PASS, f"replies name {', '.join(sorted(seen))}", evidence, {"reply_models": sorted(seen)})


TOKENIZER_TOLERANCE = 3  # tokens; the candidates are tens of tokens apart (tests/test_authenticity.py pins it)
_TOKENIZER_MEANING = {
    "cl100k_base": "a gpt-4 / gpt-3.5-class tokenizer",
    "o200k_base": "a gpt-4o / o-series / gpt-5-class tokenizer",
    "bytes/4 estimate": "usage estimated from bytes, not counted by a model",
    "chars/4 estimate": "usage estimated from characters, not counted by a model",
}


def _as_messages(exchange: Exchange) -> list[dict]:
    """A request's user text as one chat message (the framing is the same in both requests, so it cancels)."""
    return [{"role": "user", "content": protocol_of(exchange).user_prompt_of(exchange.request_json)}]


def tokenizer_candidates(base_messages: list[dict], probe_messages: list[dict]) -> dict[str, float]:
    """How much prompt_tokens should grow under each tokenizer (and the crude estimates relays use)."""
    from relaycheck.probes.prompts import TOKENIZER_PROBE_TEXT

    out: dict[str, float] = {}
    for encoding in ("o200k_base", "cl100k_base"):
        out[encoding] = tokens.count_chat_prompt(probe_messages, encoding) - tokens.count_chat_prompt(base_messages, encoding)
    added = "\n" + TOKENIZER_PROBE_TEXT
    out["bytes/4 estimate"] = len(added.encode("utf-8")) / 4
    out["chars/4 estimate"] = len(added) / 4
    return out


@check("models.tokenizer", probes=("tokenizer",), protocols=("openai", "responses"))
def tokenizer(inp: CheckInput) -> Verdict:
    """The growth of prompt_tokens for a probe text must match the claimed model's tokenizer."""
    assert inp.model is not None
    claimed = tokens.encoding_for(inp.model)
    if claimed == tokens.UNKNOWN:
        return Verdict(SKIP, f"{inp.model} is not an OpenAI model: its tokenizer is not available offline to fingerprint")
    pair = {x.label: x for x in inp.of("tokenizer")}
    base, probe = pair.get("base"), pair.get("with probe text")
    if base is None or probe is None:
        return Verdict(INCONCLUSIVE, "the tokenizer probe did not run")
    evidence = (base.id, probe.id)
    counts = [prompt_tokens(x) for x in (base, probe)]
    for x, count in zip((base, probe), counts):
        if count is None:
            return Verdict(INCONCLUSIVE, f"{x.id} has no usable prompt_tokens ({describe(x)})", evidence)
    reported = counts[1] - counts[0]
    candidates = tokenizer_candidates(*(_as_messages(x) for x in (base, probe)))
    expected = candidates[claimed]
    others = ", ".join(f"{name} {value:.0f}" for name, value in candidates.items() if name != claimed)
    metrics = {"reported_delta": reported, **{f"expected_{k.split()[0].replace('/', '_per_')}": round(v, 1) for k, v in candidates.items()}}
    stated = f"prompt_tokens grew by {reported}; {claimed} expects {expected:.0f} ± {TOKENIZER_TOLERANCE} ({others})"
    if abs(reported - expected) <= TOKENIZER_TOLERANCE:
        return Verdict(PASS, stated, evidence, metrics)
    match = next((name for name, value in candidates.items() if abs(reported - value) <= TOKENIZER_TOLERANCE), None)
    if match:
        return Verdict(FAIL, f"counts like {match}: {_TOKENIZER_MEANING[match]} behind a {inp.model} name; {stated}", evidence, metrics)
    return Verdict(
        INCONCLUSIVE,
        f"{stated}: matches no known tokenizer (a non-OpenAI model, or usage the relay computes itself); run again to confirm",
        evidence,
        metrics,
    )
