"""Failure themes: failed attempts grouped by what the judge's remarks say, not by their exact wording.

An LLM judge writes a different sentence each time it applies one criterion ("The agent asked for the order
number again (turn 3)", "At turn 5 the agent requested the order number a second time although Priya had already
provided it"). Remarks that say one thing fall into one theme; different problems stay apart:

1. Each remark is reduced to a key (`words.theme_key`): quoted phrases, ids, amounts, dates, times, turn numbers
   and other numbers, capitalised names within a sentence, a leading "The agent" / "Agent" / "Failed because"
   and common words go; the words left are stemmed lightly and the judge's vocabulary is folded into concepts
   ("verify", "read back" → confirm; "request", "collect" → ask; "escalate", "hand off" → transfer; "never",
   "without", "failed to" → not; "twice", "a second time" → again); each pair of neighbouring concepts in a
   clause is kept too ("refund+amount", "card+number"), and all are sorted, so that clause order does not count.
2. Remarks with the same key are one group. Each key's words are weighted by how rare they are among the
   batch's keys (IDF) and the key is a vector of length 1 (`grouping`).
3. Groups merge by average linkage: the two themes whose keys are most alike on average (cosine) merge, while
   that average is at least `grouping.SIMILAR`. A key with "not" and one without, or two that each hold a
   different one of "again", "early", "late", "wrong", count as not alike at all ("never asked" against "asked
   twice", "did not transfer" against "transferred too early", "asked twice" against "asked too early").

docs/themes.md has the figures on a labelled set.

Bounded work whatever a batch run holds: a key is made of at most `KEY_CHARACTERS` characters of its remark and
`words.MAX_CONCEPTS` concepts, once per distinct wording, for the `MAX_KEYED` most frequent wordings (the rest are
grouped by their exact wording); the first `AGGLOMERATED` keys (of the most failures) are
compared pairwise, each later one with the themes that share a word with it (at most `MAX_THEMES`), and
`MAX_COMPARISONS` word look-ups are made in all; keys beyond those stay themes of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from sigma_mcp.sigmamind.themes.grouping import AGGLOMERATED, MAX_COMPARISONS, MAX_THEMES, SIMILAR, clusters
from sigma_mcp.sigmamind.themes.words import KEY_CHARACTERS, theme_key

__all__ = [
    "AGGLOMERATED",
    "KEY_CHARACTERS",
    "MAX_COMPARISONS",
    "MAX_KEYED",
    "MAX_THEMES",
    "SIMILAR",
    "Failure",
    "Theme",
    "ThemeOf",
    "failure_themes",
    "theme_key",
    "themes_as",
]


class Failure(NamedTuple):
    """One failed attempt: its remarks (cleaned, white space folded; None without), jobId and test case."""

    remarks: str | None
    job_id: str | None
    test_case_id: str | None


@dataclass(frozen=True, slots=True)
class Theme:
    remarks: str | None
    """The most frequent wording in the theme (ties: the shortest, then the first); None: no remarks."""
    count: int
    job_ids: tuple[str, ...]
    """The first jobIds, in the order the failures came."""
    job_ids_not_shown: int
    test_case_ids: tuple[str, ...]
    """Its test cases, most failures in the theme first (ties: the first seen)."""
    test_case_ids_not_shown: int
    variants: int
    """Distinct wordings merged into it."""


MAX_KEYED = 3_000
"""Distinct wordings that are made keys and grouped by them, at most (the most frequent first)."""

ThemeOf = dict[int, int]
"""Where a grouping put each remarks: the `hash` of the remarks (not the text, which may be long) → its theme's
place in the grouping's answer."""


