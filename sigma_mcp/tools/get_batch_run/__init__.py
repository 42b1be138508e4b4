"""get_batch_run: how one batch run went, and why its attempts failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigma_mcp.tools.spec import MAX_PAGE, Answer, ToolSpec

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.tools.get_batch_run.output import BatchRunSummary
    from sigma_mcp.tools.get_batch_run.parameters import BatchRunParameters


async def run(client: SigmaMindClient, params: BatchRunParameters) -> Answer[BatchRunSummary]:
    from sigma_mcp.safety.text import plural
    from sigma_mcp.sigmamind.errors import NotInBatchRun
    from sigma_mcp.sigmamind.runs import load_batch_run
    from sigma_mcp.tools.fit import fit, off_the_loop, source
    from sigma_mcp.tools.get_batch_run.render import Rendered
    from sigma_mcp.tools.get_batch_run.summary import Window, summarize_batch_run

    scanned, age = await load_batch_run(client, params.batchId, params.agentId)

    def work() -> Answer[BatchRunSummary]:
        rendered = Rendered()

        def build(most: int) -> BatchRunSummary:
            return summarize_batch_run(
                scanned.run,
                batch_id=params.batchId,
                agent_id=params.agentId,
                source=source(client),
                ignored=scanned.ignored,
                window=Window(offset=params.offset, limit=most, test_case_id=params.testCaseId),
                text_cost=rendered.size,
                scanned=scanned,
                cache_age=age,
            )

        return fit(build, rendered.render, params.limit or MAX_PAGE, lambda summary: len(summary.testCases))

    result = off_the_loop(work, scanned)
    summary = result.summary
    if params.testCaseId is not None and not summary.testCases and not summary.testCasesNotShown:
        raise NotInBatchRun(
            f"Batch run {params.batchId} has no test case with testCaseId {params.testCaseId} (it has "
            f"{plural(summary.testCaseCount, 'test case')}). Call get_batch_run without testCaseId to see their ids."
        )
    return result


SPEC = ToolSpec(
    name="get_batch_run",
    title="Get a SigmaMind batch run",
    description="How did a batch run go, and why did attempts fail? Returns a one-line verdict, attempt counts and "
    "the success rate over the whole batch, flaky test cases (passed and failed) apart from consistent failures, "
    "warnings (e.g. still running, counts that do not add up), the failure themes of the whole batch (the judge's "
    "remarks grouped by what they say, with counts and jobIds), and the test cases with failures first: each one's "
    "results, its remarks grouped with their jobIds, persona, success criteria and mock data. Large batch runs are "
    "paged with offset/limit, or narrowed with testCaseId.",
    parameters_model="BatchRunParameters",
    run=run,
    output="BatchRunSummary",
    command="batch-run",
    command_help="one batch run's summary (the get_batch_run tool)",
    positional=("batchId",),
)
