"""The MCP server: every tool in the registry, the triage prompt, resource templates (and, with a default agent,
its recent batch runs as listed resources), completions, and the shape of every result.

`SigmaServer` lists and calls the registry's tools itself, through `MCPServer`'s public `list_tools` and
`call_tool`: the input schema is the tool's parameters model, the output schema its summary model's (shipped
as JSON, see `tools.schemas`), and the arguments are validated once, by the parameters model, with errors a
model can act on (see `tools.arguments`). Every tool result leaves through `results`, which redacts the API key
from all text.

The default agent (SIGMAMIND_AGENT_ID) makes `agentId` optional: the tools' input schemas and the prompt say so
(and what it is), and `tools.arguments` puts it in; the resources and completions are in `resources`.

Start-up imports only what `initialize` and `tools/list` need: the HTTP client, the API models, the summaries
and the rendering are loaded with the first call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.prompts.base import PromptArgument
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolResult,
    InputRequiredResult,
    Resource,
    Tool,
    ToolAnnotations,
)

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
from sigma_mcp.resources import RecentListings, StateInContext, add_resources, listed_resources
from sigma_mcp.results import RedactingMiddleware, error_result, log_tool_call, success_result
from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.sigmamind.errors import ConfigurationError, InvalidArgument, SigmaMindError
from sigma_mcp.tools.arguments import default_agent_note, parse_arguments
from sigma_mcp.tools.schemas import input_schema, output_schema
from sigma_mcp.tools.spec import AGENT

if TYPE_CHECKING:
    import httpx

    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.sigmamind.retry import RetryPolicy
    from sigma_mcp.tools.spec import ToolSpec

logger = logging.getLogger(__name__)


@dataclass
class AppState:
    """What every call shares for the life of the server: one SigmaMind client, made at the first call."""

    settings: Settings
    redactor: Redactor
    transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy | None = None
    recent: RecentListings = field(default_factory=RecentListings)
    """The default agent's recent batch runs, kept for resources/list and completions (see `resources`)."""
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
        self.__settings = settings
        self.__redactor = redactor
        self.__tools = [_tool(spec, settings) for spec in TOOLS]

    async def list_tools(self) -> list[Tool]:
        return [*self.__tools, *await super().list_tools()]

    async def list_resources(self) -> list[Resource]:
        return [*await super().list_resources(), *await listed_resources(self.__settings)]

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
            default_agent_id = self.__settings.agent_default()
            params = parse_arguments(name, spec.parameters, arguments, default_agent_id=default_agent_id)
        except (InvalidArgument, ConfigurationError) as exc:
            log_tool_call(name, arguments, type(exc).__name__, started)
            return error_result(self.__redactor, exc.message)
        app = app_state(context)
        return await _run(app, spec, params, started)


class ArgumentShapes:
    """Server middleware for what the SDK would refuse with a bare "Invalid request parameters" before our
    code sees it: a tool's arguments that are not an object, and the prompt's arguments (which the SDK
    wants as strings), each checked here by its parameters model and answered with the same messages."""

    def __init__(self, redactor: Redactor, settings: Settings) -> None:
        self._redactor = redactor
        self._settings = settings

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
                default = self._settings.agent_default()
                parse_arguments(name, TriageParameters, arguments, default_agent_id=default)
            except (InvalidArgument, ConfigurationError) as exc:
                code = INVALID_PARAMS if isinstance(exc, InvalidArgument) else INTERNAL_ERROR
                raise MCPError(code=code, message=self._redactor.text(exc.message)) from None
            if default is not None and isinstance(arguments, dict) and arguments.get("agentId", 0) in (None, ""):
                # Accepted as the default agent, as a tool call's is: left out for the SDK, which takes only text.
                del arguments["agentId"]
        return await call_next(ctx)


def _tool(spec: ToolSpec[Any], settings: Settings) -> Tool:
    schema = input_schema(spec.name)
    if settings.default_agent_id is not None:
        _agent_optional(schema, settings.default_agent_id)
    return Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=schema,
        output_schema=output_schema(spec.name) if settings.structured else None,
        annotations=ToolAnnotations.model_validate(dict(spec.annotations)),
    )


def _agent_optional(schema: dict[str, Any], agent_id: str) -> None:
    """The shipped input schema (the parameters model's, where `agentId` is required) as it is with a default
    agent: `agentId` not required, its default and description saying what a call that leaves it out gets."""
    agent = schema["properties"].get(AGENT)
    if agent is None:
        return
    agent["default"] = agent_id
    agent["description"] = f"{agent['description']} {default_agent_note(agent_id)}"
    required = [name for name in schema.get("required", []) if name != AGENT]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)


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
    server.middleware.append(ArgumentShapes(redactor, settings))
    server.middleware.append(StateInContext())
    _add_prompts(server, settings.default_agent_id)
    add_resources(server, settings)
    return server


def _add_prompts(server: SigmaServer, default_agent_id: str | None) -> None:
    def triage_batch_run(batchId: str, agentId: str | None = None) -> str:
        from sigma_mcp.tools.parameters import TriageParameters

        # Checked by ArgumentShapes already; parsed again here to put in the default agent.
        given = {"batchId": batchId} if agentId is None else {"batchId": batchId, "agentId": agentId}
        params = parse_arguments(TRIAGE_PROMPT, TriageParameters, given, default_agent_id=default_agent_id)
        return triage_prompt(params.batchId, params.agentId)

    agent = AGENT_ARGUMENT if default_agent_id is None else f"{AGENT_ARGUMENT} {default_agent_note(default_agent_id)}"
    prompt = Prompt.from_function(
        triage_batch_run, name=TRIAGE_PROMPT, title="Triage a batch run", description=TRIAGE_DESCRIPTION
    )
    arguments = [
        PromptArgument(name="batchId", description=BATCH_ARGUMENT, required=True),
        PromptArgument(name=AGENT, description=agent, required=default_agent_id is None),
    ]
    server.add_prompt(prompt.model_copy(update={"arguments": arguments}))


def app_state(ctx: Context[AppState, Any]) -> AppState:
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
        return error_result(app.redactor, internal_error(spec.name))
    finally:
        log_tool_call(spec.name, params, outcome, started)


def internal_error(what: str) -> str:
    return (
        f"sigma-mcp hit an internal error while running {what}. This is a bug in sigma-mcp, not a problem with "
        "the ids or the API key; the details are in the server's log (stderr)."
    )
