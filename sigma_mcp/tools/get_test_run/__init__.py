"""get_test_run: why one attempt (test run) passed or failed, with its transcript."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sigma_mcp.tools.spec import (
    AGENT_ID_DESCRIPTION,
    BATCH_ID_DESCRIPTION,
    DEFAULT_MAX_TURNS,
    INTEGER_TEXT,
    JOB_ID_EXAMPLE,
    MAX_OFFSET,
    MAX_TURNS,
    AgentId,
    Answer,
    BatchId,
    JobId,
    Parameters,
    ToolSpec,
)

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.tools.get_test_run.output import AttemptSummary


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


async def run(client: SigmaMindClient, params: AttemptParameters) -> Answer[AttemptSummary]:
    from sigma_mcp.sigmamind.payloads import AttemptPayload
    from sigma_mcp.tools.fit import fit, off_the_loop, source
    from sigma_mcp.tools.get_test_run.render import render_test_run
    from sigma_mcp.tools.get_test_run.summary import TurnWindow, summarize_test_run

    body = await client.get_test_run(params.jobId, params.batchId, params.agentId)

    def work() -> Answer[AttemptSummary]:
        parsed = body.parse(AttemptPayload)

        def build(most: int, compact: bool = False) -> AttemptSummary:
            return summarize_test_run(
                parsed.value,
                job_id=params.jobId,
                batch_id=params.batchId,
                agent_id=params.agentId,
                source=source(client),
                ignored=parsed.ignored,
                window=TurnWindow(max_turns=most, offset=params.turnOffset, compact=compact),
            )

        return fit(
            build,
            render_test_run,
            params.maxTurns,
            lambda summary: len(summary.conversation),
            compact=lambda most: build(most, compact=True),
        )

    return off_the_loop(work, body)


SPEC = ToolSpec(
    name="get_test_run",
    title="Get one attempt (test run)",
    description="Why did one attempt pass or fail? Returns the judge's verdict and remarks first, then the test "
    "case's success criteria and persona, timing, and the transcript (first and last turns of a long one, with how "
    "to page through the rest via turnOffset/maxTurns).",
    parameters=AttemptParameters,
    run=run,
    output="AttemptSummary",
    command="test-run",
    command_help="one attempt with its transcript (the get_test_run tool)",
    positional=("jobId",),
)
