"""One attempt as `summarize_test_run` builds it: the verdict, the judge's remarks, the test case, the duration, a
window of the transcript, what the API left out, and the compact form for an attempt too large otherwise.

tests/test_test_run.py drives the tool through the MCP protocol; these call the summary directly."""

from __future__ import annotations

from typing import Any

import pytest

from sigma_mcp.sigmamind.payloads import AttemptPayload
from sigma_mcp.tools.common import DEMO_NOTICE
from sigma_mcp.tools.get_test_run.output import AttemptSummary
from sigma_mcp.tools.get_test_run.summary import TurnWindow, summarize_test_run
from tests.factories import make_test_run

JOB, BATCH, AGENT = "job_1", "batch_s0OJu2JWR8R45Fai", "agent_D5D0p7TUs66TTAEAx"


def summarize(body: dict[str, Any], **kwargs: Any) -> AttemptSummary:
    return summarize_test_run(AttemptPayload.model_validate(body), job_id=JOB, batch_id=BATCH, agent_id=AGENT, **kwargs)


def window(turns: int, **kwargs: Any) -> AttemptSummary:
    return summarize(make_test_run(JOB, turns=turns), window=TurnWindow(**kwargs))


def shown(summary: AttemptSummary) -> list[int]:
    return [turn.turn for turn in summary.conversation]


def test_the_attempts_fields_are_carried_over_cleaned() -> None:
    body = make_test_run(JOB, chatId="chat\n7", completedDate="2026-03-26T10:52:47.065Z")
    body["testCase"].update(
        label="Refund\tflow", llmModel="gpt-4o", userPrompt="Persona\x00.", successCriteria="Criteria."
    )
    summary = summarize(body)
    assert summary.source == "sigmamind"
    assert (summary.jobId, summary.batchId, summary.agentId, summary.chatId) == (JOB, BATCH, AGENT, "chat 7")
    assert (summary.label, summary.llmModel) == ("Refund flow", "gpt-4o")
    assert (summary.userPrompt, summary.successCriteria) == ("Persona.", "Criteria.")
    assert (summary.createdDate, summary.completedDate) == ("2026-03-26T10:52:45.565Z", "2026-03-26T10:52:47.065Z")
    assert summary.durationSeconds == 1.5
    assert summary.testCaseId == "tc_000001"
    assert summary.warnings == []
    assert summary.missingFields == []


def test_demo_data_is_said_plainly() -> None:
    summary = summarize(make_test_run(JOB), source="demo")
    assert summary.verdict.startswith(f"DEMO DATA — Attempt {JOB} of test case ")
    assert summary.warnings == [DEMO_NOTICE]


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"jobId": "job_2"}, f"The API answered with attempt `job_2`, not the requested `{JOB}`."),
        ({"batchId": "batch_x"}, f"The API answered with batch run `batch_x`, not the requested `{BATCH}`."),
        ({"agent": {"agentId": "agent_y"}}, f"The data belongs to agent `agent_y`, not the requested `{AGENT}`."),
    ],
)
def test_an_answer_about_other_ids_is_flagged(overrides: dict[str, Any], warning: str) -> None:
    assert summarize(make_test_run(JOB, **overrides)).warnings == [warning]


def test_id_prefixes_are_not_a_mismatch() -> None:
    assert summarize(make_test_run(JOB, jobId="1", batchId="s0OJu2JWR8R45Fai")).warnings == []


@pytest.mark.parametrize(
    ("new", "old", "passed", "warned"),
    [
        (True, False, True, True),
        (False, True, False, True),
        (True, True, True, False),
        (None, True, True, False),
        (False, None, False, False),
        (None, None, None, False),
    ],
)
def test_two_spellings_of_the_verdict(new: bool | None, old: bool | None, passed: bool | None, warned: bool) -> None:
    body = make_test_run(JOB, isSuccessful=new, isSuccesful=old)
    summary = summarize(body)
    assert summary.isSuccessful is passed
    two = "The API sent two different verdicts (isSuccessful and isSuccesful); isSuccessful is used."
    assert (two in summary.warnings) is warned


def test_repeated_mock_variables_are_kept_numbered_and_named() -> None:
    body = make_test_run(JOB)
    body["testCase"]["mockData"] = [
        {"variableName": "b", "value": 1},
        {"variableName": "a", "value": 2},
        {"variableName": "b", "value": 3},
        {"variableName": "a", "value": 4},
    ]
    summary = summarize(body)
    assert summary.mockData == {"b": "1", "a": "2", "b (2)": "3", "a (2)": "4"}
    assert summary.warnings == ["Mock variables defined more than once (all kept, numbered): `a`, `b`."]


def test_many_mock_variables_are_capped_and_counted() -> None:
    body = make_test_run(JOB)
    body["testCase"]["mockData"] = [{"variableName": f"v{n}", "value": "x" * 600} for n in range(23)]
    summary = summarize(body)
    assert len(summary.mockData) == 20
    assert summary.mockDataNotShown == 3
    assert summary.mockData["v0"] == "x" * 500 + "… [100 more characters not shown]"


