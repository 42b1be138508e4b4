"""The test-run listing (`GET /v1/test-runs?batchId=&agentId=&page=&size=`, inferred from the API reference): asked
for when a batch run has failed attempts but embeds no per-attempt records, paged within the call's time, its
remarks grouped as embedded ones are; and, when the API has no such listing, never asked for again.

Through the MCP protocol, against a loopback stand-in for the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import API_KEY, connect, settings_for
from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind, Reply, Seen, api_error
from tests.test_server import AGENT, text_of

pytestmark = pytest.mark.anyio

BATCH = "batch_Lst5Qw8Er2Ty"
ASKED_TWICE = [
    "The agent asked for the order number again at turn {turn} although {name} had already given it.",
    "Agent requested the order number a second time (turn {turn}) after {name} provided it.",
]
NO_TIMELINE = "The agent never said how long the refund takes."


def documented_batch(test_cases: int = 3, attempts: int = 3, failed: int = 4, batch_id: str = BATCH) -> dict[str, Any]:
    """A batch run shaped like the documented one: counts, but no per-attempt records in its test cases."""
    body = make_batch_run(test_cases, batch_id=batch_id, attempts=attempts)
    total = test_cases * attempts
    body.update(successfulAttempts=total - failed, failedAttempts=failed, totalAttempts=total)
    return body


def repeated(runs: list[dict[str, Any]], times: int) -> list[dict[str, Any]]:
    """`runs` `times` over, each copy's jobIds its own (the listing counts an attempt once, by its jobId)."""
    return [{**run, "jobId": f"{run['jobId']}_{copy}"} for copy in range(times) for run in runs]


def listed_runs(body: dict[str, Any], failures: dict[tuple[int, int], str]) -> list[dict[str, Any]]:
    """Every attempt of `body` as the listing would send it (Get Test Run's shape); `failures` maps
    (test case, attempt) to the remarks of a failed one."""
    runs = []
    for number, test_case in enumerate(body["testCases"]):
        for attempt in range(test_case["attempt"]):
            remarks = failures.get((number, attempt))
            runs.append(
                {
                    "batchId": body["batchId"],
                    "agent": body["agent"],
                    "testCase": {key: value for key, value in test_case.items()},
                    "jobId": f"job_{number}_{attempt}",
                    "isSuccessful": remarks is None,
                    "remarks": remarks or "All criteria met.",
                    "conversation": [{"role": "user", "content": "a long transcript " * 20}],
                }
            )
    return runs


FAILURES = {
    (0, 0): ASKED_TWICE[0].format(turn=3, name="Priya"),
    (0, 1): ASKED_TWICE[1].format(turn=5, name="Sam"),
    (1, 2): ASKED_TWICE[0].format(turn=4, name="Lena"),
    (2, 0): NO_TIMELINE,
}


async def get(api: FakeSigmaMind, batch_id: str = BATCH, **env: str) -> Any:
    async with connect(settings_for(api, **env)) as client:
        return await client.call_tool("get_batch_run", {"batchId": batch_id, "agentId": AGENT})


async def test_the_listing_gives_every_attempt_its_remarks_grouped_into_themes(api: FakeSigmaMind) -> None:
    body = documented_batch()
    api.add_batch_run(body)
    runs = listed_runs(body, FAILURES)
    api.add_test_run_listing(repeated(runs, 30), batch_id=BATCH, agent_id=AGENT)  # 270 attempts: three pages of 100

    result = await get(api)
    data = result.structured_content
    assert result.is_error is False
    listed = api.listing_requests()
    assert [seen.query["page"] for seen in listed] == [["0"], ["1"], ["2"]]
    assert all(seen.query["size"] == ["100"] and seen.query["batchId"] == [BATCH] for seen in listed)
    assert all(seen.query["agentId"] == [AGENT] and seen.headers["x-api-key"] == API_KEY for seen in listed)
    themes = [(theme["count"], theme["testCaseIds"]) for theme in data["failureThemes"]]
    assert themes == [(90, ["tc_000000", "tc_000001"]), (30, ["tc_000002"])]
    first = data["testCases"][0]
    assert first["testCaseId"] == "tc_000000"
    assert (first["results"]["passed"], first["results"]["failed"]) == (30, 60)
    assert first["flaky"] is True
    assert any("read from GET /v1/test-runs?batchId=" in warning for warning in data["warnings"])
    assert any("not document" in warning for warning in data["warnings"])
    text = text_of(result)
    assert "## Failure themes (120 failed attempts in 2 themes" in text
    assert "a long transcript" not in text  # the listing's transcripts are dropped


