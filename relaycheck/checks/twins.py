"""Deep check: two model names of different vendors answering byte for byte alike, with the same token counts."""

from __future__ import annotations

from itertools import combinations

from relaycheck.text import tokens
from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, SKIP, CheckInput, Verdict, check
from relaycheck.wire.exchange import Exchange
from relaycheck.probes.twins import ASKS, PROMPTS, label

# Name prefixes of the vendors relays resell; a model matching none claims no vendor and is never failed.
_VENDORS = (
    (("gpt-", "o1", "o3", "o4", "chatgpt", "text-", "davinci", "babbage"), "OpenAI"),
    (("claude",), "Anthropic"), (("gemini", "gemma"), "Google"), (("deepseek",), "DeepSeek"),
    (("qwen", "qwq"), "Alibaba"), (("llama",), "Meta"), (("mistral", "mixtral", "codestral", "ministral"), "Mistral"),
    (("grok",), "xAI"), (("glm", "chatglm"), "Zhipu"), (("kimi", "moonshot"), "Moonshot"), (("doubao",), "ByteDance"),
    (("ernie",), "Baidu"), (("hunyuan",), "Tencent"), (("command",), "Cohere"), (("yi-",), "01.AI"),
)


def vendor(model: str) -> str | None:
    """The vendor a model name claims, or None."""
    name = tokens.base_model_name(model)
    return next((who for prefixes, who in _VENDORS if name.startswith(prefixes)), None)


def _reproduced(xs: dict[str, Exchange], index: int) -> tuple[str, tuple[int, int]] | None:
    """(reply, (prompt_tokens, completion_tokens)) when every ask of a prompt gave the same non-empty reply."""
    asks = [xs.get(label(index, k)) for k in range(ASKS)]
    if not all(x is not None and x.ok for x in asks):
        return None
    texts = {x.reply.text for x in asks if x is not None}
    text = texts.pop() if len(texts) == 1 else None
    if not text:  # differing replies (noise) or an empty one: not evidence of anything
        return None
    counts = (asks[0].reply.prompt_tokens, asks[0].reply.completion_tokens)  # type: ignore[union-attr]
    return text, counts if None not in counts else (-1, -1)  # type: ignore[return-value]


@check("models.twins", probes=("twins",))
def twins(inp: CheckInput) -> Verdict:
    """Fail when models claiming different vendors give byte-identical replies with identical token counts."""
    models = inp.target.models
    if len(models) < 2:
        return Verdict(SKIP, "needs two or more models in the target to compare")
    by_model = {m: {x.label: x for x in inp.of("twins") if x.model == m} for m in models}
    stable = {m: {i: r for i in range(len(PROMPTS)) if (r := _reproduced(by_model[m], i))} for m in models}
    same_vendor, relevant, compared, identical, unpriced = [], [], [], [], []
    for a, b in combinations(models, 2):
        va, vb = vendor(a), vendor(b)
        cross = va is not None and vb is not None and va != vb
        if cross:
            relevant.append((a, b))
        shared = sorted(set(stable[a]) & set(stable[b]))
        if not shared:
            continue
        if any(stable[a][i][0] != stable[b][i][0] for i in shared):
            compared.append((a, b))  # different replies: different models, whatever the counts
        elif any(stable[m][i][1] == (-1, -1) for m in (a, b) for i in shared):
            unpriced.append((a, b))  # the same replies, but no usage: the tokenizer half of the evidence is missing
        else:
            compared.append((a, b))
            if all(stable[a][i][1] == stable[b][i][1] for i in shared):
                (identical if cross else same_vendor).append((a, b, shared))
    evidence = tuple(x.id for m in models for x in by_model[m].values())[:12]
    aliases = "; ".join(f"{a} and {b} answer identically (same vendor or none claimed: aliases, reported as information)"
                        for a, b, _ in same_vendor)
    info = f"; {aliases}" if aliases else ""
    if identical:
        a, b, shared = identical[0]
        text, (prompt_tokens, completion_tokens) = stable[a][shared[0]]
        ids = tuple(x.id for m in (a, b) for x in by_model[m].values())
        return Verdict(FAIL, f"{a} ({vendor(a)}) and {b} ({vendor(b)}) gave byte-identical replies to {len(shared)} open-ended "
                       f"prompt(s), each reproduced, with identical token counts ({prompt_tokens} prompt, {completion_tokens} completion): "
                       f"one backend behind two vendor names (e.g. “{text[:80]}”){info}", ids,
                       {"pairs": len(identical), "prompts": len(shared)})
    if not relevant:
        return Verdict(SKIP, f"no two of {', '.join(models)} claim different vendors{info}", evidence)
    missing = [(a, b) for a, b in relevant if (a, b) not in compared]
    if any(pair in unpriced for pair in missing):
        a, b = next(pair for pair in missing if pair in unpriced)
        return Verdict(INCONCLUSIVE, f"{a} and {b} gave identical replies but reported no usage: token counts cannot be compared{info}", evidence)
    if missing:
        noisy = sorted({m for pair in missing for m in pair if not stable[m]})
        why = f"{', '.join(noisy)} did not give the same reply twice at temperature 0" if noisy else "no prompt reproduced for both"
        return Verdict(INCONCLUSIVE, f"{len(missing)} of {len(relevant)} different-vendor pairs could not be compared: {why}{info}", evidence)
    return Verdict(PASS, f"{len(relevant)} pair(s) of models claiming different vendors answer differently{info}", evidence,
                   {"pairs": len(relevant)})
