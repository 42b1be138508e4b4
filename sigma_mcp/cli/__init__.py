"""The `sigma-mcp` command: the MCP server (stdio by default, or streamable HTTP), `check`, and each tool as
a subcommand (generated from the registry, see `cli.commands`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sigma_mcp import __version__

if TYPE_CHECKING:
    import argparse

    from mcp.server.mcpserver import MCPServer
from sigma_mcp.cli.commands import (
    EXIT_API_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    add_tool_commands,
    run_tool_command,
    write_stdout,
)
from sigma_mcp.config import MISSING_KEY_MESSAGE, Settings
from sigma_mcp.logs import configure_logging
from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.sigmamind.errors import ConfigurationError

logger = logging.getLogger("sigma_mcp")


def build_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="sigma-mcp",
        description=(
            "MCP server for SigmaMind batch runs. With no command it serves MCP over stdio "
            "(what MCP clients such as Claude Desktop start), or over streamable HTTP with --transport http. "
            "`check` tests the setup; the other commands print what the tools return."
        ),
        epilog=(
            "Configuration comes from the environment: SIGMAMIND_API_KEY, SIGMAMIND_AGENT_ID (the agent of calls "
            "that name none), SIGMAMIND_BASE_URL, SIGMAMIND_TIMEOUT, SIGMAMIND_LOG_LEVEL, SIGMAMIND_DEMO, "
            "SIGMA_MCP_STRUCTURED (off: markdown only); for HTTP also SIGMA_MCP_AUTH_TOKEN and SIGMA_MCP_ALLOWED_HOSTS."
        ),
    )
    parser.add_argument("--version", action="version", version=f"sigma-mcp {__version__}")
    parser.add_argument("--demo", action="store_true", help="serve built-in demo data (no key, no network)")
    parser.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio (default): one client, which starts the server; http: streamable HTTP at /mcp, for many",
    )
    parser.add_argument("--host", help="with --transport http: the address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, help="with --transport http: the TCP port (default 8000; 0 picks a free one)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="check the configuration and the connection to SigmaMind",
        description="Check the configuration, then make one read request to SigmaMind and say what works. "
        "Exits 0 only when everything does.",
    )
    check.add_argument(
        "--agent",
        metavar="AGENT_ID",
        help="also check access to this agent and show its newest batch run (default: $SIGMAMIND_AGENT_ID, when set)",
    )
    check.add_argument(
        "--demo", action="store_true", default=argparse.SUPPRESS, help="check against built-in demo data"
    )

    add_tool_commands(commands)
    return parser


def _parse(arguments: list[str]) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(arguments)
    server_options = args.host is not None or args.port is not None
    if server_options and args.command is not None:
        parser.error(f"--host and --port apply to the server, not to the {args.command} command")
    if server_options and args.transport != "http":
        parser.error("--host and --port need --transport http")
    if args.transport != "stdio" and args.command is not None:
        parser.error(f"--transport applies to the server, not to the {args.command} command")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else list(argv)
    # No arguments is how MCP clients start the server, every session: no argument parser to load then.
    args = _parse(arguments) if arguments else None
    settings = Settings.from_env(demo=bool(args and args.demo))
    redactor = Redactor([settings.api_key])
    configure_logging(settings.log_level, redactor)
    for notice in settings.notices:
        logger.warning(notice)
    if args is None or args.command is None:
        if args is not None and args.transport == "http":
            sys.exit(serve_http(settings, redactor, host=args.host, port=args.port))
        serve(settings, redactor)
        return
    if args.command == "check":
        sys.exit(asyncio.run(run_check_command(settings, redactor, args.agent)))
    sys.exit(asyncio.run(run_tool_command(settings, redactor, args)))


def serve_http(settings: Settings, redactor: Redactor, *, host: str | None, port: int | None) -> int:
    """Serve MCP over streamable HTTP until interrupted; the exit status."""
    import dataclasses
    import os

    from sigma_mcp.safety.keys import REQUEST_KEY_HEADER
    from sigma_mcp.transports.gate import AUTH_TOKEN_VAR
    from sigma_mcp.transports.http import DEFAULT_HOST, DEFAULT_PORT, HttpConfig, listen

    try:
        config = HttpConfig.from_env(host or DEFAULT_HOST, DEFAULT_PORT if port is None else port, os.environ)
    except ConfigurationError as exc:
        print(f"sigma-mcp: error: {redactor.text(exc.message)}", file=sys.stderr)
        return EXIT_USAGE
    if config.token:
        redactor.add(config.token)
    try:
        sock = listen(config)
    except OSError as exc:
        print(
            f"sigma-mcp: error: cannot listen on {config.host} port {config.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return EXIT_API_ERROR
    from sigma_mcp.server import create_server
    from sigma_mcp.transports.http import serve_http as serve_forever

    settings = dataclasses.replace(
        settings, request_keys=not settings.api_key, per_user_concurrency=None if settings.api_key else config.per_user
    )
    for problem in settings.problems:
        logger.warning("%s Every tool call will report this until it is fixed.", problem)
    if settings.request_keys and not settings.demo:
        logger.warning(
            "No %s: each request must bring its user's own key in the %s header.",
            "SIGMAMIND_API_KEY",
            REQUEST_KEY_HEADER,
        )
    if config.beyond_loopback:
        logger.warning(
            "Serving plain HTTP beyond this machine: the bearer token and any API keys cross the network unencrypted. "
            "Put a TLS-terminating reverse proxy (https) in front of it."
        )
    if config.wildcard and not config.allowed_hosts:
        logger.warning(
            "Listening on all interfaces: requests whose Host header is not a loopback name are refused (DNS-rebinding "
            "protection). List the names clients use to reach this server in SIGMA_MCP_ALLOWED_HOSTS."
        )

    def ready(url: str) -> None:
        guard = "bearer token required" if config.token else f"no {AUTH_TOKEN_VAR}: loopback only"
        where = (
            f"; listening on all interfaces ({config.host}): from elsewhere use this machine's name" * config.wildcard
        )
        print(
            f"sigma-mcp {__version__}: serving MCP over streamable HTTP at {url} ({guard}{where})",
            file=sys.stderr,
            flush=True,
        )

    from sigma_mcp.tools.memory import defer_frees

    server = create_server(settings, redactor=redactor)
    defer_frees()  # a big answer's objects are freed after its reply
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(server, config, sock, ready))
    return EXIT_OK


async def run_check_command(settings: Settings, redactor: Redactor, agent_id: str | None) -> int:
    from sigma_mcp.cli.check import run_check

    report = await run_check(settings, redactor, agent_id)
    verdict = (
        "All checks passed." if not report.failures else f"{report.failures} check{'s' * (report.failures > 1)} failed."
    )
    write_stdout(redactor.text("\n".join([*report.lines, verdict]) + "\n"))
    return EXIT_OK if not report.failures else EXIT_API_ERROR


def serve(settings: Settings, redactor: Redactor) -> None:
    """Run the MCP server over stdio until the client closes it."""
    import anyio

    from sigma_mcp.server import create_server  # the MCP SDK is only loaded when serving

    for problem in settings.problems:
        logger.warning("%s Every tool call will report this until it is fixed.", problem)
    if not settings.api_key and not settings.demo:
        logger.warning(MISSING_KEY_MESSAGE)
    logger.info("sigma-mcp %s serving on stdio (%r)", __version__, settings)
    from sigma_mcp.tools.memory import defer_frees

    server = create_server(settings, redactor=redactor)
    defer_frees()  # a big answer's objects are freed after its reply
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(_serve_stdio, server)


INTERRUPT_GRACE = 0.5
"""Seconds an interrupted server has to finish by itself before the process exits."""


async def _serve_stdio(server: MCPServer[Any]) -> None:
    """Serve until stdin ends, or until SIGINT: that cancels the calls in flight, as asyncio's own handling
    does; and as the SDK's stdio transport reads stdin in a worker thread that cancelling cannot interrupt,
    the process exits `INTERRUPT_GRACE` seconds later if it is still there (a client that is still
    connected may never send the next line or close stdin)."""
    import asyncio
    import os
    import signal
    import threading

    main = asyncio.current_task()

    def exit_now() -> None:
        logger.info("interrupted: exiting without waiting for stdin")
        sys.stderr.flush()
        os._exit(0)

    def interrupted() -> None:
        timer = threading.Timer(INTERRUPT_GRACE, exit_now)
        timer.daemon = True
        timer.start()
        if main is not None:
            main.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows' loop
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, interrupted)
    with contextlib.suppress(asyncio.CancelledError):
        await server.run_stdio_async()
