"""The ASGI layer in front of the MCP app: what a request must be to reach it, and what it gets when it cannot.

- Routes: `POST /mcp` (also `/mcp/`, answered the same: never a redirect, whose `Location` would be built from
  the request's `Host` header), `GET /healthz`; anything else is a 404. OAuth discovery and sign-in paths
  answer 404 before the token is looked at (`is_oauth_path`), and `GET /mcp` a 405: stateless, no event stream.
- The bearer token, compared in constant time, on everything but `/healthz` and those 404s.
- The request body is read here, bounded in size (`MAX_BODY`, 413) and in time (`BODY_TIMEOUT`, 408: a peer
  trickling its body holds nothing for long), then handed to the app.
- A client that disconnects mid-call cancels it: its upstream request is abandoned, its connection freed.
- When the server shuts down (`drain`), a call still running after `DRAIN_GRACE` seconds is stopped and
  answered with a JSON-RPC error, rather than the HTTP server's plain-text 500.
- Every credential a request carries — its SigmaMind key, its bearer token, any key-like header — is masked in
  every log record written while it is handled (`keys.request_key`), and the access line names only the
  routes above: a path or query string is never logged as sent.
- Only `http` (and `lifespan`) connections are served; a websocket is closed unanswered.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import sys
import time
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sigma_mcp.safety.keys import REQUEST_KEY_HEADER, request_key
from sigma_mcp.transports.waits import Waits

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("sigma_mcp.http")

AUTH_TOKEN_VAR = "SIGMA_MCP_AUTH_TOKEN"  # noqa: S105 - the variable's name
ENDPOINT = "/mcp"
HEALTH = "/healthz"
MAX_BODY = 1_000_000
"""Bytes of a request body: an MCP request is a few hundred; more is refused unread (413)."""
BODY_TIMEOUT = 10.0
"""Seconds a request body may take to arrive once its headers have (408)."""
DRAIN_GRACE = 4.0
"""Seconds a call may still run once shutdown has begun (uvicorn's own grace is a second longer)."""
SHUTTING_DOWN = -32000
"""The JSON-RPC error code of a call stopped by shutdown (the range the spec leaves to servers)."""
OAUTH_METADATA = ("oauth-protected-resource", "oauth-authorization-server", "openid-configuration")
"""The well-known documents (RFC 9728, RFC 8414, OpenID Connect Discovery) an MCP client looks for after a 401."""
OAUTH_ENDPOINTS = ("/register", "/authorize", "/token")
"""Where a client that found no metadata tries Dynamic Client Registration and sign-in (MCP 2025-03-26)."""
NO_OAUTH = {
    "error": "not_found",
    "error_description": f"sigma-mcp does not use OAuth: send Authorization: Bearer <{AUTH_TOKEN_VAR}>",
}
_CREDENTIAL_HEADER = re.compile(rb"key|token|secret|auth|cookie|passw|session|credential")
_PIECES = re.compile(r"[\s,;=]+")
_KEY_HEADER = REQUEST_KEY_HEADER.lower().encode()


class Gate:
    """ASGI middleware in front of the MCP app (see the module's docstring)."""

    def __init__(
        self, app: ASGIApp, token: str | None, *, drain_grace: float = DRAIN_GRACE, body_timeout: float = BODY_TIMEOUT
    ) -> None:
        self._app = app
        self._token = None if token is None else token.encode()
        self._drain_grace = drain_grace
        self._body_timeout = body_timeout
        self._calls: set[_Stop] = set()
        """The calls being handled, for `drain` to stop."""
        self._reading: Waits[_Stop] = Waits(body_timeout, lambda stop: stop.now(TOO_SLOW))
        """The requests whose body is being read."""
        self.draining = False

    def drain(self) -> None:
        """Shutdown has begun: the calls still running `drain_grace` seconds from now are stopped and answered
        with a JSON-RPC error. Call it from the event loop."""
        self.draining = True
        for call in list(self._calls):
            call.after(self._drain_grace, DRAINED)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})  # before accepting: the client sees a 403
                return
            raise RuntimeError(f"sigma-mcp serves HTTP only, not {scope['type']!r} connections")
        raw_key, carried = _credentials(scope["headers"])
        if not logger.isEnabledFor(logging.INFO):
            with request_key(raw_key, carried):
                await self._route(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])  # the SDK's is an HTTPStatus, which Python 3.10 logs by name
            await send(message)

        with request_key(raw_key, carried):
            try:
                await self._route(scope, receive, tracked)
            finally:
                logger.info(
                    "%s %s %s -> %s in %.0f ms",
                    (scope.get("client") or ("-",))[0],
                    scope["method"],
                    _shown(scope),
                    status or "no answer",
                    (time.perf_counter() - started) * 1000,
                )

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == HEALTH and method in ("GET", "HEAD"):
            await respond(send, 200, {"status": "ok"})
            return
        if is_oauth_path(path):
            # Before the token check: a 401 here would tell the client that OAuth is wanted.
            await respond(send, 404, NO_OAUTH)
            return
        if self._token is not None:
            given = _bearer(scope)
            # compare_digest takes as long whatever the first differing byte: no timing hint at the token.
            if given is None or not hmac.compare_digest(given, self._token):
                # No resource_metadata parameter (RFC 9728): it would send the client looking for an OAuth
                # authorization server, and there is none.
                challenge = 'Bearer realm="sigma-mcp"' + ("" if given is None else ', error="invalid_token"')
                message = (
                    "This sigma-mcp server needs the header 'Authorization: Bearer <token>', with the token its "
                    f"operator set in {AUTH_TOKEN_VAR}."
                    if given is None
                    else f"The bearer token is not the one this sigma-mcp server was started with ({AUTH_TOKEN_VAR})."
                )
                await respond(
                    send, 401, {"error": "unauthorized", "message": message}, [(b"www-authenticate", challenge)]
                )
                return
        if path not in (ENDPOINT, ENDPOINT + "/"):
            message = f"sigma-mcp answers MCP requests at {ENDPOINT} (and GET {HEALTH}); there is nothing else here."
            await respond(send, 404, {"error": "not_found", "message": message})
            return
        if method == "GET":
            # Stateless: no session, so no stream of server-initiated messages to open (the transport's own
            # answer would be an event stream that never carries anything and never ends).
            message = "This sigma-mcp server is stateless: send MCP requests with POST; it has no event stream."
            await respond(send, 405, {"error": "method_not_allowed", "message": message}, [(b"allow", "POST")])
            return
        stop = _Stop()
        self._reading.start(stop)  # stopped if its body is still not read `body_timeout` seconds from now
        body = await _read_body(scope, receive, send, self._body_timeout, stop, self._reading)
        if body is None:
            return
        # Host names are case-insensitive; the DNS-rebinding check compares strings.
        headers = [(name, value.lower() if name in (b"host", b"origin") else value) for name, value in scope["headers"]]
        await self._call({**scope, "path": ENDPOINT, "headers": headers}, body, receive, send, stop)

    async def _call(self, scope: Scope, body: bytes, receive: Receive, send: Send, stop: _Stop) -> None:
        """The app answers the request, unless the client leaves first (the call is cancelled) or shutdown
        stops it (answered with a JSON-RPC error)."""
        left = asyncio.Event()
        answered = complete = False
        unread: bytes | None = body

        async def replay() -> Message:
            nonlocal unread
            if unread is not None:
                message: Message = {"type": "http.request", "body": unread, "more_body": False}
                unread = None
                return message
            await left.wait()
            return {"type": "http.disconnect"}

        async def tracked(message: Message) -> None:
            nonlocal answered, complete
            answered = True  # a response's first message is its start
            complete = message["type"] == "http.response.body" and not message.get("more_body", False)
            await send(message)

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            if not complete:  # the server's receive says "disconnect" once the answer is out, too
                left.set()
                stop.now(LEFT)

        if self.draining:
            stop.after(self._drain_grace, DRAINED)
        self._calls.add(stop)
        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            await self._app(scope, replay, tracked)
        except asyncio.CancelledError:
            if not stop.caught():
                raise
        finally:
            stop.end()
            self._calls.discard(stop)
            watcher.cancel()
        if self.draining and not answered and stop.reason != LEFT:
            await respond(send, 200, _shutdown_error(body))