def failure_themes(
    failures: Iterable[Failure],
    *,
    max_job_ids: int = 10,
    max_test_cases: int = 10,
    theme_of: ThemeOf | None = None,
) -> list[Theme]:
    """The themes of `failures`, largest first (ties: the one whose first failure came first); `theme_of`, when
    given, is filled with where each remarks went (for `themes_as`)."""
    failures = list(failures)
    wordings: dict[str, list[int]] = {}
    without: list[int] = []
    for position, failure in enumerate(failures):
        if failure.remarks:
            wordings.setdefault(failure.remarks, []).append(position)
        else:
            without.append(position)
    # The most frequent wordings get keys (`MAX_KEYED` at most: making one is the costliest step per wording); the
    # rest, and those whose key is empty (a remark in a script other than Latin, or of common words only), are
    # grouped by their exact wording only.
    ranked = sorted(wordings.items(), key=lambda item: (-len(item[1]), item[1][0]))
    keys: dict[str, list[int]] = {}
    alone = [positions for _, positions in ranked[MAX_KEYED:]]
    for remarks, positions in ranked[:MAX_KEYED]:
        key = theme_key(remarks)
        if key:
            keys.setdefault(key, []).extend(positions)
        else:
            alone.append(positions)
    for positions in keys.values():
        positions.sort()
    groups = [*_merged(keys).values(), *alone]
    if without:
        groups.append(without)
    themes = [_theme([failures[i] for i in members], max_job_ids, max_test_cases) for members in groups]
    order = sorted(range(len(themes)), key=lambda n: (-themes[n].count, min(groups[n])))
    if theme_of is not None:
        for place, n in enumerate(order):
            for i in groups[n]:
                said = failures[i].remarks
                if said:
                    theme_of[hash(said)] = place
    return [themes[n] for n in order]


def themes_as(
    failures: Iterable[Failure], theme_of: ThemeOf, *, max_job_ids: int = 10, max_test_cases: int = 10
) -> list[Theme]:
    """`failures` (some of those a larger grouping saw: one test case's) grouped as that grouping put their remarks
    (`theme_of`), so that a test case's remarks fall together as the whole batch's do; largest first (ties: the
    theme the larger grouping ranked first). Remarks it did not see are grouped by their own wording; failures
    without remarks are one group."""
    groups: dict[tuple[int, str], list[Failure]] = {}
    for failure in failures:
        remarks = failure.remarks
        place = theme_of.get(hash(remarks)) if remarks else None
        key = (place, "") if place is not None else (len(theme_of) + (0 if remarks else 1), remarks or "")
        groups.setdefault(key, []).append(failure)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [_theme(members, max_job_ids, max_test_cases) for _, members in ranked]


def _merged(keys: dict[str, list[int]]) -> dict[str, list[int]]:
    """Groups of the same key merged into themes, the largest groups first, by the theme's first key."""
    ordered = sorted(keys.items(), key=lambda item: (-len(item[1]), item[1][0]))
    theme_of = clusters([key for key, _ in ordered])
    merged: dict[str, list[int]] = {}
    for index, (_, members) in enumerate(ordered):
        merged.setdefault(ordered[theme_of[index]][0], []).extend(members)
    for members in merged.values():
        members.sort()
    return merged


def _theme(members: list[Failure], max_job_ids: int, max_test_cases: int) -> Theme:
    wordings: dict[str, int] = {}
    for failure in members:
        if failure.remarks:
            wordings[failure.remarks] = wordings.get(failure.remarks, 0) + 1
    first = {wording: n for n, wording in enumerate(wordings)}
    remarks = min(wordings, key=lambda w: (-wordings[w], len(w), first[w])) if wordings else None
    job_ids = tuple(failure.job_id for failure in members if failure.job_id)[:max_job_ids]
    cases: dict[str, int] = {}
    for failure in members:
        if failure.test_case_id:
            cases[failure.test_case_id] = cases.get(failure.test_case_id, 0) + 1
    ranked = sorted(cases, key=lambda case: -cases[case])  # stable: ties keep the first seen first
    return Theme(
        remarks=remarks,
        count=len(members),
        job_ids=job_ids,
        job_ids_not_shown=len(members) - len(job_ids),
        test_case_ids=tuple(ranked[:max_test_cases]),
        test_case_ids_not_shown=max(0, len(ranked) - max_test_cases),
        variants=len(wordings),
    )
