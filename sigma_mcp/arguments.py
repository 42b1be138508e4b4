"""Checks the arguments of every tool call and prompt request before anything runs.

The SDK would silently drop unknown parameters and answer type errors with pydantic's wording (or, for
prompts, with a bare "Error rendering prompt"); this middleware answers every malformed request with
one clear message naming the parameter instead: an `isError` result for a tool, an invalid-params
error for a prompt.
"""

from __future__ import annotations

import re
import time
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from sigma_mcp.redaction import Redactor
from sigma_mcp.results import error_result, log_tool_call
from sigma_mcp.text import describe_json_type


class ArgumentGuard:
    """Server middleware: refuse tool calls and prompt requests whose arguments do not fit."""

    def __init__(self, server: MCPServer[Any], redactor: Redactor) -> None:
        self._server = server
        self._redactor = redactor
        self._tools: dict[str, dict[str, Any]] | None = None
        self._prompts: dict[str, dict[str, Any]] | None = None

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.params is not None and ctx.method in ("tools/call", "prompts/get"):
            schemas = await (self._tool_schemas() if ctx.method == "tools/call" else self._prompt_schemas())
            name = ctx.params.get("name")
            if isinstance(name, str) and name in schemas:
                started = time.perf_counter()
                arguments = ctx.params.get("arguments")
                problem = argument_problem(name, schemas[name], arguments)
                if problem is not None and ctx.method == "tools/call":
                    log_tool_call(name, arguments, "InvalidArgument", started)
                    return error_result(self._redactor, problem)
                if problem is not None:
                    raise MCPError(code=INVALID_PARAMS, message=self._redactor.text(problem))
        return await call_next(ctx)

    async def _tool_schemas(self) -> dict[str, dict[str, Any]]:
        if self._tools is None:
            self._tools = {tool.name: tool.input_schema for tool in await self._server.list_tools()}
        return self._tools

    async def _prompt_schemas(self) -> dict[str, dict[str, Any]]:
        """Prompt arguments as a schema: every argument a string (as the protocol has it)."""
        if self._prompts is None:
            self._prompts = {
                prompt.name: {
                    "properties": {
                        argument.name: {"type": "string", "description": argument.description or ""}
                        for argument in prompt.arguments or []
                    },
                    "required": [argument.name for argument in prompt.arguments or [] if argument.required],
                }
                for prompt in await self._server.list_prompts()
            }
        return self._prompts


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


_INTEGER_TEXT = re.compile(r"-?[0-9]{1,18}")
"""An integer sent as a string, as some clients do: ASCII digits only, and not absurdly long."""


def _type_problem(spec: dict[str, Any], value: object) -> str | None:
    options: list[dict[str, Any]] = []
    for option in spec.get("anyOf", [spec]):
        if not isinstance(option, dict) or not isinstance(option.get("type"), str):
            return None  # a schema this check does not understand is left to the SDK's validation
        options.append(option)
    for option in options:
        json_type = option["type"]
        if json_type == "null" and value is None:
            return None
        expected = _JSON_TYPES.get(json_type, ())
        if isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected):
            return _range_problem(option, value)
        if json_type == "integer" and isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
            return _range_problem(option, int(value))
    types = [option["type"] for option in options]
    wanted = " or ".join("null" if t == "null" else f"a{'n' if t[0] in 'aeiou' else ''} {t}" for t in types)
    return f"expected {wanted}, got {describe_json_type(value)}"


def _range_problem(option: dict[str, Any], value: object) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    low, high = option.get("minimum"), option.get("maximum")
    shown = str(value) if len(str(value)) <= 40 else f"a number of {len(str(value))} digits"
    if low is not None and value < low:
        return f"must be at least {low}, got {shown}"
    if high is not None and value > high:
        return f"must be at most {high}, got {shown}"
    return None