LEFT, DRAINED, TOO_SLOW = "the client left", "shutdown", "the body took too long"


class _Stop:
    """Stops the task handling one request, for a reason of ours: the client left, shutdown's grace ran out, or
    its body took too long to arrive. The task is cancelled (plain asyncio: the ASGI server runs on it), and
    `caught` tells the cancellation that came from here from any other."""

    def __init__(self) -> None:
        self._task = asyncio.current_task()
        self._timers: list[asyncio.TimerHandle] = []
        self.reason: str | None = None
        self._ended = False

    def now(self, reason: str) -> None:
        if self.reason is None and not self._ended and self._task is not None:
            self.reason = reason
            self._task.cancel()

    def after(self, seconds: float, reason: str) -> None:
        if not self._ended:
            self._timers.append(asyncio.get_running_loop().call_later(seconds, self.now, reason))

    def caught(self) -> bool:
        """In an `except CancelledError`: whether the cancellation was ours (then it is over)."""
        if self.reason is None:
            return False
        if sys.version_info >= (3, 11) and self._task is not None:
            self._task.uncancel()
        return True

    def end(self) -> None:
        """The request is no longer ours to stop: its timers are cancelled."""
        self._ended = True
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


async def _read_body(
    scope: Scope, receive: Receive, send: Send, seconds: float, stop: _Stop, reading: Waits[_Stop]
) -> bytes | None:
    """The request's body, or None once it has been answered with why it was refused. `stop` is in `reading` (the
    gate's requests to stop if their body is late) until the body is read or refused."""
    declared = next((value for name, value in scope["headers"] if name == b"content-length"), b"")
    too_large = f"An MCP request to sigma-mcp is at most {MAX_BODY:,} bytes."
    if declared.isdigit() and int(declared) > MAX_BODY:
        reading.stop(stop)
        await respond(send, 413, {"error": "payload_too_large", "message": too_large}, [(b"connection", "close")])
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                break
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
    except asyncio.CancelledError:
        if not stop.caught():
            raise
    finally:
        reading.stop(stop)
    if size > MAX_BODY:
        await respond(send, 413, {"error": "payload_too_large", "message": too_large}, [(b"connection", "close")])
    else:
        late = f"The request body did not arrive within {seconds:g} seconds."
        await respond(send, 408, {"error": "request_timeout", "message": late}, [(b"connection", "close")])
    return None


