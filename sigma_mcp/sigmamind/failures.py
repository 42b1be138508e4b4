"""How upstream failures become the errors a call ends in: each HTTP status and transport failure mapped once,
with a message that says what happened and what to do next, and the API's own message cleaned and capped."""

from __future__ import annotations

import email.utils
import json
import math
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sigma_mcp.sigmamind.errors import (
    OverShare,
    Target,
    UpstreamAuthError,
    UpstreamError,
    UpstreamInvalidResponse,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamTLSError,
    UpstreamTooLarge,
    UpstreamUnreachable,
)

if TYPE_CHECKING:
    import httpx

_API_MESSAGE_LIMIT = 300
_HTML_TAG = r"<[^>]*>"  # compiled at first use, not at start-up
_CONTROL = r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]+"


def error_for_response(
    response: httpx.Response, target: Target, *, base_url: str, key_from_header: bool = False
) -> UpstreamError:
    """Map a non-2xx response to the exception the caller should see. `key_from_header`: the key was the
    request's own (X-SigmaMind-Api-Key), not the server's SIGMAMIND_API_KEY."""
    status = response.status_code
    reason = f"HTTP {status}{' ' + response.reason_phrase if response.reason_phrase else ''}"
    detail, json_body = _error_body(response)
    said = f" The API said: {detail}" if detail else ""
    if key_from_header:
        key, holder, then = (
            "the API key sent in X-SigmaMind-Api-Key",
            "the key you send",
            "update it in your MCP client's configuration",
        )
    else:
        key, holder, then = "the API key", "SIGMAMIND_API_KEY", "restart the MCP server"
    error: UpstreamError
    if status == 401:
        error = UpstreamAuthError(
            f"SigmaMind rejected {key} ({reason}). Check that {holder} is a valid, unrevoked Production API "
            f"key from the SigmaMind dashboard (API Keys), then {then}.{said}"
        )
    elif status == 403:
        error = UpstreamAuthError(
            f"{key[0].upper()}{key[1:]} has no access to the {target.description} ({reason}). Check that "
            f"{holder} is a key of the workspace that owns this agent, and that the ids are right.{said}"
        )
    elif status == 404:
        error = UpstreamNotFound(f"SigmaMind has no {target.description} ({reason}). {target.not_found_hint}{said}")
    elif status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        wait = (
            f"Wait {format_seconds(retry_after)} (the API's Retry-After) and try again."
            if retry_after is not None
            else "Wait a few seconds and try again."
        )
        error = UpstreamRateLimited(f"SigmaMind is rate limiting requests ({reason}). {wait}{said}", retry_after)
    elif 300 <= status < 400:
        location = response.headers.get("location", "")
        error = UpstreamInvalidResponse(
            f"SigmaMind answered with a redirect ({reason}{' to ' + _clean(location, 200) if location else ''}), "
            "which sigma-mcp does not follow so that the API key only ever goes to "
            f"{base_url}. Check SIGMAMIND_BASE_URL."
        )
    elif 400 <= status < 500:
        error = UpstreamRejected(
            f"SigmaMind refused the request for the {target.description} ({reason}).{said or ' No reason given.'}"
        )
    elif status >= 500:
        error = UpstreamServerError(
            f"SigmaMind failed to answer for the {target.description} ({reason}); the problem is on "
            f"SigmaMind's side. Try again in a minute.{said}"
        )
    else:
        error = UpstreamInvalidResponse(f"SigmaMind answered with an unexpected status ({reason}).")
    error.status = status
    error.json_body = json_body
    return error


def error_for_transport(exc: httpx.TransportError, *, base_url: str, timeout: float) -> UpstreamError:
    """Map a failure to connect or to receive an answer."""
    import httpx  # loaded with the client, not at start-up

    if isinstance(exc, httpx.TimeoutException):
        phase = "connect to" if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout) else "get an answer from"
        return UpstreamTimeout(
            f"Could not {phase} SigmaMind at {base_url} within {format_seconds(timeout)} "
            "(SIGMAMIND_TIMEOUT). Try again; if it keeps happening, check SIGMAMIND_BASE_URL and "
            "your network, or raise SIGMAMIND_TIMEOUT for very large batch runs."
        )
    tls = _tls_failure(exc)
    if tls is not None:
        return UpstreamTLSError(
            f"The TLS connection to SigmaMind at {base_url} failed ({tls}). If your network inspects TLS (a "
            "corporate proxy), point SSL_CERT_FILE at its CA certificate bundle; otherwise check "
            "SIGMAMIND_BASE_URL (https:// to an address that speaks TLS) and the machine's clock."
        )
    if isinstance(exc, httpx.ConnectError):
        return UpstreamUnreachable(
            f"Could not connect to SigmaMind at {base_url} ({_describe(exc)}). Check "
            "SIGMAMIND_BASE_URL (default https://api.sigmamind.ai) and your network or proxy."
        )
    return UpstreamUnreachable(
        f"The connection to SigmaMind at {base_url} failed before a full answer arrived "
        f"({_describe(exc)}). Try again; if it keeps happening, check SIGMAMIND_BASE_URL and your network."
    )


