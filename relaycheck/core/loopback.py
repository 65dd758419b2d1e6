"""Network helpers: loopback detection and a transport that maps names onto loopback addresses."""

from __future__ import annotations

import ipaddress

import httpx


def is_loopback_host(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1 literals."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LoopbackMapTransport(httpx.AsyncBaseTransport):
    """Connect to a loopback address for the named hosts while keeping the URL and Host header as given.

    The demo uses it to be reached under a non-loopback name (`relay-demo.invalid`), as a remote relay
    would be, without any traffic leaving the machine.
    """

    def __init__(self, mapping: dict[str, str], inner: httpx.AsyncBaseTransport | None = None) -> None:
        for address in mapping.values():
            if not is_loopback_host(address):
                raise ValueError(f"host mapping target {address!r} is not a loopback address")
        self._mapping = {k.lower(): v for k, v in mapping.items()}
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        address = self._mapping.get(request.url.host.lower())
        if address is not None:
            # The Host header was set from the original URL when the request was built; only the socket moves.
            request.url = request.url.copy_with(host=address)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
