"""A raw asyncio HTTP server for transport tests: each handler writes whatever bytes it likes, when it likes."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def serve(handler: Handler):
    """Serve `handler` on a free 127.0.0.1 port; yields the base URL."""

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        # Handlers may be sleeping mid-response; cancel rather than wait for them.
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task() and "wrapped" in repr(task.get_coro()):
                task.cancel()


def head(status: str = "200 OK", **headers: str) -> bytes:
    """An HTTP/1.1 status line and headers."""
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)
