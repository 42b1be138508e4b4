"""The two shapes a tool result takes. Both redact the API key from everything they carry."""

from __future__ import annotations

from functools import cache
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from sigma_mcp.redaction import Redactor


def success_result(redactor: Redactor, text: str, summary: BaseModel) -> CallToolResult:
    """Markdown for the model plus the summary as `structuredContent`."""
    return CallToolResult(
        content=[TextContent(type="text", text=redactor.text(text))],
        structured_content=redactor.json(summary.model_dump(mode="json"), keep=schema_keys(type(summary))),
    )


def error_result(redactor: Redactor, message: str) -> CallToolResult:
    """An `isError` result whose text says what happened and what to do."""
    return CallToolResult(content=[TextContent(type="text", text=redactor.text(message))], is_error=True)


def schema_keys(model: type[BaseModel]) -> frozenset[str]:
    """Every property name in `model`'s JSON schema, nested models included."""
    return _schema_keys(model)


@cache
def _schema_keys(model: type[BaseModel]) -> frozenset[str]:
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                keys.update(properties)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(model.model_json_schema())
    return frozenset(keys)
