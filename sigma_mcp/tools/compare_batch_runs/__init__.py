"""compare_batch_runs: did the agent get better or worse between two batch runs?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigma_mcp.tools.spec import Answer, ToolSpec

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.sigmamind.runs import ScannedRun
    from sigma_mcp.tools.compare_batch_runs.output import ComparisonSummary
    from sigma_mcp.tools.compare_batch_runs.parameters import ComparisonParameters


async def run(client: SigmaMindClient, params: ComparisonParameters) -> Answer[ComparisonSummary]:
    from sigma_mcp.tools.compare_batch_runs.render import render_comparison
    from sigma_mcp.tools.compare_batch_runs.summary import MAX_LISTED, compare_batch_runs, listed
    from sigma_mcp.tools.fit import fit, off_the_loop, source

    (base, base_age), (candidate, candidate_age) = await _fetch_both(client, params)

    def work() -> Answer[ComparisonSummary]:
        def build(most: int) -> ComparisonSummary:
            return compare_batch_runs(
                base.run,
                candidate.run,
                agent_id=params.agentId,
                base_batch_id=params.baseBatchId,
                candidate_batch_id=params.candidateBatchId,
                source=source(client),
                ignored=[
                    *(f"base: {note}" for note in base.ignored),
                    *(f"candidate: {note}" for note in candidate.ignored),
                ],
                max_listed=most,
                scanned=(base, candidate),
                cache_ages=(base_age, candidate_age),
            )

        return fit(build, render_comparison, MAX_LISTED, listed)

    return off_the_loop(work, base, candidate)


async def _fetch_both(
    client: SigmaMindClient, params: ComparisonParameters
) -> tuple[tuple[ScannedRun, float | None], tuple[ScannedRun, float | None]]:
    """Both batch runs (`runs.load_batch_run`: from the cache, or fetched at the same time); the base's failure is
    reported first."""
    import anyio

    from sigma_mcp.sigmamind.errors import SigmaMindError
    from sigma_mcp.sigmamind.runs import load_batch_run

    results: dict[str, tuple[ScannedRun, float | None] | SigmaMindError] = {}

    async def fetch(side: str, batch_id: str) -> None:
        try:
            results[side] = await load_batch_run(client, batch_id, params.agentId, keep_small=True)
        except SigmaMindError as exc:
            results[side] = exc

    async with anyio.create_task_group() as group:
        group.start_soon(fetch, "base", params.baseBatchId)
        group.start_soon(fetch, "candidate", params.candidateBatchId)
    base, candidate = results["base"], results["candidate"]
    if isinstance(base, SigmaMindError):
        raise base.amended(prefix="Could not fetch the base batch run: ")
    if isinstance(candidate, SigmaMindError):
        raise candidate.amended(prefix="Could not fetch the candidate batch run: ")
    return base, candidate


SPEC = ToolSpec(
    name="compare_batch_runs",
    title="Compare two batch runs",
    description="Did the agent get better or worse? Compares a base (earlier) and a candidate (later) batch run of "
    "one agent: the success-rate change in percentage points, attempts on each side, test cases added, removed or "
    "configured differently, and per-test-case changes where per-attempt results exist.",
    parameters_model="ComparisonParameters",
    run=run,
    output="ComparisonSummary",
    command="compare",
    command_help="compare two batch runs (the compare_batch_runs tool)",
    positional=("baseBatchId", "candidateBatchId"),
)
