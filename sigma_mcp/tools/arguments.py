"""Arguments, validated once by a tool's (or prompt's) parameters model, and pydantic's errors said the way a
model can act on: one message naming the parameter and the shape it accepts.

The default agent (SIGMAMIND_AGENT_ID) is put in here, the one place for every tool, the prompt, the resources and
the command line: a parameters model's `agentId` stays a required str, so each tool's `run` always has one.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sigma_mcp.config import AGENT_ID_VAR
from sigma_mcp.safety.ids import IdProblem
from sigma_mcp.safety.text import describe_json_type
from sigma_mcp.sigmamind.errors import InvalidArgument
from sigma_mcp.tools.spec import AGENT

M = TypeVar("M", bound=BaseModel)

NOTHING_SENT = "Nothing was sent to SigmaMind."
NO_DEFAULT_AGENT = (
    "Ask the user for it; or, to make one agent the default whenever agentId is left out, set "
    f'{AGENT_ID_VAR} to its id in the server\'s environment (for a server the MCP client starts, the "env" block '
    "of the client's configuration; for a shared one, its operator's) and restart the server."
)
"""What a call that names no agent is told, when there is no default."""


def default_agent_note(agent_id: str) -> str:
    """What the input schemas and the prompt add to agentId's description when there is a default agent."""
    return f"Optional on this server: left out, it is {agent_id}, the default agent set by {AGENT_ID_VAR}."


def parse_arguments(owner: str, model: type[M], arguments: object, *, default_agent_id: str | None = None) -> M:
    """`arguments` validated by `model`, else `InvalidArgument` saying what is wrong (`owner`: the tool or
    prompt, as the message names it). With `default_agent_id` (`Settings.agent_default`), an `agentId` that is
    left out, null or empty is that one."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        _refuse(f"Invalid arguments for {owner}: expected an object of named parameters ({_accepted(model)}).")
    fields = model.model_fields
    unknown = [key for key in arguments if key not in fields]
    if unknown:  # said before validating: pydantic would build an error for each of them, however many
        _refuse(_unknown(owner, model, unknown))
    if default_agent_id is not None and AGENT in fields and arguments.get(AGENT) in (None, ""):
        arguments = {**arguments, AGENT: default_agent_id}  # left out, null or empty: the default
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        _refuse(describe_errors(owner, model, arguments, exc.errors()))


def _unknown(owner: str, model: type[BaseModel], unknown: list[Any]) -> str:
    shown = ", ".join(ascii(str(key)[:40]) for key in unknown[:5])
    return (
        f"Unknown parameter{'s' if len(unknown) > 1 else ''} {shown} for {owner}. "
        f"It accepts: {_accepted(model)}. {NOTHING_SENT}"
    )


def _refuse(message: str) -> NoReturn:
    raise InvalidArgument(message)


def describe_errors(owner: str, model: type[BaseModel], arguments: dict[Any, Any], errors: list[ErrorDetails]) -> str:
    """The one message for a failed validation: unknown parameters first, then missing ones, then the first
    bad value in the order the caller sent them."""
    unknown = [error["loc"][0] for error in errors if error["type"] == "extra_forbidden" and error["loc"]]
    if unknown:
        return _unknown(owner, model, unknown)
    fields = model.model_fields
    missing = {error["loc"][0] for error in errors if error["type"] == "missing" and error["loc"]}
    for name in fields:
        if name in missing:
            hint = f" {NO_DEFAULT_AGENT}" if name == AGENT else ""
            return f"Missing required parameter {name} for {owner}. {fields[name].description or ''}".strip() + hint
    order = list(arguments)
    error = min(errors, key=lambda found: order.index(found["loc"][0]) if found["loc"][0] in order else len(order))
    name = str(error["loc"][0])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, IdProblem):
        return str(cause)
    return f"Invalid {name} for {owner}: {_problem(model, name, error, arguments.get(name))}. {NOTHING_SENT}"


def _problem(model: type[BaseModel], name: str, error: ErrorDetails, value: object) -> str:
    ctx = error.get("ctx") or {}
    if error["type"] == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {_number(error['input'])}"
    if error["type"] == "less_than_equal":
        return f"must be at most {ctx['le']}, got {_number(error['input'])}"
    spec = model.model_json_schema()["properties"].get(name, {})
    types = [option.get("type") for option in spec.get("anyOf", [spec])]
    wanted = " or ".join(
        "null" if kind == "null" else f"a{'n' if str(kind)[0] in 'aeiou' else ''} {kind}" for kind in types
    )
    return f"expected {wanted}, got {describe_json_type(value)}"


def _number(value: object) -> str:
    shown = str(value)
    return shown if len(shown) <= 40 else f"a number of {len(shown)} digits"


def _accepted(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields) or "no parameters"
