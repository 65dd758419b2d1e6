"""Checks on the base URL: https, API root, redirects, bearer authentication."""

from __future__ import annotations

import httpx

from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, SKIP, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import completion_beside, describe
from relaycheck.core.loopback import is_loopback_host
from relaycheck.protocol import for_target, is_api_root


@check("base.https", protocols=NATIVE)
def https(inp: CheckInput) -> Verdict:
    """https passes; plain http warns unless the host is loopback."""
    url = httpx.URL(inp.target.base_url)
    if url.scheme == "https":
        return Verdict(PASS, "the base URL uses https")
    if is_loopback_host(url.host):
        return Verdict(PASS, "plain http to a loopback address: the key does not leave this machine")
    return Verdict(WARN, f"plain http to {url.host}: the key and every prompt travel in clear text")


def _root_of(exchange_url: str, models_path: str = "models") -> str:
    return exchange_url.split("?", 1)[0].removesuffix("/" + models_path)


_API = {"chat": "an OpenAI API root", "anthropic": "an Anthropic API root", "responses": "an OpenAI API root", "gemini": "a Gemini API root"}


@check("base.api_root", probes=("root", "chat"), protocols=NATIVE)
def api_root(inp: CheckInput) -> Verdict:
    """{base}/models (Anthropic: {base}/v1/models) or the completion path must answer as an API; otherwise name the
    variant that does."""
    proto = for_target(inp.target)
    models, path = proto.models_path, proto.path
    root = inp.of("root")
    if not root:
        return Verdict(INCONCLUSIVE, "the root probe did not run")
    first = root[0]
    base = _root_of(first.url, models)
    if is_api_root(first):
        return Verdict(PASS, f"{base}/{models} answers as {_API.get(proto.name, 'an API root')} (HTTP {first.status})", (first.id,))
    if first.error_kind == "unreachable":
        # Refused, no such host, TLS failure: nothing answers there, which is the one clear finding of such a run.
        return Verdict(FAIL, f"nothing answers at {base}: {first.error}", (first.id,))
    if first.status is None and first.error_kind in ("connect", "read", "deadline"):
        return Verdict(INCONCLUSIVE, f"the relay could not be reached: {describe(first)}", (first.id,))
    working = next((x for x in root[1:] if is_api_root(x)), None)
    # The base is judged by every API path tried there: many relays serve chat but no model list.
    chat = completion_beside(first, inp.of("chat"), models) if working is None else None
    if chat is not None:
        return Verdict(
            PASS,
            f"{base}/{path} answers as the API (HTTP {chat.status}); its /{models} does not ({describe(first)}), see models.list",
            (first.id, chat.id),
        )
    if working:
        return Verdict(
            FAIL,
            f"{base}/{models} is not the API ({describe(first)}); the API answers at {_root_of(working.url, models)}: use that as the base URL",
            (first.id, working.id),
            {"working_base_url": _root_of(working.url, models)},
        )
    tried = ", ".join(x.label.removeprefix("variant: ") for x in root[1:]) or "none applicable"
    return Verdict(
        FAIL,
        f"{base}/{models} is not the API ({describe(first)}) and no usual variant answered as one (tried: {tried})",
        tuple(x.id for x in root),
    )


@check("base.redirects", probes=("root",), protocols=NATIVE)
def redirects(inp: CheckInput) -> Verdict:
    """Any redirect on an API path fails; relaycheck never follows one, so the key stays put."""
    answered = [x for x in inp.exchanges if x.status is not None]
    if not answered:  # nothing answered (unreachable, not sent): a pass would be a guess
        return Verdict(INCONCLUSIVE, "no response was received, so no redirect could be seen")
    redirected = [x for x in answered if 300 <= x.status < 400]  # type: ignore[operator]
    if not redirected:
        return Verdict(PASS, f"none of {len(answered)} answered requests was redirected")
    first = redirected[0]
    return Verdict(
        FAIL,
        f"{len(redirected)} request(s) redirected, e.g. {first.method} {first.url} → {first.status} "
        f"{first.header('location') or '(no Location)'}; not followed, so the key was not sent there",
        tuple(x.id for x in redirected),
        {"redirects": len(redirected)},
    )


