"""A remark's key: its words without the details, in the judge's vocabulary folded into concepts."""

from __future__ import annotations

import re
from functools import lru_cache

KEY_CHARACTERS = 300
"""The characters of a remark its key is made of, at most."""

_QUOTED = re.compile(
    r'"[^"]{0,300}"|\u201c[^\u201d]{0,300}\u201d|\u2018[^\u2019]{0,300}\u2019|(?<!\w)\'[^\']{1,300}\'(?!\w)'
)
"""Quoted phrases: in straight quotes, curly quotes, or single quotes that are not apostrophes."""
_NAME = re.compile(r"(?<=[a-z0-9,;)] )[A-Z][a-z]+(?:'s)?\b")
_IDENT = re.compile(r"\b[A-Za-z]+[_-][\w-]*\d[\w-]*\b|\b[A-Za-z]*\d[\w-]*\b")
_NUMBER = re.compile(r"[$€£]?\d[\d,.:/-]*")
_LEAD = re.compile(r"^(?:failed because\s+)?(?:(?:the )?(?:agent|assistant|bot)\b[\s,:]*)?", re.IGNORECASE)
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z]")
"""Letters of other scripts (and accented ones): a remark with more of them than of A-Z is not keyed."""
_TOKEN = re.compile(r"[a-z]+|[,.;:!?()]")
_CLAUSE_BREAKS = frozenset([*",.;:!?()", "and", "but"])
"""Where a clause ends: no pair of concepts across it."""
MAX_CONCEPTS = 24
"""The concepts of a key, at most (the first in the remark)."""

_PHRASES = [
    (("n't", "didnt"), re.compile(r"n't\b|\bdidnt\b"), " not"),
    (("fail",), re.compile(r"\bfail(?:s|ed|ing)? to\b"), "not"),
    (("back",), re.compile(r"\b(?:read|repeat)(?:s|ed|ing)?\b((?: \w+){0,6}?) back\b"), r"confirm\1"),
    (("hand",), re.compile(r"\bhand(?:s|ed|ing)?\b((?: \w+){0,4}?) (?:off|over)\b"), r"transfer\1"),
    (
        ("time", "more", "re-"),
        re.compile(r"\b(?:a |the )?second time\b|\bone more time\b|\bonce more\b|\bmore than once\b|\bre-(?=[a-z])"),
        "again ",
    ),
    (("repeated",), re.compile(r"\brepeatedly\b|\brepeated (?=request|attempt|question)"), "again "),
    (("too", "right"), re.compile(r"\btoo (?:early|soon)\b|\bright away\b"), "early"),
    (("too",), re.compile(r"\btoo late\b"), "late"),
    (("how", "frame", "processing"), re.compile(r"\bhow long\b|\btime ?frame\b|\bprocessing time\b"), "duration"),
    (("how",), re.compile(r"\bhow much\b"), "amount"),
    (("social",), re.compile(r"\bsocial security number\b"), "ssn"),
    (("not",), re.compile(r"\bnot (?:available|open|free)\b"), "unavailable"),
    (("not",), re.compile(r"\bnot (?:\w+ )?(?:end|stop|terminat|finish|hang)\w*"), "continue"),
    (("match", "contradict"), re.compile(r"\bnot match\w*|\bmismatch\w*|\bcontradict\w*"), "wrong"),
    (("misstat",), re.compile(r"\bmisstat\w*"), "wrong state"),
]
"""Phrases a judge uses for one thing, rewritten before the words are taken (each tried only where one of its
words is in the text): "did not" and "failed to" are a "not", "read the time back" a confirming, "did not end"
a continuing, "a second time" an "again"."""

_IRREGULAR = {
    "gave": "give", "given": "give", "told": "tell", "said": "say", "says": "say", "took": "take", "taken": "take",
    "kept": "keep", "made": "make", "sent": "send", "got": "get", "went": "go", "thought": "think",
}  # fmt: skip

