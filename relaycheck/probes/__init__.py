"""Probes: the requests relaycheck sends. Each declares its maximum requests and tokens for the plan."""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck.targets import Target
from relaycheck.transport import Auth, RecordingClient


@dataclass(frozen=True)
class ProbeContext:
    """What a probe needs: the recording client, the target, and the base URL and auth in effect."""

    client: RecordingClient
    target: Target
    base_url: str
    auth: Auth = Auth.BEARER

    def url(self, path: str) -> str:
        """Join the effective base URL and an API path."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class ProbeCost:
    """The planned ceiling of one probe for one model: requests and tokens (prompt + max completion)."""

    requests: int
    max_tokens: int
