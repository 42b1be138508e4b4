"""list_batch_runs's parameters model: the validation of its arguments, loaded at the first call (its JSON schema is
shipped as `input_schema.json`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sigma_mcp.tools.parameters import INTEGER_TEXT, AgentId, Parameters
from sigma_mcp.tools.spec import AGENT_ID_DESCRIPTION, DEFAULT_PAGE_SIZE, MAX_LIST_PAGE, MAX_PAGE_SIZE


class BatchRunListParameters(Parameters):
    agentId: Annotated[AgentId, Field(title="Agent id", description=AGENT_ID_DESCRIPTION)]
    page: Annotated[
        int,
        Field(strict=True, ge=0, le=MAX_LIST_PAGE, description="0-based page number; page 0 holds the newest."),
        INTEGER_TEXT,
    ] = 0
    size: Annotated[
        int, Field(strict=True, ge=1, le=MAX_PAGE_SIZE, description="Batch runs per page."), INTEGER_TEXT
    ] = DEFAULT_PAGE_SIZE
