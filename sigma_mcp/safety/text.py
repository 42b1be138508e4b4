"""Helpers for text that comes from the API: clean it, cap it, and quote it as data."""

from __future__ import annotations

import re

# Patterns as text: `re` compiles each at its first use (and keeps it), not at start-up.
_CONTROL_EXCEPT_NEWLINE_TAB = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
_CONTROL_ALL = r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+"
_SURROGATE = r"[\ud800-\udfff]"
"""Half of a character pair (JSON allows a lone "\\ud800"); it cannot be encoded, so it becomes U+FFFD."""
_BACKTICKS = re.compile(r"`+")


def clean_block(text: str, limit: int) -> str:
    """Multi-line third-party text: control and invisible characters removed, capped at `limit`."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        return cap(text.strip(), limit)  # the usual case: nothing to remove (no control, format or surrogate)
    text = re.sub(_CONTROL_EXCEPT_NEWLINE_TAB, "", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(_SURROGATE, "\ufffd", text)
    return cap(text.strip(), limit)


def clean_line(text: str, limit: int) -> str:
    """One-line third-party text (names, labels, ids): control characters become spaces."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return cap(text, limit)  # the usual case: nothing to clean (no control, format or odd space)
    return cap(" ".join(re.sub(_SURROGATE, "\ufffd", re.sub(_CONTROL_ALL, " ", text)).split()), limit)


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    omitted = len(text) - limit
    return f"{text[:limit]}… [{omitted} more characters not shown]"


def fence(text: str, info: str = "text") -> str:
    """A fenced code block that `text` cannot break out of, whatever backticks it holds."""
    if "`" not in text:
        return f"```{info}\n{text}\n```"
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    marker = "`" * max(3, longest + 1)
    return f"{marker}{info}\n{text}\n{marker}"


def code(text: str) -> str:
    """An inline code span that `text` cannot break out of."""
    if "`" not in text:
        return f"`{text}`"
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    marker = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{marker}{pad}{text}{pad}{marker}"


def percent(rate: float) -> str:
    """0.8 -> '80%', 0.8333 -> '83.3%'; never '100%' or '0%' unless exactly so (0.9997 -> '99.9%')."""
    value = round(rate * 100, 1)
    if 0 < rate < 1:
        value = min(max(value, 0.1), 99.9)
    return f"{value:g}%"


def describe_json_type(value: object) -> str:
    """'a number', 'an array', ... for messages about a JSON value of the wrong type."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def cell(text: str) -> str:
    """Text for a markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """'1 attempt', '3 attempts'."""
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def points(value: float) -> str:
    """A change in percentage points: '+10', '-33.3', '0'."""
    return "0" if value == 0 else f"{value:+g}"
