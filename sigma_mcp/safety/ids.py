"""Validation of the ids that tools put into URLs.

An id is refused before any request when it could change the meaning of the URL it goes into:
path separators, dot segments, query and fragment characters, percent-escapes, whitespace,
control or non-ASCII characters, or an absurd length.
"""

from __future__ import annotations

import re

MAX_ID_LENGTH = 128
_ID = re.compile(r"[A-Za-z0-9._-]+")
ID_SHAPE = f"1 to {MAX_ID_LENGTH} ASCII letters, digits, '_', '-' or '.', not dots alone"


def is_id(value: object) -> bool:
    """Whether `value` is a safe id (for ids from the API that go into suggested calls)."""
    return isinstance(value, str) and id_problem(value) is None


class IdProblem(ValueError):
    """An id that must not go into a URL; its message names the parameter and says what an id is."""

    def __init__(self, name: str, value: str, problem: str, example: str) -> None:
        super().__init__(
            f"Invalid {name} {_preview(value)}: {problem}. An id is {ID_SHAPE}, for example {example}. "
            "Nothing was sent to SigmaMind; pass the id exactly as SigmaMind shows it."
        )


def id_problem(value: str) -> str | None:
    """What makes `value` unsafe in a URL, or None."""
    if not value:
        return "it is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"it is {len(value)} characters long"
    if _ID.fullmatch(value) is None:
        bad = next(ch for ch in value if _ID.fullmatch(ch) is None)
        return f"it contains {_describe_char(bad)}"
    if set(value) == {"."}:
        return "it is only dots, which would change the URL's path"
    return None


def _describe_char(ch: str) -> str:
    names = {
        "/": "'/' (a path separator)",
        "\\": "'\\' (a path separator)",
        "?": "'?' (starts a query)",
        "#": "'#' (starts a fragment)",
        "%": "'%' (a percent-escape)",
        "&": "'&' (a query separator)",
    }
    if ch in names:
        return names[ch]
    if ch.isspace():
        return "whitespace"
    if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
        return f"a control character (U+{ord(ch):04X})"
    if ord(ch) > 0x7E:
        return f"the non-ASCII character U+{ord(ch):04X}"
    return f"the character {ch!r}"


def _preview(value: str) -> str:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return ascii(shown)
