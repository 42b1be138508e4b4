"""Checks every tool call's arguments against the tool's input schema before the tool runs.

The SDK would silently drop unknown parameters and answer type errors with pydantic's wording; this
middleware answers every malformed call with one clear `isError` naming the parameter instead.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer

from sigma_mcp.redaction import Redactor
from sigma_mcp.results import error_result
from sigma_mcp.text import describe_json_type


class ArgumentGuard:
    """Server middleware: refuse `tools/call` requests whose arguments do not fit the tool."""

    def __init__(self, server: MCPServer[Any], redactor: Redactor) -> None:
        self._server = server
        self._redactor = redactor
        self._schemas: dict[str, dict[str, Any]] | None = None

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and ctx.params is not None:
            schemas = await self._tool_schemas()
            name = ctx.params.get("name")
            if isinstance(name, str) and name in schemas:
                problem = argument_problem(name, schemas[name], ctx.params.get("arguments"))
                if problem is not None:
                    return error_result(self._redactor, problem)
        return await call_next(ctx)

    async def _tool_schemas(self) -> dict[str, dict[str, Any]]:
        if self._schemas is None:
            self._schemas = {tool.name: tool.input_schema for tool in await self._server.list_tools()}
        return self._schemas


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def argument_problem(tool: str, schema: dict[str, Any], arguments: object) -> str | None:
    """Why `arguments` do not fit `schema`, or None when they do."""
    properties: dict[str, Any] = schema.get("properties", {})
    accepted = ", ".join(properties) or "no parameters"
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return f"Invalid arguments for {tool}: expected an object of named parameters ({accepted})."
    unknown = [key for key in arguments if key not in properties]
    if unknown:
        shown = ", ".join(ascii(key[:40]) for key in unknown[:5])
        return (
            f"Unknown parameter{'s' if len(unknown) > 1 else ''} {shown} for {tool}. "
            f"It accepts: {accepted}. Nothing was sent to SigmaMind."
        )
    for key in schema.get("required", []):
        if key not in arguments:
            description = properties.get(key, {}).get("description", "")
            return f"Missing required parameter {key} for {tool}. {description}".strip()
    for key, value in arguments.items():
        problem = _type_problem(properties[key], value)
        if problem is not None:
            return f"Invalid {key} for {tool}: {problem}. Nothing was sent to SigmaMind."
    return None


def _type_problem(spec: dict[str, Any], value: object) -> str | None:
    types: list[str] = []
    for option in spec.get("anyOf", [spec]):
        json_type = option.get("type") if isinstance(option, dict) else None
        if not isinstance(json_type, str):
            return None  # a schema this check does not understand is left to the SDK's validation
        types.append(json_type)
    for json_type in types:
        if json_type == "null" and value is None:
            return None
        expected = _JSON_TYPES.get(json_type, ())
        if isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected):
            return _range_problem(spec, value)
        if json_type == "integer" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return _range_problem(spec, int(value))  # clients that send numbers as strings
    wanted = " or ".join("null" if t == "null" else f"a{'n' if t[0] in 'aeiou' else ''} {t}" for t in types)
    return f"expected {wanted}, got {describe_json_type(value)}"


def _range_problem(spec: dict[str, Any], value: object) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None and value < low:
        return f"must be at least {low}, got {value}"
    if high is not None and value > high:
        return f"must be at most {high}, got {value}"
    return None
