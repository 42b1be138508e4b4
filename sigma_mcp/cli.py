"""The `sigma-mcp` command: the stdio MCP server by default, and `batch-run` for the terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Sequence

from sigma_mcp import __version__
from sigma_mcp.config import MISSING_KEY_MESSAGE, Settings
from sigma_mcp.errors import ConfigurationError, InvalidArgument, SigmaMindError
from sigma_mcp.logs import configure_logging
from sigma_mcp.redaction import Redactor

logger = logging.getLogger("sigma_mcp")

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sigma-mcp",
        description=(
            "MCP server for SigmaMind batch runs. With no command it serves MCP over stdio "
            "(what MCP clients such as Claude Desktop start)."
        ),
        epilog=(
            "Configuration comes from the environment: SIGMAMIND_API_KEY, SIGMAMIND_BASE_URL, "
            "SIGMAMIND_TIMEOUT, SIGMAMIND_LOG_LEVEL, SIGMAMIND_DEMO."
        ),
    )
    parser.add_argument("--version", action="version", version=f"sigma-mcp {__version__}")
    parser.add_argument("--demo", action="store_true", help="serve built-in demo data (no key, no network)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    batch_run = commands.add_parser(
        "batch-run",
        help="print the summary of one batch run, as the get_batch_run tool returns it",
        description="Print the summary of one batch run, exactly as the get_batch_run tool returns it.",
    )
    batch_run.add_argument("batch_id", metavar="BATCH_ID", help="the batch run's id, e.g. batch_s0OJu2JWR8R45Fai")
    batch_run.add_argument(
        "--agent", required=True, metavar="AGENT_ID", help="the agent's id, e.g. agent_D5D0p7TUs66TTAEAx"
    )
    batch_run.add_argument("--json", action="store_true", help="print the structured result as JSON")
    batch_run.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use built-in demo data (no key needed)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(demo=args.demo)
    redactor = Redactor([settings.api_key])
    configure_logging(settings.log_level, redactor)
    for notice in settings.notices:
        logger.warning(notice)
    if args.command == "batch-run":
        sys.exit(asyncio.run(batch_run(settings, redactor, args.batch_id, args.agent, as_json=args.json)))
    serve(settings, redactor)


def serve(settings: Settings, redactor: Redactor) -> None:
    """Run the MCP server over stdio until the client closes it."""
    from sigma_mcp.server import create_server  # the MCP SDK is only loaded when serving

    for problem in settings.problems:
        logger.warning("%s Every tool call will report this until it is fixed.", problem)
    if not settings.api_key and not settings.demo:
        logger.warning(MISSING_KEY_MESSAGE)
    logger.info("sigma-mcp %s serving on stdio (%r)", __version__, settings)
    with contextlib.suppress(KeyboardInterrupt):
        create_server(settings, redactor=redactor).run("stdio")


async def batch_run(settings: Settings, redactor: Redactor, batch_id: str, agent_id: str, *, as_json: bool) -> int:
    """Print one batch run's summary; return the exit status."""
    from sigma_mcp import operations
    from sigma_mcp.client import SigmaMindClient
    from sigma_mcp.render import render_batch_run

    try:
        async with SigmaMindClient(settings) as client:
            summary = await operations.get_batch_run(client, batch_id, agent_id)
    except SigmaMindError as exc:
        print(f"sigma-mcp: error: {redactor.text(exc.message)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigurationError | InvalidArgument) else EXIT_API_ERROR
    if as_json:
        output = json.dumps(redactor.json(summary.model_dump(mode="json")), indent=2, ensure_ascii=False) + "\n"
    else:
        output = redactor.text(render_batch_run(summary))
    _write_stdout(output)
    return EXIT_OK


def _write_stdout(text: str) -> None:
    # A console that cannot show every character (e.g. a legacy Windows code page) gets replacements.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    sys.stdout.write(text)
    sys.stdout.flush()
