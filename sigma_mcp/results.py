"""The two shapes a tool result takes, and the last redaction of everything the server answers.

Tool results redact the API key from their text and structured content (object keys included, but
never our own schema's field names). `RedactingMiddleware` then redacts every string of every result
and error the server sends, whatever produced it: the SDK echoes a resource's URI, for one.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ErrorData, TextContent
from pydantic import BaseModel

from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.tools.schemas import schema_keys

call_log = logging.getLogger("sigma_mcp.tools")
"""One INFO line per tool call, whatever its outcome (log records are redacted by the handler)."""


def log_tool_call(tool: str, arguments: object, outcome: str, started: float) -> None:
    """Log a tool call: its name, arguments (each trimmed; a parameters model, those it was given), outcome, and
    time since `started` (perf_counter)."""
    if not call_log.isEnabledFor(logging.INFO):
        return
    if isinstance(arguments, BaseModel):
        arguments = arguments.model_dump(exclude_unset=True)
    if isinstance(arguments, dict):
        shown = " ".join(
            f"{name if isinstance(name, str) and name.isidentifier() else repr(name)[:40]}={str(value)[:80]!r}"
            for name, value in list(arguments.items())[:8]
        )
    else:
        shown = f"arguments={str(arguments)[:80]!r}"
    call_log.info("tool %s %s -> %s in %.0f ms", tool, shown, outcome, (time.perf_counter() - started) * 1000)


def success_result(
    redactor: Redactor, text: str, summary: BaseModel, tool: str, *, structured: bool = True
) -> CallToolResult:
    """Markdown for the model plus, if `structured`, the summary as `structuredContent` (`tool` names its
    output schema). Each is a whole answer: some clients hand the model only one of them."""
    return CallToolResult(
        content=[TextContent(type="text", text=redactor.text(text))],
        structured_content=redactor.json(summary.model_dump(mode="json"), keep=schema_keys(tool))
        if structured
        else None,
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
            if not self._redactor or self._redactor.clean(result):
                return result  # nothing to mask: not dumped at all
            # Dumped as the SDK dumps results for the wire.
            return self._walk(result.model_dump(by_alias=True, mode="json", exclude_none=True))  # type: ignore[no-any-return]
        return self._values(result)  # type: ignore[no-any-return]

    def _values(self, value: Any) -> Any:
        if not self._redactor or self._redactor.clean(value):
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._redactor.text(value)
        if isinstance(value, dict):
            return {key: self._walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        return value
