"""Logging: everything to stderr (stdout belongs to the MCP protocol), every record redacted."""

from __future__ import annotations

import logging
import sys

from sigma_mcp.safety.redaction import RedactingFilter, Redactor

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries whose INFO lines repeat ours (httpx: one per upstream request; the SDK: one per HTTP
# session); below DEBUG they speak only of warnings and errors, so INFO is one line per tool call.
CHATTY = ("httpx", "httpcore", "mcp")


def configure_logging(level: str, redactor: Redactor) -> None:
    """Send all log records, ours and our dependencies', through one redacting stderr handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    number: int = logging.getLevelName(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(number if number <= logging.DEBUG else max(number, logging.WARNING))
