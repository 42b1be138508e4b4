"""Every tool sigma-mcp serves, in the order `tools/list` shows them. Adding a tool: one folder under
`tools/` and one line here (docs/architecture.md has the checklist)."""

from __future__ import annotations

from typing import Any

from sigma_mcp.tools import compare_batch_runs, get_batch_run, get_test_run, list_batch_runs
from sigma_mcp.tools.spec import ToolSpec

TOOLS: tuple[ToolSpec[Any], ...] = (
    get_batch_run.SPEC,
    get_test_run.SPEC,
    list_batch_runs.SPEC,
    compare_batch_runs.SPEC,
)
BY_NAME: dict[str, ToolSpec[Any]] = {spec.name: spec for spec in TOOLS}
