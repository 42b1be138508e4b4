"""`python -m bench.soak`: many tool calls over HTTP with faults mixed in; memory and descriptors must not grow.

sigma-mcp serves `--transport http` without a key of its own, so each of the 20 clients brings its own key
(`X-SigmaMind-Api-Key`) and is a user of its own. The stand-in upstream (bench/upstream.py) answers most calls,
and fails the fault batch ids the same way every time: a timeout (an answer later than SIGMAMIND_TIMEOUT), a
500, an HTML 503, a 429, and a connection reset. Some clients also give up on a slow call and close their
connection mid-call. Every answer must be the one expected: a tool result, with isError exactly for the faults;
an HTTP error or a JSON-RPC error is a failure of the soak.

After a warm-up, the server's resident memory (VmRSS) and open descriptors are read with every client
disconnected; again after the soak's calls. `--quick` (the CI smoke pass): fewer calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import ROOT, sigma_mcp_command, start_upstream, stop
from bench.upstream import AGENT_ID, FAULTS, TEST_RUN_ID

CLIENTS = 20
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
TIMEOUT = 3.0
"""The server's SIGMAMIND_TIMEOUT: shorter than the upstream's slow answer."""
GIVE_UP = 0.3
"""Seconds after which a client that gives up closes its connection, mid-call."""
RSS_LIMIT_MB = 20
FAULT_SHARE = 0.1
"""Of the calls, those that meet a fault,"""
TIMEOUT_SHARE = 0.005
"""and those of them that time out: rarer, as each holds one of the server's 10 upstream connections for the
whole SIGMAMIND_TIMEOUT, and with more of them every other call would wait its timeout out for a connection."""
ABANDON_SHARE = 0.01


@dataclass
class Tally:
    calls: int = 0
    results: int = 0
    expected_errors: int = 0
    abandoned: int = 0
    unexpected: list[str] = field(default_factory=list)


def arguments(kind: str) -> tuple[str, dict[str, Any], bool]:
    """(tool, arguments, whether its result is an isError) for one kind of call."""
    if kind in FAULTS:
        return "get_batch_run", {"batchId": kind, "agentId": AGENT_ID}, True
    if kind == "list":
        return "list_batch_runs", {"agentId": AGENT_ID}, False
    if kind == "test_run":
        return "get_test_run", {"jobId": TEST_RUN_ID, "batchId": "batch_1", "agentId": AGENT_ID}, False
    if kind == "compare":
        return (
            "compare_batch_runs",
            {"agentId": AGENT_ID, "baseBatchId": "batch_1", "candidateBatchId": "batch_100"},
            False,
        )
    return "get_batch_run", {"batchId": kind, "agentId": AGENT_ID}, False


def pick(chance: random.Random) -> str:
    roll = chance.random()
    if roll < TIMEOUT_SHARE:
        return "batch_slow"
    if roll < FAULT_SHARE:
        return chance.choice([fault for fault in FAULTS if fault != "batch_slow"])
    return chance.choice(("batch_1", "batch_1", "batch_1", "batch_100", "list", "test_run", "compare"))


async def one_client(url: str, number: int, calls: int, tally: Tally, seed: int) -> None:
    chance = random.Random(seed * 1000 + number)  # noqa: S311 - a reproducible mix of calls, not a secret
    key = f"sk_soak_{number:02d}_{'x' * 24}"
    headers = {**HEADERS, "X-SigmaMind-Api-Key": key}
    async with httpx.AsyncClient(timeout=30) as http:
        for request_id in range(calls):
            kind = pick(chance)
            if chance.random() < ABANDON_SHARE:
                kind = "batch_slow"
                give_up = True
            else:
                give_up = False
            tool, args, is_error = arguments(kind)
            message = {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "tools/call",
                "params": {"name": tool, "arguments": args},
            }
            tally.calls += 1
            if give_up:
                # Its own connection, closed while the call is still upstream.
                async with httpx.AsyncClient(timeout=GIVE_UP) as impatient:
                    try:
                        await impatient.post(url, json=message, headers=headers)
                        tally.unexpected.append(f"{kind}: answered within {GIVE_UP} s")
                    except httpx.TimeoutException:
                        tally.abandoned += 1
                continue
            try:
                answer = await http.post(url, json=message, headers=headers)
            except httpx.HTTPError as exc:
                tally.unexpected.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            if answer.status_code != 200:
                tally.unexpected.append(f"{kind}: HTTP {answer.status_code}: {answer.text[:200]}")
                continue
            body = answer.json()
            result = body.get("result")
            if result is None:
                tally.unexpected.append(f"{kind}: JSON-RPC error {body.get('error')}")
            elif result.get("isError") is not is_error:
                tally.unexpected.append(f"{kind}: isError {result.get('isError')}: {json.dumps(result)[:300]}")
            else:
                tally.results += 1
                tally.expected_errors += is_error


async def phase(url: str, calls: int, seed: int) -> Tally:
    tally = Tally()
    per_client = calls // CLIENTS
    await asyncio.gather(*(one_client(url, number, per_client, tally, seed) for number in range(CLIENTS)))
    return tally


class Process:
    def __init__(self, pid: int) -> None:
        self.pid = pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


SETTLE = 6.0
"""Seconds to wait before reading RSS and descriptors: longer than the abandoned calls' SIGMAMIND_TIMEOUT and
the 5 s for which the server's HTTP client keeps an idle upstream connection, so both readings see none."""


