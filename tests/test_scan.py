"""The scan every test case of a batch run gets: its id, configured attempts, missing fields and per-attempt
records, read tolerantly from whatever the API sends, with a note for each value of an unexpected type."""

from __future__ import annotations

from typing import Any

import pytest

from sigma_mcp.sigmamind.scan import AttemptRecord, CaseScan, attempt_records, parse_test_case, scan_test_cases
from tests.factories import make_test_case

COMPLETE = {
    "testCaseId": "tc_1",
    "label": "Refund",
    "llmModel": "gpt-4o-mini",
    "userPrompt": "You want a refund.",
    "successCriteria": "The agent refunds.",
    "attempt": 2,
}


def scan(raw: dict[str, Any], index: int = 0) -> CaseScan:
    scans, notes = scan_test_cases([*([{}] * index), raw])
    assert notes == []
    return scans[index]


def records(*values: Any, key: str = "runs") -> CaseScan:
    return scan({**COMPLETE, key: list(values)})


def test_entries_that_are_not_objects_are_noted_by_position() -> None:
    scans, notes = scan_test_cases([COMPLETE, "x", None, [1], COMPLETE])
    assert [case.index for case in scans] == [0, 4]
    assert notes == ["testCases[1] (not an object)", "testCases[2] (not an object)", "testCases[3] (not an object)"]


def test_a_complete_test_case_has_nothing_missing() -> None:
    case = scan(COMPLETE)
    assert (case.test_case_id, case.attempt, case.missing, case.notes) == ("tc_1", 2, (), ())
    assert (case.has_records, attempt_records(case)[0], case.order) == (False, [], (1, 0, 0))


@pytest.mark.parametrize("absent", ["testCaseId", "label", "llmModel", "userPrompt", "successCriteria", "attempt"])
def test_each_checked_field_is_reported_missing(absent: str) -> None:
    for raw in ({k: v for k, v in COMPLETE.items() if k != absent}, {**COMPLETE, absent: None}):
        assert scan(raw).missing == (absent,)


def test_missing_fields_are_listed_in_a_fixed_order() -> None:
    assert scan({}).missing == ("testCaseId", "label", "llmModel", "userPrompt", "successCriteria", "attempt")


@pytest.mark.parametrize(
    ("value", "attempt"),
    [
        (0, 0),
        (3, 3),
        (0.0, 0),
        (4.0, 4),
        ("7", 7),
        (" 0 ", 0),
        ("9" * 18, int("9" * 18)),
    ],
)
def test_configured_attempts_are_read_from_any_whole_number(value: Any, attempt: int) -> None:
    case = scan({**COMPLETE, "attempt": value})
    assert case.attempt == attempt
    assert case.missing == ()
    assert case.notes == ()


@pytest.mark.parametrize("value", [-1, -1.0, 2.5, True, "", "1" * 19, "٣", "3x", [3], {"n": 3}])
def test_configured_attempts_that_are_not_a_count_are_noted(value: Any) -> None:
    case = scan({**COMPLETE, "attempt": value}, index=2)
    assert case.attempt is None
    assert case.missing == ("attempt",)
    assert case.notes == ("testCases[2].attempt (not a whole number of at least 0)",)


@pytest.mark.parametrize(
    ("value", "kept"), [("tc_9", "tc_9"), (12345, "12345"), (1.5, "1.5"), (True, None), ([1], None)]
)
def test_a_test_case_id_is_text_or_a_number_as_text(value: Any, kept: str | None) -> None:
    assert scan({**COMPLETE, "testCaseId": value}).test_case_id == kept


def test_no_test_case_id_is_none_not_text() -> None:
    case = scan({k: v for k, v in COMPLETE.items() if k != "testCaseId"})
    assert case.test_case_id is None


def test_a_test_case_is_named_by_label_then_id_then_position() -> None:
    assert scan(COMPLETE).name() == "Refund"
    assert scan({**COMPLETE, "label": ""}).name() == "tc_1"
    assert scan({**COMPLETE, "label": 7}).name() == "tc_1"
    assert scan({"label": None}, index=3).name() == "#4"


@pytest.mark.parametrize(
    ("verdict", "passed"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        (0.0, False),
        ("true", True),
        (" YES ", True),
        ("On", True),
        ("t", True),
        ("y", True),
        ("1", True),
        ("False", False),
        ("no", False),
        ("off", False),
        ("f", False),
        ("n", False),
        ("0", False),
    ],
)
def test_verdicts_are_read_in_every_usual_spelling(verdict: Any, passed: bool) -> None:
    for spelling in ("isSuccessful", "isSuccesful"):
        case = records({"jobId": "job_1", spelling: verdict})
        assert attempt_records(case)[0] == [AttemptRecord("job_1", passed, None)]
        assert attempt_records(case)[1] == []


@pytest.mark.parametrize("verdict", [2, -1, 0.5, "perhaps", "", [True], {"v": True}])
def test_a_verdict_that_is_not_true_or_false_is_pending_and_noted(verdict: Any) -> None:
    for spelling in ("isSuccessful", "isSuccesful"):
        case = records({"jobId": "job_1", spelling: verdict})
        assert attempt_records(case)[0] == [AttemptRecord("job_1", None, None)]
        assert attempt_records(case)[1] == [f"testCases[0].runs[0].{spelling} (not true or false)"]
        assert (case.passed, case.failed, case.pending) == (0, 0, 1)


