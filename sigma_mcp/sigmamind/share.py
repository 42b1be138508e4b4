"""Fair share of the upstream connections on a shared server: each user's requests in flight are bounded, so one
user's slow calls cannot hold every connection of the pool while the others wait.

A user is the SigmaMind key a request is sent with, known here only by its fingerprint. Requests sent with the
server's own key (`SIGMAMIND_API_KEY`) all come from one user as far as anyone can tell, so they share the pool
without a per-user bound; each user's own key (`X-SigmaMind-Api-Key`) is what tells users apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

PER_USER_VAR = "SIGMA_MCP_PER_USER_CONCURRENCY"


class FairShare:
    """At most `per_user` requests in flight per user; the others wait for one of them to finish."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._users: dict[str, tuple[anyio.Semaphore, int]] = {}
        """A semaphore per user with requests in flight or waiting, and how many; dropped when none is left."""

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold one of the user's slots while the block runs; waits (as long as the caller lets it) for one."""
        user = fingerprint(key)
        semaphore, holders = self._users.get(user) or (anyio.Semaphore(self.per_user), 0)
        self._users[user] = (semaphore, holders + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, holders = self._users[user]
            if holders == 1:
                del self._users[user]
            else:
                self._users[user] = (semaphore, holders - 1)


def fingerprint(key: str) -> str:
    """A name for the key's user that does not reveal the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]