def settled(process: Process) -> tuple[float, int]:
    """RSS and descriptors once the clients' connections, the abandoned calls and idle upstream connections
    are gone."""
    time.sleep(SETTLE)
    return process.rss_mb(), process.descriptors()


def run(calls: int, warm_up: int) -> dict[str, Any]:
    upstream, upstream_url = start_upstream(["batch_1", "batch_100"])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SIGMA", "SIGMAMIND"))}
    server = subprocess.Popen(
        [*sigma_mcp_command(), "--transport", "http", "--port", "0"],
        cwd=ROOT,
        env={**base, "SIGMAMIND_BASE_URL": upstream_url, "SIGMAMIND_TIMEOUT": str(TIMEOUT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    marker = "serving MCP over streamable HTTP at "
    logged: list[str] = []
    for line in server.stderr:
        if marker in line:
            break
        logged.append(line)
    else:
        raise RuntimeError(f"sigma-mcp did not start: {''.join(logged)}")
    url = line.split(marker, 1)[1].split()[0]
    drain = threading.Thread(target=lambda: logged.extend(server.stderr or ()), daemon=True)
    drain.start()
    process = Process(server.pid)
    try:
        warm = asyncio.run(phase(url, warm_up, seed=1))
        rss_before, fds_before = settled(process)
        started = time.perf_counter()
        soak = asyncio.run(phase(url, calls, seed=2))
        wall = time.perf_counter() - started
        rss_after, fds_after = settled(process)
    finally:
        stop(server)
        drain.join(timeout=5)
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait()
    warnings = [entry.rstrip() for entry in logged if " WARNING " in entry or " ERROR " in entry]
    return {
        "clients": CLIENTS,
        "calls": soak.calls,
        "warm_up_calls": warm.calls,
        "wall_s": wall,
        "results": soak.results,
        "expected_errors": soak.expected_errors,
        "abandoned": soak.abandoned,
        "unexpected": (warm.unexpected + soak.unexpected)[:20],
        "unexpected_count": len(warm.unexpected) + len(soak.unexpected),
        "rss_mb_after_warm_up": rss_before,
        "rss_mb_after": rss_after,
        "rss_growth_mb": rss_after - rss_before,
        "descriptors_after_warm_up": fds_before,
        "descriptors_after": fds_after,
        "log_lines": len(logged),
        "warnings": warnings[:10],
    }


def render(report: dict[str, Any]) -> str:
    ok = (
        report["unexpected_count"] == 0
        and report["rss_growth_mb"] <= RSS_LIMIT_MB
        and report["descriptors_after"] <= report["descriptors_after_warm_up"]
    )
    lines = [
        f"Soak: {report['calls']:,} calls from {report['clients']} clients in {report['wall_s']:.1f} s "
        f"(after {report['warm_up_calls']:,} to warm up)",
        f"- answers as expected: {report['results']:,} tool results, {report['expected_errors']:,} of them the "
        f"faults' isError; {report['abandoned']} calls abandoned by their client mid-call",
        f"- unexpected answers: {report['unexpected_count']}",
        *(f"    {entry}" for entry in report["unexpected"]),
        f"- RSS {report['rss_mb_after_warm_up']:.1f} MB after warm-up, {report['rss_mb_after']:.1f} MB after: "
        f"{report['rss_growth_mb']:+.1f} MB (limit +{RSS_LIMIT_MB} MB)",
        f"- open descriptors {report['descriptors_after_warm_up']} after warm-up, {report['descriptors_after']} after",
        f"- stderr: {report['log_lines']} lines",
        *(f"    {entry}" for entry in report["warnings"]),
        f"- {'met' if ok else 'NOT MET'}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 calls: the smoke pass")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args()
    report = run(1_000, 200) if args.quick else run(10_000, 1_000)
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if report["unexpected_count"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
