"""What each tool does, independent of how it is called (MCP tool, resource or command line):
validate the arguments, fetch, summarise, render, and keep the answer within its budget."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio

from sigma_mcp.client import Body, SigmaMindClient
from sigma_mcp.errors import NotInBatchRun, SigmaMindError
from sigma_mcp.ids import check_count, check_id
from sigma_mcp.limits import (
    AGENT_ID_EXAMPLE,
    BATCH_ID_EXAMPLE,
    DEFAULT_MAX_TURNS,
    DEFAULT_PAGE_SIZE,
    JOB_ID_EXAMPLE,
    MAX_LIST_PAGE,
    MAX_OFFSET,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_TURNS,
    TEST_CASE_ID_EXAMPLE,
)
from sigma_mcp.models import BatchRunPage, BatchRunPayload, TestRunPayload, without_collector
from sigma_mcp.render.batch_run import render_batch_run, test_case_size
from sigma_mcp.render.batch_runs import render_batch_run_list
from sigma_mcp.render.comparison import render_comparison
from sigma_mcp.render.test_run import render_test_run
from sigma_mcp.summaries.batch_run import BatchRunSummary, Window, summarize_batch_run
from sigma_mcp.summaries.batch_runs import BatchRunListSummary, summarize_batch_run_page
from sigma_mcp.summaries.common import DATA_BUDGET, LINE_LIMIT, TEXT_BUDGET, OutputModel, Source, json_size
from sigma_mcp.summaries.comparison import MAX_LISTED, ComparisonSummary, compare_batch_runs
from sigma_mcp.summaries.test_run import TestRunSummary, TurnWindow, summarize_test_run
from sigma_mcp.text import plural

S = TypeVar("S", bound=OutputModel)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer(Generic[S]):
    """A summary and its markdown, together within TEXT_BUDGET and DATA_BUDGET."""

    summary: S
    text: str


async def get_batch_run(
    client: SigmaMindClient,
    batch_id: object,
    agent_id: object,
    *,
    offset: object = 0,
    limit: object = None,
    test_case_id: object = None,
) -> Answer[BatchRunSummary]:
    batch_id = check_id("batchId", batch_id, example=BATCH_ID_EXAMPLE)
    agent_id = check_id("agentId", agent_id, example=AGENT_ID_EXAMPLE)
    offset = check_count("offset", offset, minimum=0, maximum=MAX_OFFSET)
    limit = None if limit is None else check_count("limit", limit, minimum=1, maximum=MAX_PAGE)
    test_case_id = None if test_case_id is None else check_id("testCaseId", test_case_id, example=TEST_CASE_ID_EXAMPLE)
    body = await client.get_batch_run(batch_id, agent_id)

    def work() -> Answer[BatchRunSummary]:
        parsed = body.parse(BatchRunPayload)

        def build(most: int) -> BatchRunSummary:
            return summarize_batch_run(
                parsed.value,
                batch_id=batch_id,
                agent_id=agent_id,
                source=_source(client),
                ignored=parsed.ignored,
                window=Window(offset=offset, limit=most, test_case_id=test_case_id),
                text_cost=test_case_size,
            )

        return _fit(build, render_batch_run, limit or MAX_PAGE, lambda summary: len(summary.testCases))

    answer = _answer(work)
    if test_case_id is not None and not answer.summary.testCases and not answer.summary.testCasesNotShown:
        raise NotInBatchRun(
            f"Batch run {batch_id} has no test case with testCaseId {test_case_id} (it has "
            f"{plural(answer.summary.testCaseCount, 'test case')}). Call get_batch_run without testCaseId to see "
            "their ids."
        )
    return answer


async def get_test_run(
    client: SigmaMindClient,
    job_id: object,
    batch_id: object,
    agent_id: object,
    *,
    max_turns: object = DEFAULT_MAX_TURNS,
    turn_offset: object = None,
) -> Answer[TestRunSummary]:
    job_id = check_id("jobId", job_id, example=JOB_ID_EXAMPLE)
    batch_id = check_id("batchId", batch_id, example=BATCH_ID_EXAMPLE)
    agent_id = check_id("agentId", agent_id, example=AGENT_ID_EXAMPLE)
    max_turns = check_count("maxTurns", max_turns, minimum=1, maximum=MAX_TURNS)
    turn_offset = None if turn_offset is None else check_count("turnOffset", turn_offset, minimum=0, maximum=MAX_OFFSET)
    body = await client.get_test_run(job_id, batch_id, agent_id)

    def work() -> Answer[TestRunSummary]:
        parsed = body.parse(TestRunPayload)

        def build(most: int, compact: bool = False) -> TestRunSummary:
            return summarize_test_run(
                parsed.value,
                job_id=job_id,
                batch_id=batch_id,
                agent_id=agent_id,
                source=_source(client),
                ignored=parsed.ignored,
                window=TurnWindow(max_turns=most, offset=turn_offset, compact=compact),
            )

        return _fit(
            build,
            render_test_run,
            max_turns,
            lambda summary: len(summary.conversation),
            compact=lambda most: build(most, compact=True),
        )

    return _answer(work)


async def list_batch_runs(
    client: SigmaMindClient, agent_id: object, *, page: object = 0, size: object = DEFAULT_PAGE_SIZE
) -> Answer[BatchRunListSummary]:
    agent_id = check_id("agentId", agent_id, example=AGENT_ID_EXAMPLE)
    page = check_count("page", page, minimum=0, maximum=MAX_LIST_PAGE)
    size = check_count("size", size, minimum=1, maximum=MAX_PAGE_SIZE)
    body = await client.list_batch_runs(agent_id, page, size)

    def work() -> Answer[BatchRunListSummary]:
        parsed = body.parse(BatchRunPage)

        def build(most: int) -> BatchRunListSummary:
            return summarize_batch_run_page(
                parsed.value,
                agent_id=agent_id,
                page=page,
                size=size,
                source=_source(client),
                ignored=parsed.ignored,
                max_rows=most,
            )

        return _fit(build, render_batch_run_list, size, lambda summary: len(summary.batchRuns))

    return _answer(work)


async def compare(
    client: SigmaMindClient, agent_id: object, base_batch_id: object, candidate_batch_id: object
) -> Answer[ComparisonSummary]:
    agent_id = check_id("agentId", agent_id, example=AGENT_ID_EXAMPLE)
    base_batch_id = check_id("baseBatchId", base_batch_id, example=BATCH_ID_EXAMPLE)
    candidate_batch_id = check_id("candidateBatchId", candidate_batch_id, example=BATCH_ID_EXAMPLE)
    base_body, candidate_body = await _fetch_both(client, agent_id, base_batch_id, candidate_batch_id)

    def work() -> Answer[ComparisonSummary]:
        base, candidate = base_body.parse(BatchRunPayload), candidate_body.parse(BatchRunPayload)

        def build(most: int) -> ComparisonSummary:
            return compare_batch_runs(
                base.value,
                candidate.value,
                agent_id=agent_id,
                base_batch_id=base_batch_id,
                candidate_batch_id=candidate_batch_id,
                source=_source(client),
                ignored=[
                    *(f"base: {note}" for note in base.ignored),
                    *(f"candidate: {note}" for note in candidate.ignored),
                ],
                max_listed=most,
            )

        return _fit(build, render_comparison, MAX_LISTED, _listed)

    return _answer(work)


async def _fetch_both(
    client: SigmaMindClient, agent_id: str, base_batch_id: str, candidate_batch_id: str
) -> tuple[Body, Body]:
    """Both batch runs, fetched at the same time; the base's failure is reported first."""
    results: dict[str, Body | SigmaMindError] = {}

    async def fetch(side: str, batch_id: str) -> None:
        try:
            results[side] = await client.get_batch_run(batch_id, agent_id)
        except SigmaMindError as exc:
            results[side] = exc

    async with anyio.create_task_group() as group:
        group.start_soon(fetch, "base", base_batch_id)
        group.start_soon(fetch, "candidate", candidate_batch_id)
    base, candidate = results["base"], results["candidate"]
    if isinstance(base, SigmaMindError):
        raise base.amended(prefix="Could not fetch the base batch run: ")
    if isinstance(candidate, SigmaMindError):
        raise candidate.amended(prefix="Could not fetch the candidate batch run: ")
    return base, candidate


