"""Where a request carries the key: the placements relays accept, and putting the key there."""

from __future__ import annotations

import enum
from typing import Any


class Auth(str, enum.Enum):
    """Where the key goes in a request."""

    BEARER = "bearer"
    NONE = "none"
    QUERY = "query parameter key"  # not "?key=": a redactor rightly masks whatever follows that in any text
    X_API_KEY = "header x-api-key"
    GOOG_API_KEY = "header x-goog-api-key"  # Google's (the google-genai SDK's api_key)
    API_KEY = "header api-key"
    BODY = "body api_key"


ALTERNATIVE_AUTH = (Auth.BODY, Auth.QUERY, Auth.X_API_KEY, Auth.API_KEY)


def place_key(auth: Auth, key: str, headers: dict[str, str], params: dict[str, str], body: dict[str, Any] | None) -> None:
    """Put `key` where `auth` says: a header, the query string or the JSON body (nothing for Auth.NONE)."""
    if auth is Auth.BEARER:
        headers["authorization"] = f"Bearer {key}"
    elif auth is Auth.QUERY:
        params["key"] = key
    elif auth is Auth.X_API_KEY:
        headers["x-api-key"] = key
    elif auth is Auth.GOOG_API_KEY:
        headers["x-goog-api-key"] = key
    elif auth is Auth.API_KEY:
        headers["api-key"] = key
    elif auth is Auth.BODY and body is not None:
        body["api_key"] = key
