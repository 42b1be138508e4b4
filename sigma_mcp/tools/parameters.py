"""The parameter types the tools share (ids that go into URLs, integers that may come as text), the base of
every tool's parameters model, and the triage prompt's parameters model.

Loaded with the first call that checks arguments, not at start-up: `tools/list` reads each tool's shipped
`input_schema.json`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

from sigma_mcp.prompts import AGENT_ARGUMENT, BATCH_ARGUMENT
from sigma_mcp.safety.ids import IdProblem, id_problem
from sigma_mcp.tools.spec import AGENT_ID_EXAMPLE, BATCH_ID_EXAMPLE, JOB_ID_EXAMPLE, TEST_CASE_ID_EXAMPLE

_INTEGER_TEXT = re.compile(r"-?[0-9]{1,18}")
"""An integer sent as a string, as some clients do: ASCII digits only, and not absurdly long."""


def _integer_text(value: object) -> object:
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value)
    return value


def _safe_id(example: str) -> Callable[[str, ValidationInfo], str]:
    def check(value: str, info: ValidationInfo) -> str:
        problem = id_problem(value)
        if problem is not None:
            raise IdProblem(info.field_name or "id", value, problem, example)
        return value

    return check


INTEGER_TEXT = BeforeValidator(_integer_text)
"""With `Field(strict=True, ge=…, le=…)` on an int: a JSON integer, or digits in a string; never a boolean or a
fraction."""

BatchId = Annotated[str, Field(strict=True), AfterValidator(_safe_id(BATCH_ID_EXAMPLE))]
AgentId = Annotated[str, Field(strict=True), AfterValidator(_safe_id(AGENT_ID_EXAMPLE))]
JobId = Annotated[str, Field(strict=True), AfterValidator(_safe_id(JOB_ID_EXAMPLE))]
TestCaseId = Annotated[str, Field(strict=True), AfterValidator(_safe_id(TEST_CASE_ID_EXAMPLE))]
"""Ids that go into URLs (see `safety.ids`), each with the example its error message gives."""


class Parameters(BaseModel):
    """A tool's parameters: its input schema, and the one validation of its arguments."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TriageParameters(BaseModel):
    """The prompt's arguments, checked as a tool's are (see `tools.arguments`)."""

    model_config = ConfigDict(extra="forbid")

    batchId: Annotated[BatchId, Field(description=BATCH_ARGUMENT)]
    agentId: Annotated[AgentId, Field(description=AGENT_ARGUMENT)]
