"""The one place that keeps secrets out of everything sigma-mcp emits.

Bodies are redacted as they arrive from the API, before anything can shorten them; results, error
messages, CLI output and log records are redacted again on the way out. A cut that falls inside a
secret cannot leak its start either: any run of eight or more of its leading characters is masked.

Besides the secrets it was given, every redactor masks what the request being handled carried (`keys`): its
SigmaMind key and any other credential it sent, in results, errors and log records alike.
"""

from __future__ import annotations

import builtins
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from pydantic_core import to_json

from sigma_mcp.safety.keys import request_secrets

REDACTED = "[REDACTED]"
SHORT_SECRET = 16
"""Secrets shorter than this are only replaced where they stand alone, so that a short key such as
"test" does not mangle ordinary words; longer ones are replaced wherever they occur."""
FRAGMENT = 8
"""A run of this many leading characters of a (long) secret is masked too."""


_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')
"""What `pydantic_core.to_json` writes otherwise than as itself (or cannot write: a lone surrogate)."""


class Redactor:
    """Replaces every known secret in text, bytes and JSON-like values."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        self._short: dict[str, re.Pattern[str]] = {}
        self._spellings: dict[str, tuple[bytes, ...]] = {}
        """A long secret's spellings in raw JSON: as it is, JSON-escaped, and with `/` escaped too."""
        for secret in secrets:
            self.add(secret)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def add(self, secret: str | None) -> None:
        """Start redacting `secret` (ignored when empty)."""
        if not secret or secret in self._secrets:
            return
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = tuple(sorted((*self._secrets, secret), key=len, reverse=True))
        if len(secret) < SHORT_SECRET:
            self._short[secret] = re.compile(rf"(?<![\w-]){re.escape(secret)}(?![\w-])")
        else:
            self._spellings[secret] = _spellings(secret)

    def __bool__(self) -> bool:
        return bool(self._secrets) or bool(request_secrets())

    def _now(self) -> tuple[str, ...]:
        """The secrets to mask now: those given, and what the current request carried (never short)."""
        extra = [secret for secret in request_secrets() if secret not in self._secrets]
        if not extra:
            return self._secrets
        return tuple(sorted({*self._secrets, *extra}, key=len, reverse=True))

    def text(self, value: str) -> str:
        for secret in self._now():
            pattern = self._short.get(secret)
            if pattern is not None:
                value = pattern.sub(REDACTED, value)
                continue
            if secret in value:
                value = value.replace(secret, REDACTED)
            if secret[:FRAGMENT] in value:
                value = _mask_fragments(value, secret)
        return value

    def bytes(self, body: bytes) -> bytes:
        """A raw API body with every long secret replaced, also in its JSON-escaped spellings.

        Short secrets are left to `text` and `json`: replacing them in raw JSON could break its structure.
        """
        for secret in self._now():
            if secret in self._short:
                continue
            spellings = self._spellings.get(secret) or _spellings(secret)  # or one the request carried
            for encoded in spellings:
                if encoded in body:
                    body = body.replace(encoded, REDACTED.encode())
        return body

    def clean(self, value: Any) -> bool:
        """Whether no string in the JSON-like `value` (nor any object key) holds anything `text` would mask:
        one serialisation to JSON (`pydantic_core.to_json`, which also takes a pydantic model) searched for
        each secret, instead of a walk that looks at every string.

        It searches for what `text` looks for: a short secret itself, a long one's first `FRAGMENT` characters
        (which any run `text` masks starts with). Both appear in the JSON as they are unless they hold a
        character JSON escapes; then, and for a value JSON cannot hold, the answer is False (walk it)."""
        try:
            dumped = to_json(value)
        except (TypeError, ValueError, RecursionError):
            return False
        return self.clean_json(dumped)

    def clean_json(self, dumped: builtins.bytes) -> bool:
        """`clean` of a value already serialised by `pydantic_core.to_json` (its default options)."""
        needles = self._needles()
        return needles is not None and not any(needle in dumped for needle in needles)

    def _needles(self) -> list[builtins.bytes] | None:
        """What `clean` searches the JSON for; None when a secret holds a character JSON escapes."""
        needles = [secret if secret in self._short else secret[:FRAGMENT] for secret in self._now()]
        if any(_JSON_ESCAPED.search(needle) for needle in needles):
            return None
        return [needle.encode() for needle in needles]

    def json(self, value: Any, *, keep: frozenset[str] = frozenset()) -> Any:
        """A JSON-like value with secrets replaced in every string, and in every object key except those in
        `keep` (the names of our own schema's fields, which are never data): a copy (tuples as lists) when
        something in it is secret, `value` itself when nothing is."""
        if not self or self.clean(value):
            return value
        return self._walk(value, keep)

    def _walk(self, value: Any, keep: frozenset[str]) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                (k if k in keep or not isinstance(k, str) else self.text(k)): self._walk(v, keep)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._walk(v, keep) for v in value]
        return value


def _spellings(secret: str) -> tuple[bytes, ...]:
    escaped = json.dumps(secret)[1:-1]
    spellings = dict.fromkeys((secret, escaped, escaped.replace("/", "\\/")))
    return tuple(spelling.encode("utf-8", "surrogatepass") for spelling in spellings)  # a lone surrogate as is


def _mask_fragments(value: str, secret: str) -> str:
    """Mask every run of FRAGMENT or more leading characters of `secret` (a secret cut short)."""
    head = secret[:FRAGMENT]
    start = value.find(head)
    while start != -1:
        end = start + FRAGMENT
        while end < len(value) and end - start < len(secret) and value[end] == secret[end - start]:
            end += 1
        value = value[:start] + REDACTED + value[end:]
        start = value.find(head, start + len(REDACTED))
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message, exception text and stack of every record."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._redactor:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self._redactor.text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.text(record.stack_info)
        return True