async def test_a_bare_array_of_test_runs_is_a_listing_too(api: FakeSigmaMind) -> None:
    body = documented_batch()
    api.add_batch_run(body)
    api.add_test_run_listing(listed_runs(body, FAILURES), batch_id=BATCH, agent_id=AGENT, envelope=False)
    data = (await get(api)).structured_content
    assert [theme["count"] for theme in data["failureThemes"]] == [3, 1]
    assert len(api.listing_requests()) == 1  # fewer than a page: the last one
    assert data["consistentlyFailingTestCases"] == 0
    assert data["flakyTestCases"] == 3


@pytest.mark.parametrize(
    "answer",
    [
        api_error(404, "Not Found", "Resource not found", "/v1/test-runs"),
        api_error(405, "Method Not Allowed", "Request method 'GET' is not supported", "/v1/test-runs"),
        Reply.json({"status": "ok"}),
        Reply(status=200, body=b"<html>dashboard</html>", headers={"Content-Type": "text/html"}),
    ],
    ids=["404", "405", "other-json", "html"],
)
async def test_an_absent_listing_is_said_and_never_asked_for_again(api: FakeSigmaMind, answer: Reply) -> None:
    api.add_batch_run(documented_batch())
    api.add_batch_run(documented_batch(batch_id="batch_Other2"))
    default = api.handler

    def handler(seen: Seen) -> Reply:
        return answer if seen.path == "/v1/test-runs" else default(seen)

    api.handler = handler
    async with connect(settings_for(api)) as client:
        first = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
        second = await client.call_tool("get_batch_run", {"batchId": "batch_Other2", "agentId": AGENT})
    assert first.is_error is False
    assert second.is_error is False
    assert len(api.listing_requests()) == 1
    for result in (first, second):
        unavailable = [w for w in result.structured_content["warnings"] if w.startswith("Per-attempt results are")]
        assert len(unavailable) == 1
        assert "answered" in unavailable[0]
        assert "not asked for again" in unavailable[0]
        # And how to get a jobId instead, in both channels.
        assert any("dashboard" in advice and "get_test_run" in advice for advice in result.structured_content["advice"])
        assert "SigmaMind dashboard" in text_of(result)
        assert result.structured_content["failureThemes"] == []
        assert "Per-attempt results are unavailable" in text_of(result)


async def test_a_failing_listing_is_asked_for_again_next_time(api: FakeSigmaMind) -> None:
    body = documented_batch()
    api.add_batch_run(body)
    api.add_test_run_listing(listed_runs(body, FAILURES), batch_id=BATCH, agent_id=AGENT)
    default = api.handler
    failing = [True]

    def handler(seen: Seen) -> Reply:
        if seen.path == "/v1/test-runs" and failing[0]:
            return api_error(500, "Internal Server Error", "Something went wrong", seen.path)
        return default(seen)

    api.handler = handler
    async with connect(settings_for(api)) as client:
        first = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
        failing[0] = False
        second = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
    assert first.is_error is False
    assert any(
        "could not be read from the test-run listing this time" in w for w in first.structured_content["warnings"]
    )
    assert first.structured_content["cacheAgeSeconds"] is None
    # Not remembered as absent, and the batch run without its attempts was not kept: both are asked for again.
    assert second.structured_content["cacheAgeSeconds"] is None
    assert [theme["count"] for theme in second.structured_content["failureThemes"]] == [3, 1]
    assert len([seen for seen in api.requests if seen.path == f"/v1/batch-runs/{BATCH}"]) == 2


