"""get_test_run: why one attempt (test run) passed or failed, with its transcript."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigma_mcp.tools.spec import Answer, ToolSpec

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.tools.get_test_run.output import AttemptSummary
    from sigma_mcp.tools.get_test_run.parameters import AttemptParameters


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
    parameters_model="AttemptParameters",
    run=run,
    output="AttemptSummary",
    command="test-run",
    command_help="one attempt with its transcript (the get_test_run tool)",
    positional=("jobId",),
)
