"""The MCP server: every tool in the registry, the triage prompt, resource templates, and the shape of every
result.

`SigmaServer` lists and calls the registry's tools itself, through `MCPServer`'s public `list_tools` and
`call_tool`: the input schema is the tool's parameters model, the output schema its summary model's (shipped
as JSON, see `tools.schemas`), and the arguments are validated once, by the parameters model, with errors a
model can act on (see `tools.arguments`). Every tool result leaves through `results`, which redacts the API key
from all text.

Start-up imports only what `initialize` and `tools/list` need: the HTTP client, the API models, the summaries
and the rendering are loaded with the first call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, InputRequiredResult, Tool, ToolAnnotations
from pydantic import Field

from sigma_mcp import __version__
from sigma_mcp.config import Settings
from sigma_mcp.prompts import (
    AGENT_ARGUMENT,
    BATCH_ARGUMENT,
    TRIAGE_DESCRIPTION,
    TRIAGE_PROMPT,
    instructions,
    triage_prompt,
)
from sigma_mcp.registry import BY_NAME, TOOLS
from sigma_mcp.results import RedactingMiddleware, error_result, log_tool_call, success_result
from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.sigmamind.errors import InvalidArgument, SigmaMindError, UpstreamNotFound
from sigma_mcp.tools.arguments import parse_arguments
from sigma_mcp.tools.schemas import input_schema, output_schema

if TYPE_CHECKING:
    import httpx

    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.sigmamind.retry import RetryPolicy
    from sigma_mcp.tools.spec import Answer, ToolSpec

logger = logging.getLogger(__name__)


@dataclass
class AppState:
    """What every call shares for the life of the server: one SigmaMind client, made at the first call."""

    settings: Settings
    redactor: Redactor
    transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy | None = None
    _client: SigmaMindClient | None = None

    @property
    def client(self) -> SigmaMindClient:
        if self._client is None:
            from sigma_mcp.sigmamind.client import SigmaMindClient

            self._client = SigmaMindClient(
                self.settings, transport=self.transport, retry=self.retry, redactor=self.redactor
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


class SigmaServer(MCPServer[AppState]):
    """`MCPServer` serving the registry's tools (see the module docstring)."""

    def __init__(self, settings: Settings, redactor: Redactor, **options: Any) -> None:
        # Our own attributes are name-mangled, so that none can ever shadow one of MCPServer's.
        super().__init__(**options)
        self.__redactor = redactor
        self.__tools = [_tool(spec, settings.structured) for spec in TOOLS]

    async def list_tools(self) -> list[Tool]:
        return [*self.__tools, *await super().list_tools()]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        spec = BY_NAME.get(name)
        if spec is None:
            return await super().call_tool(name, arguments, context)
        if context is None:
            raise ToolError(f"{name} runs only within an MCP request (it needs the server's lifespan state).")
        started = time.perf_counter()
        try:
            params = parse_arguments(name, spec.parameters, arguments)
        except InvalidArgument as exc:
            log_tool_call(name, arguments, "InvalidArgument", started)
            return error_result(self.__redactor, exc.message)
        app = _state(context)
        return await _run(app, spec, params, started)


