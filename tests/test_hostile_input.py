"""Hostile arguments, across every tool: each is refused with an isError naming the parameter, and no
request leaves the server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import connect, settings_for
from tests.fake_api import FakeSigmaMind
from tests.test_server import AGENT, BATCH, text_of

pytestmark = pytest.mark.anyio

BATCH_ARGS = {"batchId": BATCH, "agentId": AGENT}
TEST_RUN_ARGS = {"jobId": "job_1", "batchId": BATCH, "agentId": AGENT}
COMPARE_ARGS = {"agentId": AGENT, "baseBatchId": BATCH, "candidateBatchId": "batch_other"}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not _MISSING}


_MISSING = object()

HOSTILE: list[tuple[str, str, dict[str, Any], str]] = [
    ("empty", "get_batch_run", with_(BATCH_ARGS, batchId=""), "batchId"),
    ("whitespace", "get_batch_run", with_(BATCH_ARGS, batchId="   "), "batchId"),
    ("path traversal", "get_batch_run", with_(BATCH_ARGS, batchId="../admin"), "batchId"),
    ("dots only", "get_batch_run", with_(BATCH_ARGS, batchId=".."), "batchId"),
    ("encoded dots", "get_batch_run", with_(BATCH_ARGS, batchId="%2e%2e"), "batchId"),
    ("encoded slash", "get_batch_run", with_(BATCH_ARGS, batchId="a%2Fb"), "batchId"),
    ("query", "get_batch_run", with_(BATCH_ARGS, batchId="b?agentId=other"), "batchId"),
    ("fragment", "get_batch_run", with_(BATCH_ARGS, batchId="b#top"), "batchId"),
    ("header injection", "get_batch_run", with_(BATCH_ARGS, batchId="b\r\nHost: evil.example"), "batchId"),
    ("NUL", "get_batch_run", with_(BATCH_ARGS, batchId="b\x00"), "batchId"),
    ("escape sequence", "get_batch_run", with_(BATCH_ARGS, batchId="b\x1b[31m"), "batchId"),
    ("fullwidth look-alike", "get_batch_run", with_(BATCH_ARGS, batchId="ｂａｔｃｈ_1"), "batchId"),
    ("Cyrillic look-alike", "get_batch_run", with_(BATCH_ARGS, batchId="b\u0430tch_1"), "batchId"),
    ("zero-width space", "get_batch_run", with_(BATCH_ARGS, batchId="batch_1\u200b"), "batchId"),
    ("right-to-left override", "get_batch_run", with_(BATCH_ARGS, agentId="agent\u202e1"), "agentId"),
    ("10 KB string", "get_batch_run", with_(BATCH_ARGS, batchId="b" * 10_240), "batchId"),
    ("number", "get_batch_run", with_(BATCH_ARGS, batchId=42), "batchId"),
    ("null", "get_batch_run", with_(BATCH_ARGS, batchId=None), "batchId"),
    ("array", "get_batch_run", with_(BATCH_ARGS, batchId=[BATCH]), "batchId"),
    ("object", "get_batch_run", with_(BATCH_ARGS, batchId={"id": BATCH}), "batchId"),
    ("boolean", "get_batch_run", with_(BATCH_ARGS, agentId=True), "agentId"),
    ("missing", "get_batch_run", with_(BATCH_ARGS, agentId=_MISSING), "agentId"),
    ("unknown parameter", "get_batch_run", with_(BATCH_ARGS, verbose=True), "'verbose'"),
    ("negative offset", "get_batch_run", with_(BATCH_ARGS, offset=-1), "offset"),
    ("fractional offset", "get_batch_run", with_(BATCH_ARGS, offset=1.5), "offset"),
    ("huge offset", "get_batch_run", with_(BATCH_ARGS, offset=10**100), "offset"),
    ("zero limit", "get_batch_run", with_(BATCH_ARGS, limit=0), "limit"),
    ("limit too large", "get_batch_run", with_(BATCH_ARGS, limit=201), "limit"),
    ("limit as words", "get_batch_run", with_(BATCH_ARGS, limit="all"), "limit"),
    ("test case traversal", "get_batch_run", with_(BATCH_ARGS, testCaseId="../tc"), "testCaseId"),
    ("job traversal", "get_test_run", with_(TEST_RUN_ARGS, jobId="../../etc/passwd"), "jobId"),
    ("job missing", "get_test_run", with_(TEST_RUN_ARGS, jobId=_MISSING), "jobId"),
    ("job as number", "get_test_run", with_(TEST_RUN_ARGS, jobId=7), "jobId"),
    ("no turns", "get_test_run", with_(TEST_RUN_ARGS, maxTurns=0), "maxTurns"),
    ("too many turns", "get_test_run", with_(TEST_RUN_ARGS, maxTurns=1_000), "maxTurns"),
    ("negative turn offset", "get_test_run", with_(TEST_RUN_ARGS, turnOffset=-5), "turnOffset"),
    ("turns as words", "get_test_run", with_(TEST_RUN_ARGS, maxTurns="ten"), "maxTurns"),
    ("unknown on test run", "get_test_run", with_(TEST_RUN_ARGS, transcript="all"), "'transcript'"),
    ("negative page", "list_batch_runs", {"agentId": AGENT, "page": -1}, "page"),
    ("empty page size", "list_batch_runs", {"agentId": AGENT, "size": 0}, "size"),
    ("page size too large", "list_batch_runs", {"agentId": AGENT, "size": 101}, "size"),
    ("SQL-ish page", "list_batch_runs", {"agentId": AGENT, "page": "1; DROP TABLE"}, "page"),
    ("empty agent", "list_batch_runs", {"agentId": ""}, "agentId"),
    ("no arguments", "list_batch_runs", {}, "agentId"),
    ("space in base", "compare_batch_runs", with_(COMPARE_ARGS, baseBatchId="a b"), "baseBatchId"),
    ("encoded NUL in candidate", "compare_batch_runs", with_(COMPARE_ARGS, candidateBatchId="%00"), "candidateBatchId"),
    ("float agent", "compare_batch_runs", with_(COMPARE_ARGS, agentId=3.14), "agentId"),
    ("candidate missing", "compare_batch_runs", with_(COMPARE_ARGS, candidateBatchId=_MISSING), "candidateBatchId"),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "parameter"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE]
)
async def test_hostile_argument(
    api: FakeSigmaMind, mode: str, tool: str, arguments: dict[str, Any], parameter: str
) -> None:
    async with connect(settings_for(api), mode) as client:
        result = await client.call_tool(tool, arguments)
    text = text_of(result)
    assert result.is_error is True
    assert parameter in text
    assert "Nothing was sent to SigmaMind" in text or "Missing required parameter" in text
    assert "pydantic" not in text
    assert "Traceback" not in text
    assert len(text) < 1_000  # a 10 KB argument is not echoed back
    assert api.requests == []