def test_the_new_spelling_wins_and_a_bad_old_one_is_still_noted() -> None:
    case = records(
        {"jobId": "a", "isSuccessful": True, "isSuccesful": False},
        {"jobId": "b", "isSuccessful": False, "isSuccesful": "garbled"},
        {"jobId": "c", "isSuccessful": "garbled", "isSuccesful": True},
        {"jobId": "d", "isSuccessful": None, "isSuccesful": "no"},
    )
    assert [record.passed for record in attempt_records(case)[0]] == [True, False, True, False]
    assert attempt_records(case)[1] == [
        "testCases[0].runs[1].isSuccesful (not true or false)",
        "testCases[0].runs[2].isSuccessful (not true or false)",
    ]


def test_job_ids_and_remarks_of_other_types() -> None:
    case = records(
        {"jobId": 42, "isSuccessful": False, "remarks": 7},
        {"jobId": {"id": "x"}, "isSuccessful": False, "remarks": ["a"]},
        {"jobId": None, "isSuccessful": False, "remarks": None},
        {"jobId": "job_4", "isSuccessful": False, "remarks": "Too slow."},
    )
    assert attempt_records(case)[0] == [
        AttemptRecord("42", False, None),
        AttemptRecord(None, False, None),
        AttemptRecord(None, False, None),
        AttemptRecord("job_4", False, "Too slow."),
    ]
    assert attempt_records(case)[1] == [
        "testCases[0].runs[1].jobId (not text)",
        "testCases[0].runs[1].remarks (not text)",
    ]


def test_records_are_counted_and_values_that_are_not_objects_noted() -> None:
    case = records(
        {"jobId": "a", "isSuccessful": True},
        "junk",
        {"jobId": "b", "isSuccessful": False},
        {"jobId": "c"},
        {"jobId": "d", "isSuccessful": False},
        key="simulations",
    )
    assert case.has_records is True
    assert (case.passed, case.failed, case.pending) == (1, 2, 1)
    assert attempt_records(case)[1] == ["testCases[0].simulations[1] (not an object)"]


def test_records_are_found_under_any_key_by_their_markers() -> None:
    for marker in ("jobId", "isSuccessful", "isSuccesful", "remarks"):
        assert records({marker: "x"}).has_records is True
    # The first item need not be a record: one record anywhere in the list is enough.
    assert records("junk", {"author": "qa"}, {"remarks": "x"}).has_records is True
    assert records({"author": "qa"}, {"text": "flaky"}).has_records is False
    assert scan({**COMPLETE, "runs": []}).has_records is False
    assert scan({**COMPLETE, "runs": {"jobId": "x"}}).has_records is False
    # Known fields are never records, whatever they hold.
    assert scan({**COMPLETE, "mockData": [{"jobId": "x", "remarks": "y"}]}).has_records is False


def test_records_under_several_keys_are_read_in_order() -> None:
    case = scan({**COMPLETE, "first": [{"jobId": "a", "isSuccessful": False}], "then": [{"jobId": "b"}]})
    assert [record.job_id for record in attempt_records(case)[0]] == ["a", "b"]
    assert (case.failed, case.pending) == (1, 1)


def test_failures_sort_first_most_first_then_unknown_then_passes() -> None:
    raws = [
        {**COMPLETE, "runs": [{"isSuccessful": True}]},
        COMPLETE,
        {**COMPLETE, "runs": [{"isSuccessful": False}, {"isSuccessful": True}]},
        {**COMPLETE, "runs": [{"isSuccessful": False}, {"isSuccessful": False}]},
        {**COMPLETE, "runs": [{"jobId": "pending"}]},
    ]
    scans, _ = scan_test_cases(raws)
    assert [case.order for case in scans] == [(2, 0, 0), (1, 0, 1), (0, -1, 2), (0, -2, 3), (2, 0, 4)]
    assert [case.index for case in sorted(scans, key=lambda case: case.order)] == [3, 2, 1, 0, 4]


def test_a_parsed_test_case_names_its_ignored_values_by_position() -> None:
    raw = make_test_case(1)
    raw["llmModel"] = {"name": "gpt"}
    raw["runs"] = [{"jobId": "x"}]
    scans, _ = scan_test_cases([COMPLETE, raw])
    parsed = parse_test_case(scans[1])
    assert parsed.value.testCaseId == "tc_000001"
    assert parsed.value.llmModel is None
    assert [note.split(" (")[0] for note in parsed.ignored] == ["testCases[1].llmModel"]


def test_records_are_found_after_unknown_fields_of_other_shapes() -> None:
    raw = {
        **COMPLETE,
        "voice": "alloy",
        "empty": [],
        "tags": ["refund"],
        "runs": [{"jobId": "a", "isSuccessful": False}],
    }
    case = scan(raw)
    assert case.has_records is True
    assert [record.job_id for record in attempt_records(case)[0]] == ["a"]


def test_a_list_of_records_may_start_with_anything() -> None:
    case = records(5, None, {"jobId": "a", "isSuccessful": True})
    assert case.has_records is True
    assert attempt_records(case) == (
        [AttemptRecord("a", True, None)],
        ["testCases[0].runs[0] (not an object)", "testCases[0].runs[1] (not an object)"],
    )


def test_every_pending_record_is_counted() -> None:
    case = records({"jobId": "a"}, {"jobId": "b", "isSuccessful": None}, {"jobId": "c", "isSuccessful": "later"})
    assert (case.passed, case.failed, case.pending) == (0, 0, 3)
