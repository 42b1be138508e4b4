"""Serving MCP over streamable HTTP: one sigma-mcp shared by a team instead of a process per laptop.

- The endpoint is `/mcp`. It is stateless — every request stands alone, so any instance behind a load
  balancer can answer it — and answers with plain JSON. `GET /healthz` answers `ok` for load balancers.
- `SIGMA_MCP_AUTH_TOKEN`: every request must carry `Authorization: Bearer <token>`, compared in constant
  time; a server that listens anywhere but on loopback refuses to start without one.
- No OAuth: the token is static, so the OAuth discovery documents (`/.well-known/oauth-protected-resource`,
  `/.well-known/oauth-authorization-server`, `/.well-known/openid-configuration`, with or without a path) and
  the endpoints a client falls back to (`/register`, `/authorize`, `/token`) answer 404, token or not, and the
  401 challenge names no `resource_metadata`: a client that sees a 401 then finds nothing to sign in to,
  rather than starting an OAuth flow (Dynamic Client Registration, a browser sign-in) that cannot succeed.
- DNS-rebinding protection: the `Host` (and any `Origin`) of a request must name this server: a loopback
  name, the address it listens on, or one of `SIGMA_MCP_ALLOWED_HOSTS`.
- Without `SIGMAMIND_API_KEY`, each request brings its user's own key in `X-SigmaMind-Api-Key`, used for
  that request only (`keys`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sigma_mcp.config import is_loopback_host
from sigma_mcp.safety.keys import REQUEST_KEY_HEADER, request_key
from sigma_mcp.sigmamind.errors import ConfigurationError

if TYPE_CHECKING:
    from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

AUTH_TOKEN_VAR = "SIGMA_MCP_AUTH_TOKEN"  # noqa: S105 - the variable's name
ALLOWED_HOSTS_VAR = "SIGMA_MCP_ALLOWED_HOSTS"
ENDPOINT = "/mcp"
HEALTH = "/healthz"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = ("0.0.0.0", "::")  # noqa: S104 - named to be recognised, not bound by default
OAUTH_METADATA = ("oauth-protected-resource", "oauth-authorization-server", "openid-configuration")
"""The well-known documents (RFC 9728, RFC 8414, OpenID Connect Discovery) an MCP client looks for after a 401."""
OAUTH_ENDPOINTS = ("/register", "/authorize", "/token")
"""Where a client that found no metadata tries Dynamic Client Registration and sign-in (MCP 2025-03-26)."""
NO_OAUTH = {
    "error": "not_found",
    "error_description": f"sigma-mcp does not use OAuth: send Authorization: Bearer <{AUTH_TOKEN_VAR}>",
}
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_ALLOWED_ENTRY = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


@dataclass(frozen=True)
class HttpConfig:
    """Where and how the HTTP server listens. `repr` never shows the token."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()
    """Host header values accepted besides the loopback names and the address listened on."""

    @classmethod
    def from_env(cls, host: str, port: int, env: Mapping[str, str]) -> HttpConfig:
        """The configuration for `--host`/`--port` and the environment; `ConfigurationError` says what to fix."""
        host = host.strip().lower()
        if not _valid_host(host):
            raise ConfigurationError(
                f"--host {host[:100]!r} is not an IP address or host name. Use 127.0.0.1 (this machine only, the "
                "default) or the address of the interface to listen on, e.g. 0.0.0.0 for all of them."
            )
        if not 0 <= port <= 65535:
            raise ConfigurationError(
                f"--port {port} is not a TCP port; use a number from 1 to 65535 (0: any free port)."
            )
        token = (env.get(AUTH_TOKEN_VAR) or "").strip() or None
        if token is not None and not all(0x21 <= ord(ch) <= 0x7E for ch in token):
            raise ConfigurationError(
                f"{AUTH_TOKEN_VAR} holds spaces or non-ASCII characters, which an HTTP header cannot carry. "
                f"Generate a token with: {_TOKEN_RECIPE}"
            )
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise ConfigurationError(
                f"{AUTH_TOKEN_VAR} is only {len(token)} characters long, too easy to guess; use at least "
                f"{MIN_TOKEN_LENGTH}. Generate one with: {_TOKEN_RECIPE}"
            )
        if token is None and not is_loopback_host(host.strip("[]")):
            raise ConfigurationError(
                f"Refusing to listen on {host} without {AUTH_TOKEN_VAR}: anyone who can reach that address could "
                f"use this server. Set {AUTH_TOKEN_VAR} to a long random token (generate one with: {_TOKEN_RECIPE}) "
                "and give it to your users' MCP clients as an 'Authorization: Bearer <token>' header; or listen on "
                "127.0.0.1 only."
            )
        allowed: list[str] = []
        for entry in (env.get(ALLOWED_HOSTS_VAR) or "").split(","):
            entry = entry.strip()
            if not entry:
                continue
            if not _ALLOWED_ENTRY.fullmatch(entry):
                raise ConfigurationError(
                    f"{ALLOWED_HOSTS_VAR} holds {entry[:100]!r}, which is not a host name with an optional port "
                    "(e.g. mcp.example.com or mcp.example.com:8443). Separate several with commas."
                )
            allowed.append(entry.lower())
        return cls(host=host, port=port, token=token, allowed_hosts=tuple(allowed))

    @property
    def wildcard(self) -> bool:
        return self.host.strip("[]") in WILDCARDS

    def url(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"http://{host}:{port}{ENDPOINT}"


_TOKEN_RECIPE = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'  # noqa: S105 - how to make one


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return bool(_HOST_NAME.fullmatch(host))


def transport_security(config: HttpConfig) -> TransportSecuritySettings:
    """DNS-rebinding protection: the Host and Origin values a request may carry."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = list(LOOPBACK_NAMES)
    if not config.wildcard:
        bound = config.host.strip("[]")
        names.append(f"[{bound}]" if ":" in bound else bound)
    hosts: list[str] = []
    origins: list[str] = []
    for name in dict.fromkeys([*names, *config.allowed_hosts]):
        exact = name.rsplit(":", 1)[-1].isdigit() and not name.endswith("]")
        patterns = [name] if exact else [name, f"{name}:*"]
        hosts += patterns
        origins += [f"{scheme}://{pattern}" for scheme in ("http", "https") for pattern in patterns]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class RequestKeyMiddleware:
    """MCP middleware: the request's own SigmaMind key (`X-SigmaMind-Api-Key`) in force while it is handled.

    Outermost, so that everything inside — the call upstream, the redaction of results, the log records —
    sees it; it is gone when the request ends."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        headers = getattr(ctx.request, "headers", None)
        raw = headers.get(REQUEST_KEY_HEADER) if headers is not None else None
        with request_key(raw):
            return await call_next(ctx)


class Gate:
    """ASGI middleware in front of the MCP app: `/healthz`, and the bearer token on everything else."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self._app = app
        self._token = None if token is None else token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan
            await self._app(scope, receive, send)
            return
        if scope["path"] == HEALTH and scope["method"] in ("GET", "HEAD"):
            await _respond(send, 200, {"status": "ok"})
            return
        if is_oauth_path(scope["path"]):
            # Before the token check: a 401 here would tell the client that OAuth is wanted.
            await _respond(send, 404, NO_OAUTH)
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
                await _respond(
                    send, 401, {"error": "unauthorized", "message": message}, [(b"www-authenticate", challenge)]
                )
                return
        if scope["path"] == ENDPOINT and scope["method"] == "GET":
            # Stateless: no session, so no stream of server-initiated messages to open (the transport's own
            # answer would be an event stream that never carries anything and never ends).
            message = "This sigma-mcp server is stateless: send MCP requests with POST; it has no event stream."
            await _respond(send, 405, {"error": "method_not_allowed", "message": message}, [(b"allow", "POST")])
            return
        # Host names are case-insensitive; the DNS-rebinding check compares strings.
        headers = [(name, value.lower() if name in (b"host", b"origin") else value) for name, value in scope["headers"]]
        await self._app({**scope, "headers": headers}, receive, send)


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


async def _respond(send: Send, status: int, body: dict[str, str], extra: Sequence[tuple[bytes, str]] = ()) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    headers += [(name, value.encode()) for name, value in extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def build_app(server: MCPServer[Any], config: HttpConfig) -> ASGIApp:
    """The ASGI app: the MCP endpoint, stateless and answering in JSON, behind the gate."""
    server.middleware.insert(0, RequestKeyMiddleware())
    app = server.streamable_http_app(
        streamable_http_path=ENDPOINT,
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(config),
        host=config.host,
    )
    return Gate(app, config.token)


def listen(config: HttpConfig) -> socket.socket:
    """A listening socket for the configuration (port 0: any free port); OSError when it cannot be had."""
    host = config.host.strip("[]")
    family, kind, proto, _, address = socket.getaddrinfo(
        host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def serve_http(
    server: MCPServer[Any], config: HttpConfig, sock: socket.socket, ready: Callable[[str], None]
) -> None:
    """Serve until interrupted; `ready(url)` once requests are being answered."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ready(config.url(sock.getsockname()[1]))

    uvicorn_config = uvicorn.Config(
        build_app(server, config),
        log_config=None,  # our handler on the root logger: stderr, redacted
        log_level=None,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    await Server(uvicorn_config).serve(sockets=[sock])
