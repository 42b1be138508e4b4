"""Slow and idle peers: bounds uvicorn does not set by itself.

uvicorn bounds a request's header size (`h11_max_incomplete_event_size`) and the idle time between requests
(`timeout_keep_alive`), but not the time a request's headers take to arrive: a peer that sends one header byte
every few seconds (slow-loris) holds its connection, and its file descriptor, for ever. Enough of them exhaust
the process's descriptors, and then nobody else can connect. `guarded_protocol` is uvicorn's own h11 protocol
with more bounds:

- **Header time.** A connection's request headers must arrive within `HEADER_TIMEOUT` seconds of its opening (or
  of its previous answer, on a kept-alive connection); otherwise it is closed, within a quarter of that (at most
  a second) more: one timer looks at every connection, rather than one timer per request.
- **Reading answers.** A peer must read some of its answer every `HEADER_TIMEOUT` seconds (nginx's
  `send_timeout`): one that reads, however slowly, gets all of it; one that has stopped is closed, whether the
  answer is complete, closing the connection, or held up in a pipelined request. What counts is bytes written
  out to the peer (what uvicorn handed the transport, less what still waits in its buffer), not how many wait.
  A request still being answered with nothing left to send (a long call) is never cut off here.
- **Connections.** At most `max_connections` are open at once, never more than the descriptor limit leaves
  room for (`connection_limit`). When a new connection would exceed it, the connection that has waited longest
  for its request headers is closed to make room — a peer that is actually sending a request gets in at once,
  however many slow ones are waiting — or else the one whose peer has been reading an answer longest; the new
  one is refused only when every open connection has a request in progress.

`AcceptErrors` keeps the event loop's "out of system resource" complaints, one per failed accept, to one log
line per interval.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time

from uvicorn.protocols.http.h11_impl import H11Protocol

from sigma_mcp.transports.waits import Waits

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
    stalled = Pressure(f"Closed connections whose peer read none of its answer for {header_timeout:g} s")
    # Counted here, not from uvicorn's own set: a closed transport stays in that until the loop's next pass, and
    # an accept burst makes dozens of connections in one pass.
    live: set[Guarded] = set()

    def waited(connection: Guarded) -> None:
        """A connection has waited `header_timeout`: for its request headers, for its request to be answered,
        or for its peer to read the answer."""
        verdict = connection._progress()
        if verdict:
            connection._watch()
            return
        (slow if verdict is None else stalled).happened()
        connection._close()

    watched: Waits[Guarded] = Waits(header_timeout, waited)
    """Every open connection, in its current wait."""

    class Guarded(H11Protocol):
        _written = 0
        """Bytes of answers handed to the transport so far."""
        _sent = 0
        """Of those, the bytes written out to the peer when its current wait began (`_progress`)."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            write = transport.write

            def counted(data: bytes | bytearray | memoryview) -> None:
                self._written += len(data)
                write(data)

            transport.write = counted  # type: ignore[method-assign]  # uvicorn writes answers with this alone
            live.add(self)
            if len(live) > max_connections and not self._make_room():
                refused.happened()
                self._close()
                return
            self._watch()

        def connection_lost(self, exc: Exception | None) -> None:
            self._forget()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._watch()  # closing too: a peer must still read what is left of the answer

        def _watch(self) -> None:
            """Start the current wait now."""
            self._sent = self._written - self.transport.get_write_buffer_size()
            watched.start(self)

        def _progress(self) -> bool | None:
            """After a header timeout's wait: True when the connection is still busy and moving (its request is
            being answered, or its peer has read some of the answer since), False when its peer has stopped
            reading, None when it is idle or its headers are late."""
            unsent = self.transport.get_write_buffer_size()
            if unsent:
                return self._written - unsent > self._sent
            return True if self._in_request() else None

        def _in_request(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _forget(self) -> None:
            live.discard(self)
            watched.stop(self)

        def _close(self) -> None:
            self._forget()
            self.transport.abort()

        def _make_room(self) -> bool:
            """Close the connection waiting longest for its request headers, if there is one (not this one);
            else the one whose peer has been reading its answer longest. A request being answered is never
            closed."""
            oldest, reading, busy = None, None, []
            for other in watched:
                if other is self:
                    continue
                if other.transport.get_write_buffer_size():
                    reading = reading or other
                elif other._in_request():
                    busy.append(other)
                else:
                    oldest = other
                    break
            for other in busy:
                other._watch()  # to the back, not looked at again here; a request being answered is renewed anyway
            victim = oldest or reading
            if victim is None:
                return False
            evicted.happened()
            victim._close()
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