class ArgumentShapes:
    """Server middleware for what the SDK would refuse with a bare "Invalid request parameters" before our
    code sees it: a tool's arguments that are not an object, and the prompt's arguments (which the SDK
    wants as strings), each checked here by its parameters model and answered with the same messages."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params if isinstance(ctx.params, dict) else {}
        name, arguments = params.get("name"), params.get("arguments")
        tool = BY_NAME.get(name) if isinstance(name, str) else None
        if ctx.method == "tools/call" and tool is not None and not isinstance(arguments, dict | None):
            started = time.perf_counter()
            try:
                parse_arguments(tool.name, tool.parameters, arguments)
            except InvalidArgument as exc:
                log_tool_call(tool.name, arguments, "InvalidArgument", started)
                return error_result(self._redactor, exc.message)
        if ctx.method == "prompts/get" and name == TRIAGE_PROMPT:
            from sigma_mcp.tools.parameters import TriageParameters

            try:
                parse_arguments(name, TriageParameters, arguments)
            except InvalidArgument as exc:
                raise MCPError(code=INVALID_PARAMS, message=self._redactor.text(exc.message)) from None
        return await call_next(ctx)


def _tool(spec: ToolSpec[Any], structured: bool) -> Tool:
    return Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=input_schema(spec.name),
        output_schema=output_schema(spec.name) if structured else None,
        annotations=ToolAnnotations.model_validate(dict(spec.annotations)),
    )


def create_server(
    settings: Settings,
    *,
    redactor: Redactor | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> SigmaServer:
    """Build the MCP server. `transport` and `retry` are passed to the `SigmaMindClient`."""
    redactor = redactor or Redactor([settings.api_key])

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        state = AppState(settings, redactor, transport, retry)
        try:
            yield state
        finally:
            await state.aclose()

    server = SigmaServer(
        settings,
        redactor,
        name="sigma-mcp",
        title="SigmaMind",
        version=__version__,
        instructions=instructions(settings),
        lifespan=lifespan,
        log_level=settings.log_level,
    )
    # Outermost first: what the shape check answers is redacted too.
    server.middleware.append(RedactingMiddleware(redactor))
    server.middleware.append(ArgumentShapes(redactor))
    _add_prompts(server)
    _add_resources(server)
    return server


def _add_prompts(server: SigmaServer) -> None:
    @server.prompt(name=TRIAGE_PROMPT, title="Triage a batch run", description=TRIAGE_DESCRIPTION)
    def triage_batch_run(
        batchId: Annotated[str, Field(description=BATCH_ARGUMENT)],
        agentId: Annotated[str, Field(description=AGENT_ARGUMENT)],
    ) -> str:
        return triage_prompt(batchId, agentId)  # the arguments were checked by SigmaServer.get_prompt


def _add_resources(server: SigmaServer) -> None:
    @server.resource(
        "sigmamind://agents/{agentId}/batch-runs/{batchId}",
        name="batch-run",
        title="SigmaMind batch run",
        description="The get_batch_run summary of one batch run, as markdown, to attach as context.",
        mime_type="text/markdown",
    )
    async def batch_run_resource(agentId: str, batchId: str, ctx: Context[AppState]) -> str:
        return await _read(_state(ctx), "get_batch_run", {"agentId": agentId, "batchId": batchId})

    @server.resource(
        "sigmamind://agents/{agentId}/batch-runs/{batchId}/test-runs/{jobId}",
        name="test-run",
        title="SigmaMind attempt (test run)",
        description="The get_test_run summary of one attempt, with its transcript, as markdown.",
        mime_type="text/markdown",
    )
    async def test_run_resource(agentId: str, batchId: str, jobId: str, ctx: Context[AppState]) -> str:
        return await _read(_state(ctx), "get_test_run", {"agentId": agentId, "batchId": batchId, "jobId": jobId})


def _state(ctx: Context[AppState, Any]) -> AppState:
    state: AppState = ctx.request_context.lifespan_context
    return state


async def _run(app: AppState, spec: ToolSpec[Any], params: Any, started: float) -> CallToolResult:
    """Run one tool call: the result, or an `isError` result a model can act on; never a traceback."""
    outcome = "ok"
    try:
        answer = await spec.run(app.client, params)
        return success_result(
            app.redactor, answer.text, answer.summary, spec.name, structured=app.settings.structured, data=answer.data
        )
    except SigmaMindError as exc:
        outcome = type(exc).__name__
        return error_result(app.redactor, exc.message)
    except Exception:
        outcome = "internal error"
        logger.exception("%s failed unexpectedly", spec.name)
        return error_result(app.redactor, _internal_error(spec.name))
    finally:
        log_tool_call(spec.name, params, outcome, started)


async def _read(app: AppState, tool: str, arguments: dict[str, str]) -> str:
    """Read a resource: its markdown, or an error with the same message a tool call would give."""
    spec = BY_NAME[tool]
    try:
        answer: Answer[Any] = await spec.run(app.client, parse_arguments(tool, spec.parameters, arguments))
        return app.redactor.text(answer.text)
    except UpstreamNotFound as exc:
        raise ResourceNotFoundError(app.redactor.text(exc.message)) from None
    except SigmaMindError as exc:
        raise ResourceError(app.redactor.text(exc.message)) from None
    except Exception:
        logger.exception("reading a resource failed unexpectedly")
        raise ResourceError(_internal_error("a resource read")) from None


def _internal_error(what: str) -> str:
    return (
        f"sigma-mcp hit an internal error while running {what}. This is a bug in sigma-mcp, not a problem with "
        "the ids or the API key; the details are in the server's log (stderr)."
    )