_CONCEPTS = {
    "ask": "ask request inquire query collect obtain gather",
    "say": "say tell state mention inform communicate share disclose reveal explain give provide quote read recite",
    "confirm": "confirm verify check validate confirmation verification validation",
    "transfer": "transfer escalate handoff forward connect route",
    "offer": "offer suggest propose push recommend insist",
    "book": "book schedule reserve",
    "again": "again twice repeat",
    "not": "not never no without ignore skip forget omit neglect miss missing",
    "early": "early soon premature prematurely immediately immediate",
    "wrong": "wrong incorrect inaccurate mistaken erroneous",
    "late": "late belated",
    "full": "full entire whole",
    "human": "human person representative live specialist operator",
    "phone": "phone telephone callback contact mobile",
    "delivery": "delivery deliver ship shipping arrive arrival",
    "amount": "amount sum total price cost",
    "pay": "pay payment charge bill",
    "continue": "continue keep",
    "attempt": "attempt try",
    "resolve": "resolve solve fix troubleshoot help handle",
    "issue": "issue problem",
    "decline": "decline refuse reject",
    "info": "info information detail",
    "expect": "expect estimate",
    "speak": "speak talk",
    "end": "end terminate stop finish",
    "duration": "duration timeline",
    "time": "time date",
    "wait": "wait hold",
}
"""Words judges use for one thing, by the concept they fold into (after stemming: "requested" is "ask")."""

_STOP_WORDS = frozenset(
    """
    a an the to of for and or but it its is was were be been being had has have that this these those which who
    when what in on at by with from as so then than there their his her him she he they them you your would will
    could should can did do does even though although also only just already up about into very any some each every
    one agent assistant bot customer caller user patient client call conversation turn turns required requires
    require criteria criterion success successful during while because s t despite yet still instead rather
    itself himself herself themselves all more other way point once must correct correctly clearly explicitly
    me my i we our us if how where why whether back out over off take make get go happen mock fully
    forbid forbids forbidden forbade prohibit prohibits prohibited violate violates violated violation breach
    zero two three four five six seven eight nine ten eleven twelve hundred thousand third fourth fifth
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december am pm
    """.split()  # noqa: SIM905 - a list literal of 150 words would not fit the line length
)
"""Common words, the parties of a call, number words, weekdays and months: no part of what went wrong."""

NEGATION = "not"
"""The concept of "not", "never", "without", "did not": a remark with it and one without are different problems."""
MARKERS = frozenset({NEGATION, "again", "early", "late", "wrong"})
"""Concepts that turn a sentence's meaning: words on their own, never part of a pair."""


def _stem(word: str) -> str:
    """A light stem: the endings -s, -es, -ies, -ied, -ed, -ing, -ly and a final -e go."""
    if len(word) <= 3:
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending in ("ingly", "edly", "ing", "ed", "ly"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "stopped" → "stop"
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


_FOLD = {_stem(word): concept for concept, words in _CONCEPTS.items() for word in words.split()}
_STOP = _STOP_WORDS | {_stem(word) for word in _STOP_WORDS}


@lru_cache(maxsize=8192)
def _concept(word: str) -> str | None:
    """The word's concept, or its stem; None: a common word."""
    if word in _STOP:
        return None
    word = _IRREGULAR.get(word, word)
    stem = _stem(word)
    concept = _FOLD.get(stem, _FOLD.get(word, stem))
    return None if concept in _STOP else concept


def theme_key(remarks: str) -> str:
    """The remark's concepts without its details, sorted, so that clause order does not count; with each pair of
    neighbouring concepts in a clause ("refund+amount" against "pay+amount"). Empty for a remark written mostly in
    another script than Latin: its few Latin words ("SMS") would say nothing of what went wrong."""
    text = remarks[:KEY_CHARACTERS]
    if not text.isascii() and len(_OTHER_LETTER.findall(text)) > len(_LATIN_LETTER.findall(text)):
        return ""
    words = _concepts(_QUOTED.sub(" ", text))
    if len(words) < 2:  # a remark that is mostly a quote is about what the quote says
        words |= _concepts(text)
    return " ".join(sorted(words))


def _concepts(text: str) -> set[str]:
    text = _NAME.sub(" ", text)
    text = _IDENT.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    text = _LEAD.sub("", text.strip()).casefold()
    for triggers, pattern, replacement in _PHRASES:
        if any(trigger in text for trigger in triggers):
            text = pattern.sub(replacement, text)
    words: set[str] = set()
    last = ""
    concepts = 0
    for word in _TOKEN.findall(text):
        if word in _CLAUSE_BREAKS:
            last = ""
            continue
        concept = _concept(word)
        if concept is None:
            continue
        if concept not in words:
            concepts += 1
            if concepts > MAX_CONCEPTS:
                break
            words.add(concept)
        if concept not in MARKERS:
            if last and last != concept:
                words.add(f"{last}+{concept}" if last < concept else f"{concept}+{last}")
            last = concept
    return words
