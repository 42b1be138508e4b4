"""What a tool is: a `ToolSpec` (name, title, description, parameters model, summary model, the function that
runs it, and its command-line form), plus the limits and examples the tools share (the parameter types are
in `tools.parameters`).

A light module on purpose: the server imports every tool's spec at start-up, before anything heavier is
needed. The parameters models and summary models are named here and imported at the first call (their
schemas are shipped as JSON); the HTTP client and the rendering are imported by each tool's `run`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.tools.common import OutputModel
    from sigma_mcp.tools.parameters import Parameters

MAX_PAGE = 200
"""Test cases in one get_batch_run answer, at most."""
MAX_OFFSET = 1_000_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_LIST_PAGE = 100_000
MAX_TURNS = 200
DEFAULT_MAX_TURNS = 20

AGENT = "agentId"
"""The parameter that names the agent: the one a default agent (SIGMAMIND_AGENT_ID) stands in for."""

BATCH_ID_EXAMPLE = "batch_s0OJu2JWR8R45Fai"
AGENT_ID_EXAMPLE = "agent_D5D0p7TUs66TTAEAx"
JOB_ID_EXAMPLE = "job_Rf01aQ7m"
TEST_CASE_ID_EXAMPLE = "tc_d17T6uReChpyfFeP"

READ_ONLY: tuple[tuple[str, bool], ...] = (
    ("readOnlyHint", True),
    ("destructiveHint", False),
    ("idempotentHint", True),
    ("openWorldHint", True),
)
"""Every tool's annotations: all of them only read."""

BATCH_ID_DESCRIPTION = (
    "The batch run's id: a batch run is one execution of a set of test cases against an agent. Shown in the "
    f"SigmaMind dashboard on the agent's batch runs, and by list_batch_runs. Example: {BATCH_ID_EXAMPLE}. ASCII "
    "letters, digits, '_', '-' or '.'."
)
AGENT_ID_DESCRIPTION = (
    "The id of the agent under test, as shown on the agent's page in the SigmaMind dashboard. Example: "
    f"{AGENT_ID_EXAMPLE}. A batch run is only found together with the id of its own agent."
)


P = TypeVar("P", bound="Parameters")
S = TypeVar("S", bound="OutputModel")


@dataclass(frozen=True)
class Answer(Generic[S]):
    """A summary and its markdown, together within TEXT_BUDGET and DATA_BUDGET."""

    summary: S
    text: str
    data: bytes = field(default=b"", repr=False, compare=False)
    """The summary as compact JSON (`pydantic_core.to_json`), as it was measured; empty when not measured."""


@dataclass(frozen=True)
class ToolSpec(Generic[P]):
    """One tool, declared once: the server, the command line, the schemas and the tests all read it."""

    name: str
    title: str
    description: str
    parameters_model: str
    """The name of the parameters model in the tool's `parameters.py`: its JSON schema, shipped as
    `input_schema.json`, is the tool's input schema."""
    run: Callable[[SigmaMindClient, P], Awaitable[Answer[Any]]]
    """Fetch, summarise and render, for arguments the parameters model has validated."""
    output: str
    """The name of the summary model in the tool's `output.py`: its JSON schema is the tool's output schema."""
    command: str
    """The `sigma-mcp` subcommand that runs the tool, and its one-line help."""
    command_help: str
    positional: tuple[str, ...] = ()
    """Parameters the command takes as positional arguments; the others are options (see `cli.commands`)."""
    annotations: tuple[tuple[str, bool], ...] = READ_ONLY
    """The MCP tool annotations, as (hint, value) pairs."""

    @property
    def parameters(self) -> type[P]:
        """The parameters model, imported at the first call (start-up reads `input_schema.json`)."""
        import importlib

        model: type[P] = getattr(
            importlib.import_module(f"sigma_mcp.tools.{self.name}.parameters"), self.parameters_model
        )
        return model

    def summary(self) -> type[OutputModel]:
        """The summary model, imported when asked for (start-up does not need it)."""
        import importlib

        model: type[OutputModel] = getattr(importlib.import_module(f"sigma_mcp.tools.{self.name}.output"), self.output)
        return model