def _auth_messages(attempts: list) -> Verdict:
    """Anthropic: x-api-key (the SDK's api_key) must work; whether Authorization: Bearer (auth_token) does too is reported."""
    xkey = next((x for x in attempts if x.label == "auth: header x-api-key"), None)
    bearer = next((x for x in attempts if x.label == "auth: bearer"), None)
    if xkey is None:
        return Verdict(INCONCLUSIVE, "no request was sent with the key in x-api-key")
    ids = tuple(x.id for x in (xkey, bearer) if x is not None)
    if xkey.ok:
        also = "" if bearer is None else (" and Authorization: Bearer too (ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN both work)" if bearer.ok else
                                          f"; Authorization: Bearer got {describe(bearer)}, as Anthropic's own API refuses an API key sent "
                                          "that way: clients set up with ANTHROPIC_AUTH_TOKEN need ANTHROPIC_API_KEY here")
        return Verdict(PASS, f"x-api-key accepted (HTTP {xkey.status}){also}", ids, {"bearer_accepted": bool(bearer and bearer.ok)})
    if xkey.status in (401, 403) and bearer is not None and bearer.ok:
        return Verdict(FAIL, f"x-api-key refused ({describe(xkey)}) while Authorization: Bearer works: the Anthropic SDK's api_key "
                             "(ANTHROPIC_API_KEY) cannot use this relay, only auth_token (ANTHROPIC_AUTH_TOKEN)", ids,
                       {"accepted_placement": "bearer"})
    return Verdict(INCONCLUSIVE, f"x-api-key got {describe(xkey)}" + (f", Bearer {describe(bearer)}" if bearer else "") +
                   ": the key may be invalid, expired or out of credit", ids)


def _auth_gemini(attempts: list) -> Verdict:
    """Gemini: x-goog-api-key (the google-genai SDK's api_key) must work; refused while ?key= or Bearer works fails."""
    goog = next((x for x in attempts if x.label == "auth: header x-goog-api-key"), None)
    if goog is None:
        return Verdict(INCONCLUSIVE, "no request was sent with the key in x-goog-api-key")
    if goog.ok:
        return Verdict(PASS, f"x-goog-api-key accepted (HTTP {goog.status})", (goog.id,))
    accepted = next((x for x in attempts if x is not goog and x.ok), None)  # Google refuses a bad key with a 400: only a success counts
    if goog.status in (401, 403) and accepted is not None:
        placement = accepted.label.removeprefix("auth: ")
        return Verdict(FAIL, f"x-goog-api-key refused ({describe(goog)}) but the key was accepted as {placement}: the google-genai SDK "
                             "sends x-goog-api-key, so it cannot use this relay as documented", (goog.id, accepted.id),
                       {"accepted_placement": placement})
    return Verdict(INCONCLUSIVE, f"x-goog-api-key got {describe(goog)}: the key may be invalid, expired or out of credit",
                   tuple(x.id for x in attempts))


@check("base.auth_bearer", probes=("chat",), protocols=NATIVE)
def auth_bearer(inp: CheckInput) -> Verdict:
    """Bearer accepted passes; refused while another placement works fails; refused everywhere is inconclusive (over
    Anthropic Messages: x-api-key, with Bearer reported)."""
    attempts = [x for x in inp.of("chat") if x.label.startswith("auth: ")]
    if inp.target.auth not in (None, "bearer"):
        return Verdict(SKIP, f"the target's auth: {inp.target.auth} places the key as the gateway documents it: Bearer is not asked")
    if for_target(inp.target).name == "anthropic":
        return _auth_messages(attempts)
    if for_target(inp.target).name == "gemini":
        return _auth_gemini(attempts)
    bearer = next((x for x in attempts if x.label == "auth: bearer"), None)
    if bearer is None:
        return Verdict(INCONCLUSIVE, "no chat request was sent with a bearer token")
    if bearer.ok:
        return Verdict(PASS, f"Authorization: Bearer accepted (HTTP {bearer.status})", (bearer.id,))
    if bearer.status not in (401, 403):
        return Verdict(INCONCLUSIVE, f"the bearer request got {describe(bearer)}: authentication cannot be judged", (bearer.id,))
    others = [x for x in attempts if x is not bearer]
    accepted = next((x for x in others if x.status is not None and x.status not in (401, 403)), None)
    if accepted:
        placement = accepted.label.removeprefix("auth: ")
        return Verdict(
            FAIL,
            f"Bearer refused ({describe(bearer)}) but the key was accepted as {placement}: "
            "SDKs cannot use this relay and the key ends up in logs",
            (bearer.id, accepted.id),
            {"accepted_placement": placement},
        )
    return Verdict(
        INCONCLUSIVE,
        f"the key was refused however it was sent ({describe(bearer)}): it may be invalid, expired or out of credit",
        tuple(x.id for x in attempts),
    )
