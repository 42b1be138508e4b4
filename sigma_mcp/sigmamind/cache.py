"""Batch runs already read, kept in memory for the next call about them (paging through a large batch run, a
comparison after a summary).

Bounded by bytes: the size of the answers each was read from, `SIGMA_MCP_CACHE_MB` in all (held in memory, a
parsed and scanned batch run takes about four times its answer's size). The least recently used go first. An
entry is keyed by the fingerprint of the API key that fetched it (never the key itself), the base URL, the agent
and the batch run, so that no user's call is ever answered from another key's entry. A batch run whose counts
say it is finished does not change and is kept until it is pushed out; one still running is kept for
`RUNNING_TTL` seconds only.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sigma_mcp.sigmamind.runs import ScannedRun

RUNNING_TTL = 5.0
"""Seconds a batch run that is still running is served from the cache."""

CacheKey = tuple[str, str, str, str]
"""(the key's fingerprint, base URL, agentId, batchId)."""


class RunCache:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: OrderedDict[CacheKey, tuple[ScannedRun, bool]] = OrderedDict()
        self._size = 0
        self.pending: list[weakref.ref[ScannedRun]] = []
        """Batch runs read with this cache's client whose test cases are still parsed JSON (`runs.compact_later`)."""

    @property
    def size(self) -> int:
        """Bytes held (the sizes of the answers the entries were read from)."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> ScannedRun | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        scanned, finished = entry
        if not finished and time.monotonic() - scanned.fetched > RUNNING_TTL:
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return scanned

    def fits(self, scanned: ScannedRun) -> bool:
        """Whether `put` would keep `scanned`."""
        return scanned.size <= self.limit

    def put(self, key: CacheKey, scanned: ScannedRun) -> bool:
        """Keep `scanned` (pushing out the least recently used as needed); False if it alone is over the limit."""
        if key in self._entries:
            self._remove(key)
        if not self.fits(scanned):
            return False
        while self._entries and self._size + scanned.size > self.limit:
            self._remove(next(iter(self._entries)))
        self._entries[key] = (scanned, scanned.finished())
        self._size += scanned.size
        return True

    def _remove(self, key: CacheKey) -> None:
        from sigma_mcp.tools.memory import free_after_reply

        scanned, _ = self._entries.pop(key)
        self._size -= scanned.size
        free_after_reply([scanned], scanned.size)  # a big one's objects are no reason for a reply to wait
