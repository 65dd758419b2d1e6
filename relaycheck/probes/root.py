"""Probe `root`: GET {base}/models, and the usual base-URL variants when that is not an API root."""

from __future__ import annotations

from dataclasses import replace

from relaycheck.protocol import NATIVE
from relaycheck.protocol import is_api_root
from relaycheck.probes import ProbeContext, ProbeCost, send
from relaycheck.probes.registry import Job, Phase, ProbeSpec, Scope, Step
from relaycheck.config.targets import TargetKeys

NAME = "root"


def cost(model: str) -> ProbeCost:
    """GETs only: no tokens; the configured base plus at most three variants."""
    return ProbeCost(requests=4)


def variants(base_url: str, protocol: str = "chat") -> list[tuple[str, str]]:
    """Candidate base URLs when the configured one is not the API root, with what was changed."""
    out: list[tuple[str, str]] = []
    stripped = base_url.rstrip("/")
    if protocol == "anthropic":
        # The Anthropic SDK's base has no /v1 (its paths carry it): the usual mistake is the OpenAI habit of adding it.
        if stripped.endswith("/v1"):
            out.append(("drop /v1 (the Anthropic SDK adds it)", stripped[: -len("/v1")]))
        if base_url.endswith("/") and stripped != base_url:
            out.append(("drop trailing slash", stripped))
        if not stripped.endswith(("/anthropic", "/v1")):
            out.append(("append /anthropic", stripped + "/anthropic"))
        return [(label, url) for label, url in dict.fromkeys(out) if url != base_url]
    if protocol == "gemini":
        # The google-genai SDK's base has no /v1beta (its paths carry it): adding it, or OpenAI's /v1, is the usual mistake.
        for suffix in ("/v1beta", "/v1"):
            if stripped.endswith(suffix):
                out.append((f"drop {suffix} (the Gemini SDK adds /v1beta)", stripped[: -len(suffix)]))
        if base_url.endswith("/") and stripped != base_url:
            out.append(("drop trailing slash", stripped))
        if not stripped.endswith(("/google", "/gemini", "/v1beta", "/v1")):
            out.append(("append /google", stripped + "/google"))
        return [(label, url) for label, url in dict.fromkeys(out) if url != base_url]
    if "/v1/v1" in stripped:
        out.append(("drop doubled /v1", stripped.replace("/v1/v1", "/v1")))
    if base_url.endswith("/") and stripped != base_url:
        out.append(("drop trailing slash", stripped))
    if not stripped.endswith("/v1"):
        out.append(("append /v1", stripped + "/v1"))
    seen, unique = {base_url}, []
    for label, url in out:
        if url not in seen:
            seen.add(url)
            unique.append((label, url))
    return unique


async def run(ctx: ProbeContext) -> str | None:
    """Return the base URL that answers as an API root (the configured one first), or None."""
    path = ctx.protocol.models_path
    first = await send(ctx, "GET", ctx.url(path), probe=NAME, label="configured base", auth=ctx.auth)
    if is_api_root(first):
        return ctx.base_url
    for label, candidate in variants(ctx.base_url, ctx.protocol.name):
        exchange = await send(ctx, "GET", candidate.rstrip("/") + "/" + path, probe=NAME, label=f"variant: {label}", auth=ctx.auth)
        if is_api_root(exchange):
            return candidate
    return None


async def _find_base(ctx: ProbeContext, job: Job, keys: TargetKeys) -> ProbeContext | None:
    """Later stages send to the base URL that answered (the configured one when none did)."""
    found = await run(ctx)
    return replace(ctx, base_url=found) if found else None


PROBE = ProbeSpec(NAME, order=1, protocols=NATIVE, scope=Scope.TARGET, billed=False, cost=lambda target, model, first: cost(""), steps=(
    Step(Phase.FIND_BASE, _find_base, stage=NAME, because="first: it finds the working base URL every later request uses"),
))
