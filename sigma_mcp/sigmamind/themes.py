"""Failure themes: failed attempts grouped by what the judge's remarks say, not by their exact wording.

An LLM judge writes a slightly different sentence each time it applies one criterion ("The agent asked for the
order number again (turn 3)", "At turn 5 the agent asked Priya for the order number again"). Remarks that differ
only in details fall into one theme:

1. Each remark is reduced to its words without the details (`theme_key`): quoted phrases, ids, amounts, dates,
   times, turn numbers and other numbers, capitalised names within a sentence and a leading "The agent" / "Agent"
   go; so do common words; a few verbs judges use interchangeably are folded together ("requested" → "ask");
   the words left are sorted, so that clause order does not count.
2. Remarks with the same key are one group; then each group, the largest first, joins the theme whose first
   key is most alike (rapidfuzz's `ratio` of the two keys, at least `SIMILAR`), or starts a theme of its own.

Different problems keep different words ("refund amount" against "delivery address", "never asked" against
"asked again"), and a high `SIMILAR` keeps them apart; remarks that say one thing in other words are not merged.
docs/themes.md has the figures on a labelled set.

Bounded work whatever a batch run holds: a key is made of at most `KEY_CHARACTERS` characters of its remark, once
per distinct wording; a group is compared with at most `MAX_LEADERS` themes, and `MAX_COMPARISONS` comparisons are
made in all; groups beyond those stay themes of their own.
rapidfuzz is imported at the first call, not at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

SIMILAR = 65
"""The least rapidfuzz `ratio` (0-100) of two keys whose remarks are one theme."""
SHARED = 0.5
"""The share of their words two keys must hold in common, more than: one word apart in four is another problem."""
KEY_CHARACTERS = 300
MAX_LEADERS = 300
MAX_COMPARISONS = 200_000
"""Key comparisons in one call at most (about a tenth of a second); groups beyond them stay themes of their own."""

_QUOTED = re.compile(
    r'"[^"]{0,300}"|\u201c[^\u201d]{0,300}\u201d|\u2018[^\u2019]{0,300}\u2019|(?<!\w)\'[^\']{1,300}\'(?!\w)'
)
"""Quoted phrases: in straight quotes, curly quotes, or single quotes that are not apostrophes."""
_NAME = re.compile(r"(?<=[a-z0-9,;)] )[A-Z][a-z]+(?:'s)?\b")
_IDENT = re.compile(r"\b[A-Za-z]+[_-][\w-]*\d[\w-]*\b|\b[A-Za-z]*\d[\w-]*\b")
_NUMBER = re.compile(r"[$€£]?\d[\d,.:/-]*")
_LEAD = re.compile(r"^(?:the )?(?:agent|assistant|bot)\b[\s,:]*", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")
_STOP = frozenset(
    """
    a an the to of for and or but it its is was were be been being had has have that this these those which who
    when what in on at by with from as so then than there their his her him she he they them you your would will
    could should can did do does even though although also only just already up about into very any some each every
    one agent assistant bot customer caller user patient call conversation turn turns required requires criteria
    criterion success successful during after while because which s t
    """.split()  # noqa: SIM905 - a list literal of 100 words would not fit the line length
)
_SAME = {
    "asked": "ask",
    "asks": "ask",
    "asking": "ask",
    "requested": "ask",
    "requests": "ask",
    "request": "ask",
    "twice": "again",
    "too": "early",
    "soon": "early",
    "prematurely": "early",
    "second": "again",
    "repeated": "again",
    "never": "not",
    "didn": "not",
    "didnt": "not",
    "without": "not",
    "no": "not",
    "confirmed": "confirm",
    "confirming": "confirm",
    "stated": "say",
    "states": "say",
    "state": "say",
    "told": "say",
    "tell": "say",
    "mentioned": "say",
    "mention": "say",
    "said": "say",
    "provided": "give",
    "gave": "give",
    "given": "give",
}


_MARKERS = frozenset({"not", "again", "early", "late", "wrong", "incorrect", "before"})
"""Words that make two otherwise alike remarks different problems."""


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


def theme_key(remarks: str) -> str:
    """The remark's words without its details, sorted (see the module's docstring)."""
    text = remarks[:KEY_CHARACTERS]
    text = _QUOTED.sub(" ", text)
    text = _NAME.sub(" ", text)
    text = _IDENT.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    text = _LEAD.sub("", text.strip())
    words = set()
    for word in _WORD.findall(text.casefold()):
        word = _SAME.get(word, word)
        if word in _STOP:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return " ".join(sorted(words))


def failure_themes(failures: Iterable[Failure], *, max_job_ids: int = 10, max_test_cases: int = 10) -> list[Theme]:
    """The themes of `failures`, largest first (ties: the one whose first failure came first)."""
    failures = list(failures)
    keys: dict[str, list[int]] = {}
    key_of: dict[str, str] = {}
    without: list[int] = []
    for position, failure in enumerate(failures):
        if failure.remarks:
            key = key_of.get(failure.remarks)
            if key is None:
                key = key_of[failure.remarks] = theme_key(failure.remarks)
            keys.setdefault(key, []).append(position)
        else:
            without.append(position)
    groups = [members for members in _merged(keys).values()]
    if without:
        groups.append(without)
    themes = [_theme([failures[i] for i in members], max_job_ids, max_test_cases) for members in groups]
    order = sorted(range(len(themes)), key=lambda n: (-themes[n].count, min(groups[n])))
    return [themes[n] for n in order]


def _merged(keys: dict[str, list[int]]) -> dict[str, list[int]]:
    """Groups of the same key, each joined to the most alike theme's first key, the largest groups first."""
    from rapidfuzz import fuzz, process

    themes: dict[str, list[int]] = {}
    leaders: dict[frozenset[str], list[str]] = {}
    """The themes' first keys, by the words that turn a sentence's meaning ("not", "again"): only keys with the
    same such words are compared, so that "never asked" and "asked again" stay apart however alike the rest."""
    led = 0
    left = MAX_COMPARISONS
    for key, members in sorted(keys.items(), key=lambda item: (-len(item[1]), item[1][0])):
        found: str | None = None
        alike = leaders.setdefault(_MARKERS.intersection(key.split()), [])
        if key and alike and left >= len(alike):
            left -= len(alike)
            words = set(key.split())
            for candidate, _, _ in process.extract(key, alike, scorer=fuzz.ratio, score_cutoff=SIMILAR, limit=5):
                if _shared(words, set(candidate.split())) > SHARED:
                    found = candidate
                    break
        if found is not None:
            themes[found] += members
        elif led < MAX_LEADERS:
            led += 1
            alike.append(key)
            themes[key] = list(members)
        else:
            themes.setdefault(key, []).extend(members)
    for members in themes.values():
        members.sort()
    return themes


def _shared(one: set[str], other: set[str]) -> float:
    """The share of the two keys' words that both hold."""
    return len(one & other) / len(one | other)


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
