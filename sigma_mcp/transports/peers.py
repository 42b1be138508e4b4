"""Slow and idle peers: bounds uvicorn does not set by itself.

uvicorn bounds a request's header size (`h11_max_incomplete_event_size`) and the idle time between requests
(`timeout_keep_alive`), but not the time a request's headers take to arrive: a peer that sends one header byte
every few seconds (slow-loris) holds its connection, and its file descriptor, for ever. Enough of them exhaust
the process's descriptors, and then nobody else can connect. `guarded_protocol` is uvicorn's own h11 protocol
with two more bounds:

- **Header time.** A connection's request headers must arrive within `HEADER_TIMEOUT` seconds of its opening (or
  of its previous answer, on a kept-alive connection); otherwise it is closed.
- **Connections.** At most `max_connections` are open at once, never more than the descriptor limit leaves
  room for (`connection_limit`). When a new connection would exceed it, the connection that has waited longest
  for its request headers is closed to make room — a peer that is actually sending a request gets in at once,
  however many slow ones are waiting — and the new one is refused only when every open connection has a
  request in progress.

`AcceptErrors` keeps the event loop's "out of system resource" complaints, one per failed accept, to one log
line per interval.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time

from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("sigma_mcp.http")

HEADER_TIMEOUT = 10.0
"""Seconds a request's headers may take to arrive, however they trickle in."""
KEEP_ALIVE = 5
"""Seconds an idle kept-alive connection stays open (uvicorn's `timeout_keep_alive`)."""
MAX_HEADER_BYTES = 16 * 1024
"""A request's headers, in bytes (uvicorn's `h11_max_incomplete_event_size`)."""
MAX_CONNECTIONS = 1000
DESCRIPTOR_RESERVE = 64
"""Descriptors kept for everything but client connections: upstream connections, logs, the interpreter's own."""
LOG_INTERVAL = 10.0
"""Seconds between two log lines about the same kind of pressure."""


def connection_limit(wanted: int) -> int:
    """`wanted`, lowered to what the process's descriptor limit leaves room for."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - DESCRIPTOR_RESERVE))


class Every:
    """Counts what happens, and says when `LOG_INTERVAL` has passed since it last said so."""

    def __init__(self) -> None:
        self._since = 0
        self._last = -LOG_INTERVAL

    def due(self) -> int | None:
        """Count one more; the count since the last time this answered, when a log line is due now."""
        self._since += 1
        now = time.monotonic()
        if now - self._last < LOG_INTERVAL:
            return None
        count, self._since, self._last = self._since, 0, now
        return count


class Pressure(Every):
    """One log line per `LOG_INTERVAL` about something that may happen thousands of times a second."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self._what = what

    def happened(self) -> None:
        count = self.due()
        if count is not None:
            logger.warning("%s (%d time%s in the last %g s)", self._what, count, "s" * (count > 1), LOG_INTERVAL)


def guarded_protocol(max_connections: int, header_timeout: float = HEADER_TIMEOUT) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the header-time and connection bounds above (for `uvicorn.Config(http=...)`)."""
    evicted = Pressure(
        f"At the limit of {max_connections} connections: closed the ones waiting longest for their request headers "
        "(slow or idle peers; see docs/SECURITY.md)"
    )
    refused = Pressure(
        f"At the limit of {max_connections} connections, every one with a request in progress: refused new ones"
    )
    slow = Pressure(f"Closed connections whose request headers took longer than {header_timeout:g} s")
    # Counted here, not from uvicorn's own set: a closed transport stays in that until the loop's next pass, and
    # an accept burst makes dozens of connections in one pass.
    live: set[Guarded] = set()
    waiting: dict[Guarded, None] = {}  # the connections waiting for request headers, longest-waiting first

    class Guarded(H11Protocol):
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            live.add(self)
            if len(live) > max_connections and not self._make_room():
                refused.happened()
                self._close()
                return
            self._wait_for_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._forget()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._wait_for_headers()

        def _wait_for_headers(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
            waiting.pop(self, None)
            waiting[self] = None
            self._timer = self.loop.call_later(header_timeout, self._headers_due)

        def _in_request(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _headers_due(self) -> None:
            self._timer = None
            if self._in_request():
                waiting.pop(self, None)  # on_response_complete starts the next wait
                return
            slow.happened()
            self._close()

        def _forget(self) -> None:
            live.discard(self)
            waiting.pop(self, None)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _close(self) -> None:
            self._forget()
            self.transport.abort()

        def _make_room(self) -> bool:
            """Close the connection waiting longest for its headers, if there is one (not this one)."""
            oldest, started = None, []
            for other in waiting:
                if other._in_request():
                    started.append(other)  # back in `waiting` when its answer is complete
                elif other is not self:
                    oldest = other
                    break
            for other in started:
                del waiting[other]
            if oldest is None:
                return False
            evicted.happened()
            oldest._close()
            return True

    return Guarded


class AcceptErrors(logging.Filter):
    """For the `asyncio` logger: its "socket.accept() out of system resource" records (one per failed accept,
    with a traceback each) become one line per `LOG_INTERVAL`, without the traceback."""

    MESSAGE = "socket.accept() out of system resource"

    def __init__(self) -> None:
        super().__init__()
        self._every = Every()

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.MESSAGE):
            return True
        count = self._every.due()
        if count is None:
            return False
        record.msg = (
            f"{self.MESSAGE}: out of file descriptors, connections are waiting in the listen queue "
            f"({count} time{'s' * (count > 1)} in the last {LOG_INTERVAL:g} s; raise the descriptor "
            "limit or lower SIGMA_MCP_MAX_CONNECTIONS, see docs/SECURITY.md)"
        )
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True
