"""get_test_run's parameters model: the validation of its arguments, loaded at the first call (its JSON schema is
shipped as `input_schema.json`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sigma_mcp.tools.parameters import INTEGER_TEXT, AgentId, BatchId, JobId, Parameters
from sigma_mcp.tools.spec import (
    AGENT_ID_DESCRIPTION,
    BATCH_ID_DESCRIPTION,
    DEFAULT_MAX_TURNS,
    JOB_ID_EXAMPLE,
    MAX_OFFSET,
    MAX_TURNS,
)


class AttemptParameters(Parameters):
    jobId: Annotated[
        JobId,
        Field(
            title="Attempt id (jobId)",
            description="The id of one attempt (test run) of a batch run. get_batch_run lists the jobIds of failed "
            "attempts next to the judge's remarks when the API sends per-attempt results. Example: "
            f"{JOB_ID_EXAMPLE}.",
        ),
    ]
    batchId: Annotated[BatchId, Field(title="Batch run id", description=BATCH_ID_DESCRIPTION)]
    agentId: Annotated[AgentId, Field(title="Agent id", description=AGENT_ID_DESCRIPTION)]
    maxTurns: Annotated[
        int,
        Field(
            strict=True,
            ge=1,
            le=MAX_TURNS,
            description="Show at most this many turns of the transcript. Fewer turns are shown longer: ask for "
            "fewer to read long turns whole.",
        ),
        INTEGER_TEXT,
    ] = DEFAULT_MAX_TURNS
    turnOffset: Annotated[
        Annotated[int, Field(strict=True, ge=0, le=MAX_OFFSET), INTEGER_TEXT] | None,
        Field(description="Show turns from this 0-based position on. Default: the first and the last turns."),
    ] = None
