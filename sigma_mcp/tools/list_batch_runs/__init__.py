"""list_batch_runs: an agent's batch runs, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigma_mcp.tools.spec import Answer, ToolSpec

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.tools.list_batch_runs.output import BatchRunListSummary
    from sigma_mcp.tools.list_batch_runs.parameters import BatchRunListParameters


async def run(client: SigmaMindClient, params: BatchRunListParameters) -> Answer[BatchRunListSummary]:
    from sigma_mcp.sigmamind.payloads import BatchRunPage
    from sigma_mcp.tools.fit import fit, off_the_loop, source
    from sigma_mcp.tools.list_batch_runs.render import render_batch_run_list
    from sigma_mcp.tools.list_batch_runs.summary import summarize_batch_run_page

    body = await client.list_batch_runs(params.agentId, params.page, params.size)

    def work() -> Answer[BatchRunListSummary]:
        parsed = body.parse(BatchRunPage)

        def build(most: int) -> BatchRunListSummary:
            return summarize_batch_run_page(
                parsed.value,
                agent_id=params.agentId,
                page=params.page,
                size=params.size,
                source=source(client),
                ignored=parsed.ignored,
                max_rows=most,
            )

        return fit(build, render_batch_run_list, params.size, lambda summary: len(summary.batchRuns))

    return off_the_loop(work, body)


SPEC = ToolSpec(
    name="list_batch_runs",
    title="List an agent's batch runs",
    description="Which batch runs does an agent have, and how did the latest go? Newest first: one row per batch "
    "run (id, created, attempts, success rate) with the paging facts, and the trend of the success rate across the "
    "runs shown (improving, declining, steady or mixed; best and worst). Use it when the batch id is not known.",
    parameters_model="BatchRunListParameters",
    run=run,
    output="BatchRunListSummary",
    command="batch-runs",
    command_help="an agent's batch runs, newest first (the list_batch_runs tool)",
)