def test_the_compact_form_shortens_everything_by_four() -> None:
    body = make_test_run(JOB, remarks="r" * 4000, turns=1)
    body["conversation"][0]["content"] = "c" * 5000
    body["testCase"].update(userPrompt="p" * 3000, successCriteria="s" * 3000)
    body["testCase"]["mockData"] = [{"variableName": f"v{n}", "value": "x" * 600} for n in range(7)]
    full = summarize(body)
    compact = summarize(body, window=TurnWindow(compact=True))
    for summary, scale in ((full, 1), (compact, 4)):
        assert summary.remarks == "r" * (3000 // scale) + f"… [{4000 - 3000 // scale} more characters not shown]"
        assert summary.userPrompt == "p" * (2000 // scale) + f"… [{3000 - 2000 // scale} more characters not shown]"
        assert summary.successCriteria is not None
        assert summary.successCriteria.startswith("s" * (2000 // scale) + "…")
        assert summary.mockData["v0"] == "x" * (500 // scale) + f"… [{600 - 500 // scale} more characters not shown]"
        assert summary.conversation[0].content.startswith("c" * (4000 // scale) + "…")
    assert (len(full.mockData), full.mockDataNotShown) == (7, 0)
    assert (len(compact.mockData), compact.mockDataNotShown) == (5, 2)


@pytest.mark.parametrize(
    ("created", "completed", "seconds"),
    [
        ("2026-03-26T10:52:45.000Z", "2026-03-26T10:52:45.000Z", 0.0),
        ("2026-03-26T10:52:45.000Z", "2026-03-26T10:52:45.5Z", 0.5),
        ("2026-03-26T10:52:45.0000Z", "2026-03-26T10:52:45.0004Z", 0.0),
        ("2026-03-26T10:52:45.000Z", "2026-03-26T10:52:45.0016Z", 0.002),
        ("2026-03-26T10:52:45Z", None, None),
        (None, "2026-03-26T10:52:45Z", None),
        ("not a date", "2026-03-26T10:52:45Z", None),
    ],
)
def test_the_duration(created: str | None, completed: str | None, seconds: float | None) -> None:
    summary = summarize(make_test_run(JOB, createdDate=created, completedDate=completed))
    assert summary.durationSeconds == seconds
    assert not any("before createdDate" in w for w in summary.warnings)


def test_a_completion_before_the_start_has_no_duration() -> None:
    summary = summarize(make_test_run(JOB, createdDate="2026-03-26T10:52:45Z", completedDate="2026-03-26T10:52:44Z"))
    assert summary.durationSeconds is None
    assert summary.warnings == ["completedDate is before createdDate, so there is no duration."]


def test_a_transcript_that_fits_is_shown_whole() -> None:
    summary = window(4, max_turns=4)
    assert shown(summary) == [1, 2, 3, 4]
    assert (summary.nextTurnOffset, summary.turnsOmitted, summary.turnCount) == (None, 0, 4)


def test_a_longer_transcript_keeps_its_first_and_last_turns() -> None:
    summary = window(9, max_turns=4)
    assert shown(summary) == [1, 2, 8, 9]
    assert (summary.nextTurnOffset, summary.turnsOmitted) == (2, 5)
    odd = window(9, max_turns=3)
    assert shown(odd) == [1, 2, 9]
    assert odd.nextTurnOffset == 2


def test_no_turns_at_all_when_none_are_asked_for() -> None:
    summary = window(3, max_turns=0)
    assert summary.conversation == []
    assert summary.turnsOmitted == 3


def test_a_window_from_an_offset() -> None:
    middle = window(6, max_turns=2, offset=2)
    assert shown(middle) == [3, 4]
    assert middle.nextTurnOffset == 4
    last = window(6, max_turns=2, offset=4)
    assert shown(last) == [5, 6]
    assert last.nextTurnOffset is None
    assert last.warnings == []


def test_an_offset_at_or_past_the_end_shows_nothing_and_says_so() -> None:
    at_end = window(4, offset=4)
    assert at_end.conversation == []
    assert at_end.warnings == ["turnOffset 4 is past the last of the 4 turns; none are shown."]
    empty = summarize(make_test_run(JOB, turns=0), window=TurnWindow(offset=3))
    assert empty.warnings == []
    assert empty.turnCount == 0


def test_turns_of_any_shape() -> None:
    body = make_test_run(JOB)
    body["conversation"] = [
        {"role": "user", "content": None},
        {"role": None, "content": {"text": "Grüße"}},
        {"role": "r" * 45, "content": ["a", 1]},
    ]
    turns = summarize(body).conversation
    assert [(t.turn, t.role, t.content) for t in turns[:2]] == [(1, "user", ""), (2, None, '{"text": "Grüße"}')]
    assert turns[2].role == "r" * 40 + "… [5 more characters not shown]"
    assert turns[2].content == '["a", 1]'


@pytest.mark.parametrize(
    ("passed", "label", "verdict"),
    [
        (True, "Refund", f"Attempt {JOB} of test case `Refund` passed: the judge marked it successful."),
        (False, None, f"Attempt {JOB} failed: the judge marked it unsuccessful."),
        (None, "", f"Attempt {JOB} has no verdict yet: it may still be running, or it was not judged."),
    ],
)
def test_verdicts(passed: bool | None, label: str | None, verdict: str) -> None:
    body = make_test_run(JOB, passed=passed)
    body["testCase"]["label"] = label
    assert summarize(body).verdict == verdict


def test_a_long_label_is_cut_in_the_verdict() -> None:
    body = make_test_run(JOB)
    body["testCase"]["label"] = "l" * 121
    assert summarize(body).verdict.startswith(
        f"Attempt {JOB} of test case `{'l' * 120}… [1 more characters not shown]`"
    )


def test_what_the_api_left_out_is_listed_in_order() -> None:
    assert summarize({}).missingFields == [
        "jobId",
        "batchId",
        "isSuccessful",
        "remarks",
        "testCase",
        "conversation",
        "createdDate",
        "completedDate",
    ]
    body = make_test_run(JOB)
    body["testCase"] = {"llmModel": "gpt-4o"}
    assert summarize(body).missingFields == [
        "testCase.testCaseId",
        "testCase.label",
        "testCase.userPrompt",
        "testCase.successCriteria",
    ]
