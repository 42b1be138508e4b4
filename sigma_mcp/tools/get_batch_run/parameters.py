"""get_batch_run's parameters model: the validation of its arguments, loaded at the first call (its JSON schema is
shipped as `input_schema.json`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sigma_mcp.tools.parameters import INTEGER_TEXT, AgentId, BatchId, Parameters, TestCaseId
from sigma_mcp.tools.spec import AGENT_ID_DESCRIPTION, BATCH_ID_DESCRIPTION, MAX_OFFSET, MAX_PAGE, TEST_CASE_ID_EXAMPLE


class BatchRunParameters(Parameters):
    batchId: Annotated[BatchId, Field(title="Batch run id", description=BATCH_ID_DESCRIPTION)]
    agentId: Annotated[AgentId, Field(title="Agent id", description=AGENT_ID_DESCRIPTION)]
    offset: Annotated[
        int,
        Field(
            strict=True,
            ge=0,
            le=MAX_OFFSET,
            description="Skip this many test cases (in the failures-first order) to page through a large batch "
            "run; a result that leaves test cases out gives the next offset.",
        ),
        INTEGER_TEXT,
    ] = 0
    limit: Annotated[
        Annotated[int, Field(strict=True, ge=1, le=MAX_PAGE), INTEGER_TEXT] | None,
        Field(
            description="Show at most this many test cases. Default: as many as fit in the answer (about 24 KB).",
        ),
    ] = None
    testCaseId: Annotated[
        TestCaseId | None,
        Field(
            description="Show only this test case, with its persona and criteria in full. "
            f"Example: {TEST_CASE_ID_EXAMPLE}."
        ),
    ] = None