def over_share(per_user: int, timeout: float, waited: float, sent: bool) -> OverShare:
    """The call ran out of time after waiting `waited` seconds for one of its user's slots (see `share`)."""
    return OverShare(
        f"This shared sigma-mcp server lets each user have {per_user} SigmaMind request{'s' * (per_user != 1)} in "
        f"flight at a time (SIGMA_MCP_PER_USER_CONCURRENCY). This call waited {format_seconds(waited)} of the "
        f"{format_seconds(timeout)} it may take (SIGMAMIND_TIMEOUT) for one of your other calls to finish, and "
        + ("ran out of time before it could be sent." if not sent else "then ran out of time upstream.")
        + " Wait for your other calls to finish and try again, with fewer calls at once; or ask whoever runs the "
        "server to raise the limit."
    )


def deadline_exceeded(base_url: str, timeout: float) -> UpstreamTimeout:
    """The whole call, retries included, ran out of time."""
    return UpstreamTimeout(
        f"SigmaMind at {base_url} did not give a full answer within {format_seconds(timeout)} "
        "(SIGMAMIND_TIMEOUT, which bounds the whole call, retries included). Try again; if it keeps "
        "happening, check SIGMAMIND_BASE_URL and your network, or raise SIGMAMIND_TIMEOUT for very large "
        "batch runs."
    )


def too_large(target: Target, cap: int, length: int | None) -> UpstreamTooLarge:
    size = f" ({length / 1_000_000:.1f} MB)" if length is not None else ""
    return UpstreamTooLarge(
        f"SigmaMind's answer for the {target.description} is larger than the {cap / 1_000_000:g} MB sigma-mcp "
        f"reads{size}, so it was not read. Raise SIGMAMIND_MAX_RESPONSE_MB if this batch run really is that large."
    )


def invalid_json(target: Target, body: bytes) -> UpstreamInvalidResponse:
    preview = _clean(body[:120].decode("utf-8", "replace"), 120)
    return UpstreamInvalidResponse(
        f"SigmaMind answered the request for the {target.description} with a body that is not valid "
        f"JSON ({len(body)} bytes, starting {preview!r}). This is unexpected; try again, and check "
        "SIGMAMIND_BASE_URL points at the SigmaMind API."
    )


def not_an_object(target: Target, kind: str) -> UpstreamInvalidResponse:
    return UpstreamInvalidResponse(
        f"SigmaMind answered the request for the {target.description} with JSON that is not an "
        f"object (got {kind}), so there is nothing to summarise. Check SIGMAMIND_BASE_URL points at "
        "the SigmaMind API."
    )


def api_message(response: httpx.Response) -> str:
    """The API's own explanation of an error, trimmed and cleaned, or ''."""
    return _error_body(response)[0]


def _error_body(response: httpx.Response) -> tuple[str, bool]:
    """The API's own explanation of an error (trimmed and cleaned, or ''), and whether the body was a JSON
    object."""
    body = response.content[:4096]
    if not body.strip():
        return "", False
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        parts = [data.get(key) for key in ("message", "error", "detail", "title")]
        texts = [p for p in parts if isinstance(p, str) and p.strip()]
        if texts:
            # "Bad Request: Invalid request parameters" - error name first when both are given.
            ordered = texts[1:2] + texts[:1] if len(texts) > 1 else texts
            return _clean(": ".join(dict.fromkeys(ordered)), _API_MESSAGE_LIMIT), True
        return "", True
    text = body.decode("utf-8", "replace")
    if "<html" in text.lower() or "<!doctype" in text.lower():
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = title.group(1) if title else re.sub(_HTML_TAG, " ", text)
        return _clean(f"(an HTML page) {text}", _API_MESSAGE_LIMIT), False
    return _clean(text, _API_MESSAGE_LIMIT), False


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def format_seconds(seconds: float) -> str:
    """'0.3 seconds', '1 second', '18 seconds', '10 minutes'."""
    if seconds < 120:
        value = round(seconds, 1) if seconds < 10 else math.ceil(seconds)
        return f"{value:g} second{'' if value == 1 else 's'}"
    return f"{math.ceil(seconds / 60)} minutes"


def _tls_failure(exc: BaseException) -> str | None:
    """What went wrong in the TLS handshake behind `exc`, if that is what failed."""
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) and current.verify_message:
            return _clean(f"certificate verify failed: {current.verify_message}", 200)
        if isinstance(current, ssl.SSLError):
            return _clean(str(current), 200)
        current = current.__cause__ or current.__context__
    text = str(exc)
    if "[SSL" in text or "CERTIFICATE_VERIFY_FAILED" in text:
        return _clean(text, 200)
    return None


def _describe(exc: Exception) -> str:
    text = _clean(str(exc), 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _clean(text: str, limit: int) -> str:
    text = " ".join(re.sub(_CONTROL, " ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