def _answer(work: Callable[[], Answer[S]]) -> Answer[S]:
    """Parse, summarise and render: one synchronous stretch, with the cycle collector paused until the
    parsed body is gone (see `models.without_collector`)."""
    started = time.perf_counter()
    answer = without_collector(work)
    logger.debug("parsed, summarised and rendered in %.0f ms", (time.perf_counter() - started) * 1000)
    return answer


def _source(client: SigmaMindClient) -> Source:
    return "demo" if client.settings.demo else "sigmamind"


def _fit(
    build: Callable[[int], S],
    render: Callable[[S], str],
    most: int,
    count: Callable[[S], int],
    *,
    compact: Callable[[int], S] | None = None,
) -> Answer[S]:
    """Build with at most `most` items, and with fewer until both the text and the data fit their budgets;
    then, if a `compact` form is given, the same with it (the full form keeps at least one item then, so an
    answer never drops all of its items while a compact form could show some); and as a last resort, the
    smallest candidate with its longest strings shortened until both fit.

    The summaries budget their own lists, so this rarely does more than one pass; it makes the bound
    hold whatever the data holds.
    """
    candidates = []
    forms = [(build, 0)] if compact is None else [(build, 1), (compact, 0)]
    for form, floor in forms:
        size = most
        while True:
            summary = form(size)
            if _fits(summary, text := render(summary)):
                return Answer(summary, text)
            candidates.append(summary)
            shown = count(summary)
            if size <= floor or shown <= floor:
                break
            size = max(floor, min(size, shown) * 3 // 4)
    summary = _shortened(min(candidates, key=lambda candidate: json_size(candidate.model_dump(mode="json"))))
    text = render(summary)
    return Answer(summary, text if len(text.encode()) <= TEXT_BUDGET else cut_text(text))


def _shortened(summary: S) -> S:
    """`summary` with its longest strings cut by half, one at a time, until it fits DATA_BUDGET."""
    data = summary.model_dump(mode="json")
    for _ in range(200):
        if json_size(data) <= DATA_BUDGET:
            break
        holder, key, value = max(_strings(data), key=lambda found: len(found[2].encode()))
        if len(value) <= LINE_LIMIT:
            break  # nothing long is left: the budget holds more short strings than any summary has
        kept = len(value) // 2
        holder[key] = f"{value[:kept]}… [{len(value) - kept} more characters not shown]"
    return type(summary).model_validate(data)


def _strings(node: Any) -> Iterator[tuple[Any, Any, str]]:
    """Every string of a JSON value, with the dict or list holding it and its key or index there."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, str):
            yield node, key, value
        else:
            yield from _strings(value)


def _fits(summary: OutputModel, text: str) -> bool:
    return len(text.encode()) <= TEXT_BUDGET and json_size(summary.model_dump(mode="json")) <= DATA_BUDGET


def _listed(summary: ComparisonSummary) -> int:
    return max(
        len(summary.testCasesAdded),
        len(summary.testCasesRemoved),
        len(summary.testCasesChanged),
        len(summary.testCaseDeltas),
    )


def cut_text(text: str, budget: int = TEXT_BUDGET) -> str:
    """`text` shortened to `budget` bytes at a line break: an open fenced block is closed, a note says
    what happened, and the "## Next steps" section is kept."""
    # Ours is the last section: an earlier "## Next steps" can only be third-party text inside a fence.
    head, marker, steps = text.rpartition("\n## Next steps\n")
    body, tail = (head, marker + steps) if marker else (text, "")
    note = "\n\n[The rest of this answer was cut to stay within 24 KB.]\n"
    room = budget - len(note.encode()) - len(tail.encode()) - 16  # 16: a closing fence
    if room < budget // 2:  # the steps themselves are too long: cut everything together
        body, tail, room = text, "", budget - len(note.encode()) - 16
    kept: list[str] = []
    used = 0
    fence: str | None = None
    for line in body.split("\n"):
        size = len(line.encode()) + 1
        if used + size > room:
            break
        kept.append(line)
        used += size
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
        elif fence is not None and stripped.startswith(fence) and stripped.strip(fence[0]) == "":
            fence = None
    if fence is not None:
        kept.append(fence)
    return "\n".join(kept) + note + ("\n" + tail.lstrip("\n") if tail else "")
