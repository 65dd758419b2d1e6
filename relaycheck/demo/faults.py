"""Demo-relay fault modes: one misbehaviour each, with the verdicts it must change (all others stay pass)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fault:
    """One misbehaviour of the demo relay and the verdicts relaycheck must reach on it."""

    name: str
    description: str
    expect: dict[str, str] = field(default_factory=dict)
    # How `probe --demo` addresses the relay: its /v1 root, its bare homepage, or a non-loopback name over http.
    addressing: str = "v1"


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "plain_http",
            "reached under a non-loopback name over plain http (as a remote relay without TLS would be)",
            {"base.https": "warn"},
            addressing="plain_http",
        ),
        Fault(
            "html_root",
            "the advertised base URL is the homepage; only {base}/v1 is the API (a web UI answers elsewhere)",
            {"base.api_root": "fail"},
            addressing="origin",
        ),
        Fault(
            "redirect",
            "GET /v1/models answers 307 to another path instead of the list",
            {"base.redirects": "fail", "base.api_root": "fail", "models.list": "fail", "models.listed": "inconclusive"},
        ),
        Fault(
            "body_key",
            "refuses Authorization: Bearer; wants the key as api_key in the JSON body (and echoes the bearer key)",
            {"base.auth_bearer": "fail"},
        ),
        Fault("models_shape", "GET /v1/models returns a bare JSON array instead of a list object", {"models.list": "fail"}),
        Fault("unlisted_model", "the model list omits gpt-4o-mini although chat serves it", {"models.listed": "fail"}),
        Fault("wrong_model", "replies name gpt-3.5-turbo whatever was asked for", {"models.echo": "fail"}),
        Fault("missing_fields", "non-stream replies lack id and created", {"chat.basic": "fail"}),
        Fault("extra_fields", "non-stream replies carry extra code/msg fields (tolerated by the SDK)", {"chat.basic": "warn"}),
        Fault("stale_reply", "replays an old cached answer to nonce prompts", {"chat.follows": "fail"}),
        Fault("usage_total", "non-stream usage.total_tokens is not prompt + completion", {"usage.present": "fail"}),
        Fault("data_ping", "streams interleave `data: ping` frames that the SDK cannot parse", {"stream.sse": "fail"}),
        Fault("no_done", "streams end without data: [DONE]", {"stream.complete": "fail"}),
        Fault("buffered_stream", "fake streaming: the whole reply is buffered and sent at the end", {"stream.incremental": "fail"}),
        Fault("no_stream_usage", "ignores stream_options.include_usage", {"stream.usage": "fail"}),
        Fault(
            "sse_quirks",
            "legal SSE quirks only: CRLF, keep-alive comments, data: without a space, empty-choices frames",
            {},
        ),
    )
}


def get(name: str | None) -> Fault | None:
    """Look up a fault by name (None for a well-behaved relay)."""
    if name is None:
        return None
    from relaycheck.errors import UsageError

    if name not in FAULTS:
        raise UsageError(f"unknown fault {name!r}; valid faults: {', '.join(FAULTS)}")
    return FAULTS[name]