async def test_no_listing_is_asked_for_without_failures_or_with_embedded_records(api: FakeSigmaMind) -> None:
    api.add_batch_run(documented_batch(failed=0, batch_id="batch_AllPassed"))
    api.add_batch_run(make_batch_run(3, batch_id="batch_Embedded", records_key="testRuns", failure_rate=0.5))
    for batch_id in ("batch_AllPassed", "batch_Embedded"):
        assert (await get(api, batch_id)).is_error is False
    assert api.listing_requests() == []


async def test_a_slow_listing_stops_within_the_calls_time_and_says_how_much_it_read(api: FakeSigmaMind) -> None:
    body = documented_batch()
    api.add_batch_run(body)
    runs = repeated(listed_runs(body, FAILURES), 100)  # 900 attempts: nine pages
    default = api.handler

    def handler(seen: Seen) -> Reply:
        reply = default(seen)
        if seen.path == "/v1/test-runs":
            reply.delay = 0.4
        return reply

    api.handler = handler
    api.add_test_run_listing(runs, batch_id=BATCH, agent_id=AGENT)
    result = await get(api, SIGMAMIND_TIMEOUT="2")
    asked = len(api.listing_requests())
    assert 2 <= asked <= 4  # half of the 2 s for the listing, each page 0.4 s; the one in flight then is dropped
    data = result.structured_content
    partial = [w for w in data["warnings"] if w.startswith("Per-attempt results of ")]
    pages = int(partial[0].split("Per-attempt results of ")[1].split(" ")[0]) // 100 if partial else 0
    assert asked - 1 <= pages <= asked
    assert partial[0].startswith(f"Per-attempt results of {pages * 100} of 900 attempts")
    assert len(partial) == 1
    assert "time budget" in partial[0]
    read_failures = sum(1 for run in runs[: pages * 100] if not run["isSuccessful"])
    assert sum(theme["count"] for theme in data["failureThemes"]) == read_failures


async def test_a_page_past_the_last_answered_404_keeps_what_was_read(api: FakeSigmaMind) -> None:
    body = documented_batch(test_cases=100, attempts=1, failed=50)
    api.add_batch_run(body)
    runs = listed_runs(body, {(n, 0): NO_TIMELINE for n in range(50)})
    api.add_test_run_listing(runs, batch_id=BATCH, agent_id=AGENT, envelope=False)  # exactly one full page

    async with connect(settings_for(api)) as client:
        first = await client.call_tool("get_batch_run", {"batchId": BATCH, "agentId": AGENT})
        other = documented_batch(batch_id="batch_Other2")
        api.add_batch_run(other)
        api.add_test_run_listing(listed_runs(other, FAILURES), batch_id="batch_Other2", agent_id=AGENT)
        second = await client.call_tool("get_batch_run", {"batchId": "batch_Other2", "agentId": AGENT})
    assert [seen.query["page"] for seen in api.listing_requests()] == [["0"], ["1"], ["0"]]
    assert [theme["count"] for theme in first.structured_content["failureThemes"]] == [50]
    assert any("(100 attempts) were read" in warning for warning in first.structured_content["warnings"])
    # Not taken for an absent listing: the next batch run's is asked for too.
    assert not any(w.startswith("Per-attempt results are unavailable") for w in second.structured_content["warnings"])


async def test_a_listing_that_ignores_the_page_is_read_once(api: FakeSigmaMind) -> None:
    body = documented_batch()
    api.add_batch_run(body)
    page = listed_runs(body, FAILURES)
    default = api.handler

    def handler(seen: Seen) -> Reply:
        if seen.path == "/v1/test-runs":  # the same attempts on every page, and always "more"
            return Reply.json({"data": page, "page": 0, "size": 100, "hasNext": True})
        return default(seen)

    api.handler = handler
    data = (await get(api)).structured_content
    assert len(api.listing_requests()) == 2  # the second page added nothing new: the end
    assert [theme["count"] for theme in data["failureThemes"]] == [3, 1]
    assert data["testCases"][0]["results"]["failed"] == 2
