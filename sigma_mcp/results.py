"""The two shapes a tool result takes, and the last redaction of everything the server answers.

Tool results redact the API key from their text and structured content (object keys included, but
never our own schema's field names). `RedactingMiddleware` then redacts every string of every result
and error the server sends, whatever produced it: the SDK echoes a resource's URI, for one.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ErrorData, TextContent
from pydantic import BaseModel
from pydantic_core import from_json, to_json

from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.tools.schemas import schema_keys

call_log = logging.getLogger("sigma_mcp.tools")
"""One INFO line per tool call, whatever its outcome (log records are redacted by the handler)."""


_built: ContextVar[CallToolResult | None] = ContextVar("sigma_mcp_built_result", default=None)
"""The result `success_result` or `error_result` last built in this request's context: redacted already."""


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
    redactor: Redactor, text: str, summary: BaseModel, tool: str, *, structured: bool = True, data: bytes = b""
) -> CallToolResult:
    """Markdown for the model plus, if `structured`, the summary as `structuredContent` (`tool` names its
    output schema). Each is a whole answer: some clients hand the model only one of them.

    `data` is the summary as `pydantic_core.to_json` writes it, when the caller has it already (`Answer.data`):
    the structured content is read back from it and searched for secrets as it is."""
    block = TextContent(type="text", text=redactor.text(text))
    if not structured:
        return _built_here(CallToolResult(content=[block]))
    data = data or to_json(summary)
    values = from_json(data)
    if not redactor.clean_json(data):
        values = redactor.json(values, keep=schema_keys(tool))
    return _built_here(CallToolResult(content=[block], structured_content=values))


def error_result(redactor: Redactor, message: str) -> CallToolResult:
    """An `isError` result whose text says what happened and what to do."""
    return _built_here(CallToolResult(content=[TextContent(type="text", text=redactor.text(message))], is_error=True))


def _built_here(result: CallToolResult) -> CallToolResult:
    _built.set(result)
    return result


def _is_built_here(answer: dict[str, Any]) -> bool:
    """Whether the SDK's wire form of a result holds nothing but a result built here, which was redacted then:
    the same text, the same structured content, and nothing else."""
    result = _built.get()
    if result is None or not answer.keys() <= {"content", "structuredContent", "isError"}:
        return False
    texts = [{"type": "text", "text": block.text} for block in result.content if isinstance(block, TextContent)]
    return (
        len(texts) == len(result.content)
        and answer.get("content") == texts
        and answer.get("structuredContent") == result.structured_content
        and answer.get("isError", False) is result.is_error
    )


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
        if isinstance(result, dict) and ctx.method == "tools/call" and _is_built_here(result):
            return result  # a tool's result, redacted as it was built: not searched again
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
        if isinstance(value, list | tuple):
            return [self._walk(item) for item in value]
        return value
