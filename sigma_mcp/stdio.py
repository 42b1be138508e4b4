"""Serving MCP over this process's stdin and stdout, without a thread hop per message.

The SDK's stdio transport reads and writes through worker threads (anyio's file wrappers): three thread
hops for every call, about a third of a trivial tool's round trip (docs/benchmarks.md). Here the event loop
watches the same pipes itself. Everything else is the SDK's: `stdio_server` frames and parses the
messages, and the server runs exactly as `MCPServer.run_stdio_async` runs it.

As the SDK does, fd 0 and fd 1 are pointed elsewhere while serving (the null device, and stderr), so that
stray reads see end-of-file and stray writes, a `print()` anywhere, can never reach the protocol stream.

Where the event loop cannot watch the descriptors (Windows, or stdin and stdout that are not pipes or
sockets), the SDK's own transport serves instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

logger = logging.getLogger(__name__)

LINE_LIMIT = 256 * 1024 * 1024
"""The longest message line read (asyncio needs a bound; the SDK's readline has none)."""


class _Lines:
    """stdin as the SDK's transport reads it: an async iterator of text lines."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", "replace")


class _Writer:
    """stdout as the SDK's transport writes it: `write` then `flush`."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()


async def serve_stdio(server: MCPServer[Any]) -> None:
    """Serve `server` over stdin and stdout until stdin closes."""
    if not (_watchable(0) and _watchable(1)):
        logger.debug("stdin or stdout is not a pipe or socket: serving with the SDK's stdio transport")
        await server.run_stdio_async()
        return
    restore = _divert()
    try:
        reader, writer = await _connect(restore.read_fd, restore.write_fd)
    except (OSError, ValueError) as exc:
        restore()
        logger.debug("the event loop cannot watch stdin and stdout (%s): serving with the SDK's stdio transport", exc)
        await server.run_stdio_async()
        return
    try:
        async with stdio_server(stdin=_Lines(reader), stdout=_Writer(writer)) as (read, write):  # type: ignore[arg-type]
            lowlevel = server._lowlevel_server  # what MCPServer.run_stdio_async runs, on other streams
            await lowlevel.run(read, write, lowlevel.create_initialization_options())
    finally:
        writer.close()
        restore()


def _watchable(fd: int) -> bool:
    if sys.platform == "win32":
        return False
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class _Diversion:
    """Private copies of the wire's descriptors, and how to put fd 0 and fd 1 back."""

    def __init__(self, read_fd: int, write_fd: int, restore: Callable[[], None]) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._restore = restore

    def __call__(self) -> None:
        self._restore()


def _divert() -> _Diversion:
    read_fd, write_fd = os.dup(0), os.dup(1)  # the wire, for the event loop
    saved_in, saved_out = os.dup(0), os.dup(1)  # to put back on exit
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)

    def restore() -> None:
        os.dup2(saved_in, 0)
        os.dup2(saved_out, 1)
        os.close(saved_in)
        os.close(saved_out)

    return _Diversion(read_fd, write_fd, restore)


async def _connect(read_fd: int, write_fd: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0))
    protocol = asyncio.StreamReaderProtocol(asyncio.StreamReader())
    transport, _ = await loop.connect_write_pipe(lambda: protocol, os.fdopen(write_fd, "wb", buffering=0))
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)
