"""The two shapes a tool result takes, and the last redaction of everything the server answers.

Tool results redact the API key from their text and structured content (object keys included, but
never our own schema's field names). `RedactingMiddleware` then redacts every string of every result
and error the server sends, whatever produced it: the SDK echoes a resource's URI, for one.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ErrorData, TextContent
from pydantic import BaseModel

from sigma_mcp.redaction import Redactor
from sigma_mcp.schemas import schema_keys


def success_result(redactor: Redactor, text: str, summary: BaseModel, tool: str) -> CallToolResult:
    """Markdown for the model plus the summary as `structuredContent` (`tool` names its output schema)."""
    return CallToolResult(
        content=[TextContent(type="text", text=redactor.text(text))],
        structured_content=redactor.json(summary.model_dump(mode="json"), keep=schema_keys(tool)),
    )


def error_result(redactor: Redactor, message: str) -> CallToolResult:
    """An `isError` result whose text says what happened and what to do."""
    return CallToolResult(content=[TextContent(type="text", text=redactor.text(message))], is_error=True)


class RedactingMiddleware:
    """Server middleware: the API key out of every string of every result and error sent."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        try:
            result = await call_next(ctx)
        except MCPError as exc:
            error = exc.error
            redacted = ErrorData(
                code=error.code, message=self._redactor.text(error.message), data=self._values(error.data)
            )
            raise MCPError(code=redacted.code, message=redacted.message, data=redacted.data) from None
        if isinstance(result, BaseModel):
            # Dumped as the SDK dumps results for the wire.
            return self._values(result.model_dump(by_alias=True, mode="json", exclude_none=True))  # type: ignore[no-any-return]
        return self._values(result)  # type: ignore[no-any-return]

    def _values(self, value: Any) -> Any:
        if not self._redactor:
            return value
        if isinstance(value, str):
            return self._redactor.text(value)
        if isinstance(value, dict):
            return {key: self._values(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._values(item) for item in value]
        return value
