"""The SigmaMind key a request brings with it, for that request only.

A shared HTTP server started without `SIGMAMIND_API_KEY` serves each user with their own key, sent in
the `X-SigmaMind-Api-Key` header of each MCP request. The key lives in a context variable while that
request is handled — the client sends it upstream, the redactor masks it in everything emitted — and
nowhere else: it is never logged, never stored, and gone when the request ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_KEY_HEADER = "X-SigmaMind-Api-Key"
MIN_LENGTH = 16
"""Shorter keys are refused: a key that short could not be masked safely wherever it appears."""
MAX_LENGTH = 512


@dataclass(frozen=True)
class RequestKey:
    """A key from the header, or why the header's value was refused (`problem`)."""

    value: str | None = None
    problem: str | None = None

    def __repr__(self) -> str:
        return "RequestKey(<refused>)" if self.problem else "RequestKey(<set>)"


_current: ContextVar[RequestKey | None] = ContextVar("sigma_mcp_request_key", default=None)
_carried: ContextVar[tuple[str, ...]] = ContextVar("sigma_mcp_request_secrets", default=())


def current_request_key() -> RequestKey | None:
    """The key of the request being handled, if it brought one."""
    return _current.get()


def request_secrets() -> tuple[str, ...]:
    """What the request being handled carried that must be masked wherever it shows: its key (including a
    refused one, if it is long), and the other credentials it sent (`carried`)."""
    key = _current.get()
    carried = _carried.get()
    return carried if key is None or key.value is None else (key.value, *carried)


@contextmanager
def request_key(raw: str | None, carried: tuple[str, ...] = ()) -> Iterator[None]:
    """Handle a request with the key from its header (`None`: it sent none) and, in `carried`, the other
    credentials it sent (a bearer token, a key in a header we do not read), masked like the key."""
    token = _current.set(None if raw is None else parse_request_key(raw))
    carried_token = _carried.set(tuple(secret for secret in carried if len(secret) >= MIN_LENGTH))
    try:
        yield
    finally:
        _carried.reset(carried_token)
        _current.reset(token)


QUOTES = ("'", '"')


def is_quoted(key: str) -> bool:
    """A key pasted with its quotes (`"sk_…"`, `'sk_…'`): sent like that, it would fail, and an API that
    echoes it without them would echo a string the redactor was never told of."""
    return key[:1] in QUOTES or key[-1:] in QUOTES


PLACEHOLDER_KEY = "paste-your-sigmamind-api-key-here"
"""The key in claude_desktop_config.example.json, recognised so that a copied config gets a clear message."""

_PLACEHOLDERS = frozenset(
    {PLACEHOLDER_KEY, "api-key", "sigmamind-api-key", "api-key-here", "key", "changeme", "placeholder"}
)
"""Placeholders as written, lower case with `-` for `_`; `your-…`, `paste-…`, `…` and filler are caught by rule."""
_VARIABLE = re.compile(
    r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%|\$\{(?:env:|input:|user_config\.)[A-Za-z_][\w.-]*\}"
)
"""`$NAME`, `${NAME}`, `%NAME%`, and the one-click installs' `${env:NAME}` (Cursor), `${input:ID}` (VS Code) and
`${user_config.NAME}` (a Claude Desktop bundle): a variable a client passed on unexpanded."""
_FILLER = re.compile(r"(sk-)?(x+|\*+|0+|\.+)")
"""`sk-xxxx`, `xxxxxxxx`, `****`: a key written out as filler."""


def placeholder_problem(key: str, where: str) -> str | None:
    """Why `key` is a placeholder rather than a key (`where` names the variable or header), or None.

    Catches the documentation's and the example configuration's placeholders, written any common way
    (`your-key`, `<api-key>`, `YOUR_API_KEY`, `sk-...`), and variables a client passed on unexpanded
    (`${SIGMAMIND_API_KEY}`). The value is never repeated: a heuristic must not echo a real key.
    """
    how = (
        "Create a key in the SigmaMind dashboard (API Keys, the Production API key) and put the key itself in "
        f"{where}, then restart the server (or the client). To try sigma-mcp without a key, start it with --demo."
    )
    subject = where[:1].upper() + where[1:]
    if _VARIABLE.fullmatch(key):
        return (
            f"{subject} holds the name of a variable, not a key: MCP clients pass these values on as written, "
            f"without expanding variables. {how}"
        )
    normal = key.strip("<>[]{}").lower().replace("_", "-")
    if (
        normal in _PLACEHOLDERS
        or normal.startswith(("your-", "paste-", "insert-", "enter-"))
        or "..." in normal
        or _FILLER.fullmatch(normal)
        or (key.startswith("<") and key.endswith(">"))
    ):
        return f"{subject} holds a placeholder from an example, not a SigmaMind API key. {how}"
    return None


def parse_request_key(raw: str) -> RequestKey:
    value = raw.strip()
    if not value:
        return RequestKey(problem=f"The {REQUEST_KEY_HEADER} header is empty. Send your SigmaMind API key in it.")
    if not all(0x21 <= ord(ch) <= 0x7E for ch in value):
        return RequestKey(
            problem=f"The {REQUEST_KEY_HEADER} header holds spaces or non-ASCII characters, which no API key has. "
            "Copy the key from the SigmaMind dashboard again and send it without quotes or extra characters."
        )
    placeholder = placeholder_problem(value, f"the {REQUEST_KEY_HEADER} header")
    if placeholder is not None:
        return RequestKey(problem=placeholder)
    if is_quoted(value):
        return RequestKey(
            value=value if len(value) >= MIN_LENGTH else None,
            problem=f"The {REQUEST_KEY_HEADER} header starts or ends with a quote mark, which is not part of any "
            "API key. Send the key without quotes.",
        )
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        # Too short to mask safely, or absurdly long: refused, but masked anyway where it can be.
        return RequestKey(
            value=value if len(value) >= MIN_LENGTH else None,
            problem=f"The {REQUEST_KEY_HEADER} header holds {len(value)} characters; an API key has between "
            f"{MIN_LENGTH} and {MAX_LENGTH}. Send the whole key from the SigmaMind dashboard (API Keys).",
        )
    return RequestKey(value=value)