def _shutdown_error(request: bytes) -> dict[str, Any]:
    try:
        message = json.loads(request)
    except ValueError:
        message = None
    request_id = message.get("id") if isinstance(message, dict) else None
    return {
        "jsonrpc": "2.0",
        "id": request_id if isinstance(request_id, str | int) and not isinstance(request_id, bool) else None,
        "error": {
            "code": SHUTTING_DOWN,
            "message": "sigma-mcp is shutting down and stopped this call before it finished; nothing was changed. "
            "Send it again once the server is back (or to another instance).",
        },
    }


def _credentials(headers: Sequence[tuple[bytes, bytes]]) -> tuple[str | None, tuple[str, ...]]:
    """The request's SigmaMind key header, and every other credential it carries (to be masked in logs)."""
    key = None
    carried: list[str] = []
    for name, value in headers:
        if name == _KEY_HEADER:
            key = value.decode("latin-1")
        elif _CREDENTIAL_HEADER.search(name):
            carried += _PIECES.split(value.decode("latin-1"))
    return key, tuple(carried)  # `request_key` keeps those long enough to mask


def _shown(scope: Scope) -> str:
    """The request's target as the access line shows it: a route of ours, never what the peer sent otherwise."""
    path = scope["path"]
    shown = (
        path
        if path in (ENDPOINT, ENDPOINT + "/", HEALTH)
        else "(OAuth path)"
        if is_oauth_path(path)
        else "(other path)"
    )
    return shown + ("?(query)" if scope.get("query_string") else "")


def is_oauth_path(path: str) -> bool:
    """Whether `path` is one an OAuth client asks for: a discovery document in any of the places clients look
    for it (`/.well-known/<name>`, `/.well-known/<name>/mcp`, `/mcp/.well-known/<name>`), or a registration,
    authorization or token endpoint."""
    path = "/" + "/".join(segment for segment in path.split("/") if segment)  # "//register" is "/register"
    if path in OAUTH_ENDPOINTS:
        return True
    segments = path.split("/")
    return any(segment == ".well-known" and following in OAUTH_METADATA for segment, following in pairwise(segments))


def _bearer(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = bytes(value).strip().partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
            return None
    return None


async def respond(send: Send, status: int, body: dict[str, Any], extra: Sequence[tuple[bytes, str]] = ()) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    headers += [(name, value.encode()) for name, value in extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
