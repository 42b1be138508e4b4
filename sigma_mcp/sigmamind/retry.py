"""When and how long to wait before trying an idempotent GET again.

At most three attempts in all; exponential backoff with jitter between them; the API's Retry-After
honoured up to a cap, and a longer one returned at once as an error that says how long to wait.
Only rate limiting, transient server errors, timeouts and connection failures are retried (not a failed
TLS handshake: it fails the same way every time).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio

from sigma_mcp.sigmamind.errors import (
    SigmaMindError,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamTLSError,
    UpstreamUnreachable,
)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.5
    """Seconds before the second attempt (before jitter); doubled for each attempt after."""
    max_delay: float = 8.0
    retry_after_cap: float = 10.0
    """The longest Retry-After waited for; a longer one is returned to the caller at once."""
    sleep: Callable[[float], Awaitable[None]] = field(default=anyio.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)
    """A number in [0, 1): the backoff is scaled by 0.5 + jitter / 2 ("equal jitter")."""

    def delay(self, attempt: int, error: SigmaMindError) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based), or None not to retry."""
        if attempt >= self.max_attempts or not retryable(error):
            return None
        if isinstance(error, UpstreamRateLimited) and error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.retry_after_cap else None
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return backoff * (0.5 + self.jitter() / 2)


def retryable(error: SigmaMindError) -> bool:
    if isinstance(error, UpstreamTLSError):
        return False
    if isinstance(error, UpstreamRateLimited | UpstreamTimeout | UpstreamUnreachable):
        return True
    return isinstance(error, UpstreamServerError) and error.status in RETRYABLE_STATUSES
