"""Serving MCP over streamable HTTP: one sigma-mcp shared by a team instead of a process per laptop.

- The endpoint is `/mcp`. It is stateless — every request stands alone, so any instance behind a load
  balancer can answer it — and answers with plain JSON. `GET /healthz` answers `ok` for load balancers.
- `SIGMA_MCP_AUTH_TOKEN`: every request must carry `Authorization: Bearer <token>`, compared in constant
  time; a server that listens anywhere but on loopback refuses to start without one.
- No OAuth: the token is static, so the OAuth discovery documents and sign-in endpoints answer 404, token or
  not, and the 401 challenge names no `resource_metadata` (`gate`).
- DNS-rebinding protection: the `Host` (and any `Origin`) of a request must name this server: a loopback
  name, the address it listens on, or one of `SIGMA_MCP_ALLOWED_HOSTS`.
- Without `SIGMAMIND_API_KEY`, each request brings its user's own key in `X-SigmaMind-Api-Key`, used for
  that request only (`keys`), and each user has at most `SIGMA_MCP_PER_USER_CONCURRENCY` requests in flight
  upstream (`sigmamind.share`).
- Slow and idle peers are bounded (`peers`): header time, idle time, header size, connections; the body's
  size and time, disconnects and shutdown are the gate's.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sigma_mcp.config import is_loopback_host
from sigma_mcp.sigmamind.client import MAX_CONNECTIONS as UPSTREAM_CONNECTIONS
from sigma_mcp.sigmamind.errors import ConfigurationError
from sigma_mcp.sigmamind.share import PER_USER_VAR
from sigma_mcp.transports.gate import AUTH_TOKEN_VAR, BODY_TIMEOUT, DRAIN_GRACE, ENDPOINT, Gate
from sigma_mcp.transports.peers import HEADER_TIMEOUT, MAX_CONNECTIONS

if TYPE_CHECKING:
    import uvicorn
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings

logger = logging.getLogger(__name__)

ALLOWED_HOSTS_VAR = "SIGMA_MCP_ALLOWED_HOSTS"
MAX_CONNECTIONS_VAR = "SIGMA_MCP_MAX_CONNECTIONS"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_PER_USER = 4
"""Of the upstream pool's connections (`client.MAX_CONNECTIONS`), what one user's calls may hold at once."""
MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = ("0.0.0.0", "::")  # noqa: S104 - named to be recognised, not bound by default
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
    per_user: int = DEFAULT_PER_USER
    """Requests in flight upstream per user's own key (`sigmamind.share`)."""
    max_connections: int = MAX_CONNECTIONS
    """Client connections open at once (`peers`)."""
    header_timeout: float = HEADER_TIMEOUT
    """Seconds a request's headers may take to arrive (`peers`)."""
    body_timeout: float = BODY_TIMEOUT
    """Seconds a request's body may take to arrive once its headers have (`gate`)."""
    drain_grace: float = DRAIN_GRACE
    """Seconds a call may still run once shutdown has begun (`gate`); uvicorn gives up a second later."""

    @classmethod
    def from_env(cls, host: str, port: int, env: Mapping[str, str]) -> HttpConfig:
        """The configuration for `--host`/`--port` and the environment; `ConfigurationError` says what to fix.

        `host` is kept in its canonical spelling: `0` is `0.0.0.0`, `[::]` is `::`, `127.1` is `127.0.0.1`."""
        given = host.strip().lower()
        canonical = canonical_host(given)
        if canonical is None:
            raise ConfigurationError(
                f"--host {given[:100]!r} is not an IP address or host name. Use 127.0.0.1 (this machine only, the "
                "default) or the address of the interface to listen on, e.g. 0.0.0.0 for all of them."
            )
        host = canonical
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
        if token is None and not is_loopback_host(host):
            where = f"all interfaces ({host})" if host in WILDCARDS else host
            raise ConfigurationError(
                f"Refusing to listen on {where} without {AUTH_TOKEN_VAR}: anyone who can reach that address could "
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
        per_user = _count(env, PER_USER_VAR, DEFAULT_PER_USER, UPSTREAM_CONNECTIONS)
        max_connections = _count(env, MAX_CONNECTIONS_VAR, MAX_CONNECTIONS, 1_000_000)
        return cls(
            host=host,
            port=port,
            token=token,
            allowed_hosts=tuple(allowed),
            per_user=per_user,
            max_connections=max_connections,
        )

    @property
    def wildcard(self) -> bool:
        return self.host in WILDCARDS

    @property
    def beyond_loopback(self) -> bool:
        return not is_loopback_host(self.host)

    def url(self, port: int) -> str:
        """A URL that reaches the server from this machine: on all interfaces, its loopback address."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104
        return f"http://{f'[{host}]' if ':' in host else host}:{port}{ENDPOINT}"


_TOKEN_RECIPE = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'  # noqa: S105 - how to make one


def canonical_host(host: str) -> str | None:
    """An address in its canonical spelling (brackets dropped, `0` as `0.0.0.0`, as the system parses it), a
    host name as given, or None when it is neither."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    try:  # the shorthand spellings the system accepts: 0, 127.1, 0x7f.1
        found = socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        found = []
    if found:
        return str(ipaddress.ip_address(found[0][4][0]))
    return host if _HOST_NAME.fullmatch(host) and not host.replace(".", "").isdigit() else None


def _count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise ConfigurationError(
            f"{name}={raw[:40]!r} is not a whole number from 1 to {most:,}; unset it for {default}."
        )
    return int(raw)


def transport_security(config: HttpConfig) -> TransportSecuritySettings:
    """DNS-rebinding protection: the Host and Origin values a request may carry."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = list(LOOPBACK_NAMES)
    if not config.wildcard:
        names.append(f"[{config.host}]" if ":" in config.host else config.host)
    hosts: list[str] = []
    origins: list[str] = []
    for name in dict.fromkeys([*names, *config.allowed_hosts]):
        exact = name.rsplit(":", 1)[-1].isdigit() and not name.endswith("]")
        patterns = [name] if exact else [name, f"{name}:*"]
        hosts += patterns
        origins += [f"{scheme}://{pattern}" for scheme in ("http", "https") for pattern in patterns]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def build_app(server: MCPServer[Any], config: HttpConfig) -> Gate:
    """The ASGI app: the MCP endpoint, stateless and answering in JSON, behind the gate."""
    app = server.streamable_http_app(
        streamable_http_path=ENDPOINT,
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(config),
        host=config.host,
    )
    return Gate(app, config.token, drain_grace=config.drain_grace, body_timeout=config.body_timeout)


def listen(config: HttpConfig) -> socket.socket:
    """A listening socket for the configuration (port 0: any free port); OSError when it cannot be had."""
    family, kind, proto, _, address = socket.getaddrinfo(
        config.host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
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
    """Serve until interrupted (SIGINT, SIGTERM); `ready(url)` once requests are being answered."""
    await http_server(server, config, sock, ready).serve(sockets=[sock])


def http_server(
    server: MCPServer[Any], config: HttpConfig, sock: socket.socket, ready: Callable[[str], None]
) -> uvicorn.Server:
    """The uvicorn server for `serve_http`, with the bounds of `peers` and the gate in front of the app; it
    stops when its `should_exit` is set (or on SIGINT and SIGTERM, when served from the main thread)."""
    import uvicorn

    from sigma_mcp.transports.peers import (
        KEEP_ALIVE,
        MAX_HEADER_BYTES,
        AcceptErrors,
        connection_limit,
        guarded_protocol,
    )

    gate = build_app(server, config)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ready(config.url(sock.getsockname()[1]))

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            gate.drain()  # the calls still running in drain_grace seconds get a JSON-RPC error
            await super().shutdown(sockets)

    logging.getLogger("asyncio").addFilter(AcceptErrors())
    return Server(
        uvicorn.Config(
            gate,
            http=guarded_protocol(connection_limit(config.max_connections), config.header_timeout),
            log_config=None,  # our handler on the root logger: stderr, redacted
            log_level=None,
            access_log=False,  # the gate's own access line shows no path or query as sent
            server_header=False,
            lifespan="on",
            timeout_keep_alive=KEEP_ALIVE,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            timeout_graceful_shutdown=math.ceil(config.drain_grace) + 1,
        )
    )
