"""Failure themes (`sigmamind.themes`): remarks that differ only in details fall together, different problems stay
apart, the figures on the labelled set hold, and the work stays bounded."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from sigma_mcp.sigmamind.themes import Failure, failure_themes, theme_key

LABELLED = json.loads((Path(__file__).parent / "data" / "remark_themes.json").read_text())
"""Remarks a judge could write, each labelled with its cause: 20 causes in 7 scenarios, paraphrased, with causes
of other criteria that share most of their words."""


def themes_of(remarks: list[str]) -> list[list[int]]:
    """The positions of `remarks` in each theme, largest first."""
    themes = failure_themes([Failure(text, f"job_{n}", None) for n, text in enumerate(remarks)], max_job_ids=10**6)
    return [[int(job.removeprefix("job_")) for job in theme.job_ids] for theme in themes]


def purity_and_coverage(rows: list[dict[str, str]]) -> tuple[float, float]:
    """Purity: the share of remarks in a theme whose cause is the theme's most common one. Coverage: the share of
    remarks in the theme that holds most of their cause."""
    themes = themes_of([row["remarks"] for row in rows])
    pure = sum(Counter(rows[n]["cause"] for n in theme).most_common(1)[0][1] for theme in themes)
    placed: dict[str, Counter[int]] = defaultdict(Counter)
    for number, theme in enumerate(themes):
        for n in theme:
            placed[rows[n]["cause"]][number] += 1
    covered = sum(counts.most_common(1)[0][1] for counts in placed.values())
    return pure / len(rows), covered / len(rows)


def test_on_the_labelled_set_themes_are_pure() -> None:
    purity, coverage = purity_and_coverage(LABELLED)
    # Measured 0.988 and 0.372 (docs/themes.md); the bounds sit just under them, so that a change that merges
    # different problems, or stops merging what it does, fails here.
    assert purity >= 0.98
    assert coverage >= 0.35


@pytest.mark.parametrize(
    "remarks",
    [
        [
            "The agent asked for the order number again (turn 3).",
            "The agent asked for the order number again (turn 7).",
        ],
        ["Agent asked Priya for her date of birth twice.", "The agent asked Sam for his date of birth twice."],
        ["The agent quoted a refund of $45.20 instead of $89.99.", "The agent quoted a refund of $12 instead of $30."],
        ['The agent said "please hold" and ended the call.', "The agent said 'one moment' and ended the call."],
        [
            "The agent never stated the timeline, and it did not confirm the amount.",
            "It did not confirm the amount, and the agent never stated the timeline.",
        ],
        ["The agent did not offer a transfer.", "Agent did not offer a transfer.", "Did not offer a transfer."],
        [
            "Booked ORD-1234 on 2026-04-02 at 10:30 without asking.",
            "Booked ORD-98 on 2026-05-11 at 9:15 without asking.",
        ],
    ],
    ids=["turns", "names", "amounts", "quotes", "clause-order", "leading-agent", "ids-dates-times"],
)
def test_remarks_that_differ_only_in_details_are_one_theme(remarks: list[str]) -> None:
    assert len({theme_key(text) for text in remarks}) == 1
    assert themes_of(remarks) == [list(range(len(remarks)))]


@pytest.mark.parametrize(
    "remarks",
    [
        ["The agent did not confirm the refund amount.", "The agent did not confirm the delivery address."],
        ["The agent never asked for the order number.", "The agent asked for the order number twice."],
        ["The agent did not transfer the caller to a human.", "The agent transferred the caller too early."],
        ["The agent did not state the cancellation policy.", "The agent did not state the opening hours."],
    ],
)
def test_different_problems_stay_apart(remarks: list[str]) -> None:
    assert len(themes_of(remarks)) == 2


def test_one_word_of_a_short_remark_is_another_problem() -> None:
    things = ["refund", "address", "greeting", "payment", "policy", "hours", "price", "name", "email", "warranty"]
    assert len(themes_of([f"Did not mention the {thing}." for thing in things])) == 10


def test_themes_are_largest_first_with_their_job_ids_test_cases_and_wording() -> None:
    failures = [
        Failure("The agent asked for the order number again (turn 3).", "job_1", "tc_a"),
        Failure(None, "job_2", "tc_b"),
        Failure("The agent never said how long the refund takes.", "job_3", "tc_b"),
        Failure("The agent asked for the order number again (turn 5).", None, "tc_b"),
        Failure("The agent asked for the order number again (turn 5).", "job_5", "tc_b"),
        Failure("", "job_6", "tc_c"),
    ]
    themes = failure_themes(failures, max_job_ids=1, max_test_cases=1)
    assert [theme.count for theme in themes] == [3, 2, 1]
    first, without, other = themes
    assert first.remarks == "The agent asked for the order number again (turn 5)."  # the most frequent wording
    assert (first.job_ids, first.job_ids_not_shown, first.variants) == (("job_1",), 2, 2)
    assert (first.test_case_ids, first.test_case_ids_not_shown) == (("tc_b",), 1)  # two failures in tc_b, one in tc_a
    assert (without.remarks, without.job_ids, without.test_case_ids) == (None, ("job_2",), ("tc_b",))
    assert (without.variants, without.test_case_ids_not_shown) == (0, 1)
    assert other.remarks == "The agent never said how long the refund takes."
    assert failure_themes(failures, max_job_ids=1, max_test_cases=1) == themes  # the same input, the same themes


def test_ties_keep_the_order_the_failures_came_in() -> None:
    themes = failure_themes(
        [Failure("Never said the price.", "job_1", None), Failure("Transferred to a human too early.", "job_2", None)]
    )
    assert [theme.job_ids for theme in themes] == [("job_1",), ("job_2",)]
    wordings = failure_themes(
        [Failure("Did not say the price!", "job_1", None), Failure("Did not say the price.", "job_2", None)]
    )
    assert wordings[0].remarks == "Did not say the price!"  # of two equally frequent and long, the first


def test_ten_thousand_long_distinct_remarks_are_bounded_work() -> None:
    remarks = [f"remark {'x' * (n % 97)} " + " ".join(f"w{n}x{k}" for k in range(500)) for n in range(10_000)]
    themes = failure_themes([Failure(text, f"job_{n}", None) for n, text in enumerate(remarks)])
    assert sum(theme.count for theme in themes) == 10_000


def test_importing_the_module_does_not_load_rapidfuzz() -> None:
    code = "import sys, sigma_mcp.sigmamind.themes; assert 'rapidfuzz' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
