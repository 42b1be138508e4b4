"""Prints exactly what Claude Code hands the model from sigma-mcp: the `tool_result` text and its size.

    .venv/bin/python -m tests.show_claude_code              # structuredContent on (the default)
    .venv/bin/python -m tests.show_claude_code --markdown   # with SIGMA_MCP_STRUCTURED=off

Two conversations through the pinned Claude Code (tests/clients) and the stand-in model of
tests/anthropic_standin.py, as in tests/test_claude_code.py: `get_batch_run` on the demo batch run
batch_Xk3pQ9mLrT2vWs7d (failures, grouped remarks), then on a 10,000-test-case batch run served by the fake
SigmaMind API. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.anthropic_standin import Call, ToolResult
from tests.factories import make_batch_run
from tests.fake_api import FakeSigmaMind
from tests.test_claude_code import (
    AGENT_ID,
    DEMO_AGENT,
    DEMO_BATCH,
    LARGE_BATCH,
    claude_bin,
    claude_problem,
    converse,
    server_env,
    stdio_server,
)


def show(title: str, result: ToolResult) -> None:
    size = len(result.text.encode("utf-8"))
    print(f"===== {title}")
    print(
        f"===== {result.name}({result.arguments}): {size} bytes ({size / 1024:.1f} KiB) UTF-8, is_error={result.is_error}"
    )
    print(result.text)
    print(f"===== end of {title} ({size} bytes)\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true", help="run sigma-mcp with SIGMA_MCP_STRUCTURED=off")
    args = parser.parse_args()
    problem = claude_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    claude = claude_bin()
    extra = {"SIGMA_MCP_STRUCTURED": "off"} if args.markdown else {}
    with tempfile.TemporaryDirectory() as folder:
        demo = stdio_server("--demo", env=extra)
        script = [Call("get_batch_run", {"batchId": DEMO_BATCH, "agentId": DEMO_AGENT})]
        (result,) = converse(claude, Path(folder) / "demo", demo, script).results
        show(f"demo batch run {DEMO_BATCH}", result)

        api = FakeSigmaMind().start()
        try:
            api.add_batch_run(make_batch_run(10_000, batch_id=LARGE_BATCH, records_key="testRuns"))
            server = stdio_server(env=server_env(api, **extra))
            script = [Call("get_batch_run", {"batchId": LARGE_BATCH, "agentId": AGENT_ID})]
            (result,) = converse(claude, Path(folder) / "large", server, script).results
        finally:
            api.stop()
        show("a batch run of 10,000 test cases (30,000 attempts)", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
