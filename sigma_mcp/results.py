"""The two shapes a tool result takes. Both redact the API key from everything they carry."""

from __future__ import annotations

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from sigma_mcp.redaction import Redactor


def success_result(redactor: Redactor, text: str, summary: BaseModel) -> CallToolResult:
    """Markdown for the model plus the summary as `structuredContent`."""
    return CallToolResult(
        content=[TextContent(type="text", text=redactor.text(text))],
        structured_content=redactor.json(summary.model_dump(mode="json")),
    )


def error_result(redactor: Redactor, message: str) -> CallToolResult:
    """An `isError` result whose text says what happened and what to do."""
    return CallToolResult(content=[TextContent(type="text", text=redactor.text(message))], is_error=True)
