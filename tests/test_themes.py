"""Failure themes (`sigmamind.themes`): remarks that differ only in details fall together, different problems stay
apart, the figures on the labelled set hold, and the work stays bounded."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from sigma_mcp.sigmamind.themes import Failure, failure_themes, theme_key

LABELLED = json.loads((Path(__file__).parent / "data" / "remark_themes.json").read_text())
"""Remarks a judge could write, each labelled with its cause: 20 causes in 7 scenarios, paraphrased, with causes
of other criteria that share most of their words."""


def halves(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The labelled set split in two, cause by cause: each cause's remarks in the order of their SHA-256, the 1st,
    3rd, 5th… to tune the rules on, the others held out to measure them."""
    causes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        causes[row["cause"]].append(row)
    tuning: list[dict[str, str]] = []
    held_out: list[dict[str, str]] = []
    for members in causes.values():
        members.sort(key=lambda row: hashlib.sha256(row["remarks"].encode()).hexdigest())
        tuning += members[::2]
        held_out += members[1::2]
    return tuning, held_out


TUNING, HELD_OUT = halves(LABELLED)


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


@pytest.mark.parametrize(
    ("rows", "least_purity", "least_coverage"),
    [(HELD_OUT, 0.95, 0.74), (TUNING, 0.97, 0.84), (LABELLED, 0.96, 0.77)],
    ids=["held-out", "tuning", "whole"],
)
def test_on_the_labelled_set_themes_are_pure_and_cover_their_causes(
    rows: list[dict[str, str]], least_purity: float, least_coverage: float
) -> None:
    purity, coverage = purity_and_coverage(rows)
    # Measured (docs/themes.md): held-out 0.967 and 0.760, tuning 0.992 and 0.849, whole 0.984 and 0.785; the
    # bounds sit just under them, so that a change that merges different problems, or stops merging what it
    # does, fails here.
    assert purity >= least_purity
    assert coverage >= least_coverage


def test_the_halves_split_each_cause() -> None:
    assert len(TUNING) + len(HELD_OUT) == len(LABELLED) == 247
    tuning, held_out = Counter(row["cause"] for row in TUNING), Counter(row["cause"] for row in HELD_OUT)
    assert tuning.keys() == held_out.keys()
    assert all(0 <= tuning[cause] - held_out[cause] <= 1 for cause in tuning)


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
        ["The agent asked for the order number twice.", "The agent asked for the order number too late."],
        ["The agent transferred the caller too early.", "The agent transferred the caller too late."],
    ],
)
def test_different_problems_stay_apart(remarks: list[str]) -> None:
    assert len(themes_of(remarks)) == 2


def test_a_remark_without_a_marker_does_not_bridge_two_that_conflict() -> None:
    remarks = [
        "The agent asked for the order number twice.",
        "The agent asked for the order number.",
        "The agent asked for the order number too early.",
    ]
    themes = themes_of(remarks)
    assert [0, 2] not in themes
    assert not any(0 in theme and 2 in theme for theme in themes)


@pytest.mark.parametrize("word", ["not", "twice", "early", "late", "wrong"])
def test_each_marker_survives_the_key(word: str) -> None:
    from sigma_mcp.sigmamind.themes.words import MARKERS

    remarks = {
        "not": "The agent did not transfer the caller.",
        "twice": "The agent transferred the caller twice.",
        "early": "The agent transferred the caller too early.",
        "late": "The agent transferred the caller too late.",
        "wrong": "The agent transferred the caller to the wrong team.",
    }
    assert len(MARKERS.intersection(theme_key(remarks[word]).split())) == 1


@pytest.mark.parametrize(
    "remarks",
    [
        ["The agent never confirmed the appointment time.", "The agent did not read the appointment time back."],
        ["The agent did not verify the delivery address.", "The agent did not read back the delivery address."],
        ["The agent requested the order number twice.", "The agent asked for the order number a second time."],
        ["The agent did not inquire about the order number.", "The agent never requested the order number."],
        ["The agent did not collect the phone number.", "The agent never asked for a callback number."],
        ["The agent never escalated the call to a human.", "The agent did not transfer the caller to a human."],
        ["The agent failed to hand the caller off to a human.", "The agent did not transfer the caller to a human."],
        ["The agent gave the wrong delivery date.", "The agent gave an incorrect delivery date."],
        ["The agent did not stop after three failed attempts.", "The agent continued after three failed attempts."],
        [
            "The agent asked for the date of birth a second time.",
            "Verification was repeated: the agent requested the date of birth twice, which the criteria forbid.",
        ],
        ["The agent skipped the verification of the caller.", "The agent never verified the caller."],
    ],
    ids=[
        "read-back",
        "verify",
        "second-time",
        "inquire",
        "collect",
        "escalate",
        "hand-off",
        "incorrect",
        "continued",
        "repeated-and-forbidden",
        "verification",
    ],
)
def test_the_same_problem_in_the_judges_other_words_is_one_theme(remarks: list[str]) -> None:
    assert themes_of(remarks) == [[0, 1]]


@pytest.mark.parametrize(
    "remarks",
    [
        ["The agent did not confirm the date.", "The agent did not confirm the price."],
        ["The agent did not read back the date.", "The agent did not repeat the price back."],
        ["The agent did not confirm the refund amount.", "The agent did not confirm the payment amount."],
        ["The agent gave the wrong delivery date.", "The agent did not give the delivery date."],
        ["The agent asked for the order number twice.", "The agent asked for the order number too early."],
    ],
    ids=["confirm-what", "read-back-what", "whose-amount", "wrong-or-not-given", "twice-or-early"],
)
def test_folding_words_together_keeps_different_problems_apart(remarks: list[str]) -> None:
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


def test_a_thousand_distinct_wordings_still_group_by_cause() -> None:
    # Every remark of the labelled set's, each time with words of its own added ("… for the kettle lamp order"):
    # beyond the first keys compared pairwise, the later ones still find their themes within the bounds.
    rng = random.Random(4)
    nouns = [
        "widget",
        "blender",
        "kettle",
        "toaster",
        "lamp",
        "chair",
        "desk",
        "sofa",
        "mattress",
        "pillow",
        "jacket",
        "boots",
        "scarf",
        "helmet",
        "bicycle",
    ]
    rows = [rng.choice(LABELLED) for _ in range(1000)]
    remarks = [f"{row['remarks'].rstrip('.')} for the {rng.choice(nouns)} {rng.choice(nouns)} order." for row in rows]
    assert len(set(remarks)) > 900
    themes = themes_of(remarks)
    pure = sum(Counter(rows[n]["cause"] for n in theme).most_common(1)[0][1] for theme in themes)
    assert len(themes) <= 150  # 20 causes (measured: 94; 229 when the later keys ran out of comparisons)
    assert pure / len(rows) >= 0.9


def test_remarks_without_a_key_are_grouped_by_their_wording_only() -> None:
    # No Latin words to make a key of: these are not one theme because their keys are alike (empty).
    remarks = ["客服没有确认预约时间。", "Агент не подтвердил время записи.", "客服没有确认预约时间。", "The the and."]
    assert themes_of(remarks) == [[0, 2], [1], [3]]
    # Nor does the one Latin word in remarks of another script make different problems one.
    sms = ["Агент не отправил SMS клиенту.", "Агент отправил SMS дважды.", "SMSを送信しませんでした。"]
    assert themes_of(sms) == [[0], [1], [2]]
