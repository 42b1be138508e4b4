"""compare_batch_runs's parameters model: the validation of its arguments, loaded at the first call (its JSON schema is
shipped as `input_schema.json`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sigma_mcp.tools.parameters import AgentId, BatchId, Parameters
from sigma_mcp.tools.spec import AGENT_ID_DESCRIPTION


class ComparisonParameters(Parameters):
    agentId: Annotated[AgentId, Field(title="Agent id", description=AGENT_ID_DESCRIPTION)]
    baseBatchId: Annotated[
        BatchId,
        Field(
            title="Base batch run id",
            description="The earlier batch run, compared against (e.g. the one before a prompt change).",
        ),
    ]
    candidateBatchId: Annotated[
        BatchId,
        Field(
            title="Candidate batch run id",
            description="The later batch run, being judged (e.g. the one after the change).",
        ),
    ]
