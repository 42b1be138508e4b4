"""Property tests: whatever JSON (or bytes) the API returns for each endpoint, every tool answers with a
summary or a clean isError — never an unhandled exception, never an answer over budget."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult

from sigma_mcp.tools.common import DATA_BUDGET, TEXT_BUDGET, json_size
from tests.conftest import API_KEY, connect, settings_for
from tests.fake_api import FakeSigmaMind, Reply
from tests.test_server import AGENT, BATCH, text_of

EXAMPLES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "5", "true", "2026-03-26T10:52:45.565Z", API_KEY, "`" * 5, "\x1b[31m", "\ud7ff"])
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)


def loosely(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right kind of value, sometimes any JSON at all."""
    return st.one_of(value, value, json_values)


agent = st.fixed_dictionaries(
    {}, optional={"name": loosely(st.text()), "agentId": loosely(st.text()), "status": json_values}
)
attempt = st.fixed_dictionaries(
    {},
    optional={
        "jobId": loosely(st.from_regex(r"job_[a-z0-9]{1,8}", fullmatch=True)),
        "isSuccessful": loosely(st.none() | st.booleans()),
        "isSuccesful": json_values,
        "remarks": loosely(st.text(max_size=200)),
    },
)
test_case = st.fixed_dictionaries(
    {},
    optional={
        "testCaseId": loosely(st.from_regex(r"tc_[a-z0-9]{1,8}", fullmatch=True)),
        "label": loosely(st.text(max_size=300)),
        "llmModel": json_values,
        "mockData": loosely(
            st.lists(st.fixed_dictionaries({}, optional={"variableName": loosely(st.text()), "value": json_values}))
        ),
        "userPrompt": loosely(st.text(max_size=3_000)),
        "successCriteria": loosely(st.text(max_size=3_000)),
        "attempt": loosely(st.integers(min_value=-3, max_value=50)),
        "testRuns": loosely(st.lists(loosely(attempt), max_size=8)),
        "results": st.lists(attempt, max_size=3),
    },
)
count = loosely(st.integers(min_value=-5, max_value=10**6))
batch_run = st.fixed_dictionaries(
    {},
    optional={
        "batchId": json_values,
        "workspaceId": json_values,
        "agent": loosely(agent),
        "createdDate": json_values,
        "testCases": loosely(st.lists(loosely(test_case), max_size=12)),
        "successfulAttempts": count,
        "failedAttempts": count,
        "totalAttempts": count,
    },
)
test_run = st.fixed_dictionaries(
    {},
    optional={
        "batchId": json_values,
        "agent": loosely(agent),
        "testCase": loosely(test_case),
        "jobId": json_values,
        "chatId": json_values,
        "createdDate": loosely(st.sampled_from(["2026-03-26T10:52:45.565Z", "2026-03-26T10:54:00Z", "soon"])),
        "completedDate": loosely(st.sampled_from(["2026-03-26T10:54:00.1Z", "2026-03-25T00:00:00Z"])),
        "isSuccessful": loosely(st.booleans()),
        "isSuccesful": json_values,
        "remarks": loosely(st.text(max_size=5_000)),
        "conversation": loosely(
            st.lists(
                loosely(st.fixed_dictionaries({}, optional={"role": loosely(st.text()), "content": json_values})),
                max_size=60,
            )
        ),
    },
)
page = st.fixed_dictionaries(
    {},
    optional={
        "data": loosely(st.lists(loosely(batch_run), max_size=5)),
        "page": count,
        "size": count,
        "totalCount": count,
        "totalPages": count,
        "hasNext": json_values,
        "hasPrevious": json_values,
    },
)

CALLS = {
    "get_batch_run": {"batchId": BATCH, "agentId": AGENT},
    "get_test_run": {"jobId": "job_1", "batchId": BATCH, "agentId": AGENT},
    "list_batch_runs": {"agentId": AGENT},
    "compare_batch_runs": {"agentId": AGENT, "baseBatchId": BATCH, "candidateBatchId": BATCH},
}


@pytest.fixture(scope="module")
def session() -> Iterator[tuple[FakeSigmaMind, anyio.from_thread.BlockingPortal, Client]]:
    api = FakeSigmaMind().start()
    try:
        with (
            anyio.from_thread.start_blocking_portal() as portal,
            portal.wrap_async_context_manager(connect(settings_for(api))) as client,
        ):
            yield api, portal, client
    finally:
        api.stop()


def answer(session: Any, tool: str, body: bytes) -> CallToolResult:
    api, portal, client = session
    api.handler = lambda seen: Reply(body=body)
    result: CallToolResult = portal.call(client.call_tool, tool, CALLS[tool])
    return result


def assert_clean(result: CallToolResult) -> None:
    text = text_of(result)
    assert "sigma-mcp hit an internal error" not in text, text  # our own message (data may say "internal error")
    assert "Error executing tool" not in text, text
    assert "Traceback" not in text
    assert API_KEY not in text
    assert len(text.encode()) <= TEXT_BUDGET
    if result.is_error:
        assert "SigmaMind" in text
    else:
        assert result.structured_content is not None
        assert json_size(result.structured_content) <= DATA_BUDGET
        assert API_KEY not in json.dumps(result.structured_content)


@EXAMPLES
@given(body=json_values)
def test_any_json_value(session: Any, body: Any) -> None:
    for tool in CALLS:
        assert_clean(answer(session, tool, json.dumps(body).encode()))


@EXAMPLES
@given(body=st.binary(max_size=300))
def test_any_bytes(session: Any, body: bytes) -> None:
    assert_clean(answer(session, "get_batch_run", body))


@EXAMPLES
@given(body=batch_run)
def test_batch_run_shaped_json(session: Any, body: dict[str, Any]) -> None:
    encoded = json.dumps(body).encode()
    assert_clean(answer(session, "get_batch_run", encoded))
    assert_clean(answer(session, "compare_batch_runs", encoded))


@EXAMPLES
@given(body=test_run)
def test_test_run_shaped_json(session: Any, body: dict[str, Any]) -> None:
    assert_clean(answer(session, "get_test_run", json.dumps(body).encode()))


@EXAMPLES
@given(body=page)
def test_list_shaped_json(session: Any, body: dict[str, Any]) -> None:
    assert_clean(answer(session, "list_batch_runs", json.dumps(body).encode()))
