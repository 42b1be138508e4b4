"""`python -m bench.http_cost`: server CPU per tool call over HTTP, sigma-mcp against a one-tool reference.

Both servers answer `get_batch_run` of a 1-test-case batch from the same stand-in upstream (bench/upstream.py),
each in a process of its own: sigma-mcp (`--transport http`, the server's own key, loopback, no token) and
bench/http_reference.py, a one-tool MCPServer making the same GET and `json.loads`, served the same way
(stateless, JSON answers, uvicorn). Clients send the same request over kept-alive connections, 1, 10 and 50
at once to each server. A server's CPU per call is its process's user + system time over a round, divided by
the calls it answered in that round.

The two servers are measured at the same time, not one after the other: on a shared machine the speed of a
core drifts by a quarter within seconds, and two servers loaded at once see the same drift, so their ratio
keeps still where one measured after the other does not. With two or more CPUs, both servers share one CPU
and the clients and the upstream run on the others, so that each server gets the same share of its core.
The ratio is the median of the rounds' ratios. `--quick`: shorter and fewer rounds, no claims.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from statistics import median
from typing import Any

from bench.__main__ import KEY, ROOT, sigma_mcp_command, start_upstream, stop
from bench.upstream import AGENT_ID

CLIENTS = (1, 10, 50)
TICKS = os.sysconf("SC_CLK_TCK")


def request(path: str, port: int) -> bytes:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "get_batch_run", "arguments": {"batchId": "batch_1", "agentId": AGENT_ID}},
        }
    ).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Served:
    """A server process that prints its URL on stdout (or stderr) and stops when its stdin closes."""

    def __init__(self, command: list[str], env: dict[str, str], *, url_on_stderr: bool = False) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if not url_on_stderr else subprocess.DEVNULL,
            stderr=subprocess.PIPE if url_on_stderr else None,
            text=True,
        )
        stream = self.process.stderr if url_on_stderr else self.process.stdout
        assert stream is not None
        line = stream.readline()
        marker = "http://127.0.0.1:"
        if marker not in line:
            raise RuntimeError(f"the server did not start: {line!r}")
        self.url = marker + line.split(marker, 1)[1].split()[0]
        if url_on_stderr:
            threading.Thread(target=stream.read, daemon=True).start()  # a full pipe would block the server

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        stop(self.process)


async def client(host: str, port: int, message: bytes, until: float, answered: list[int]) -> None:
    """Requests one after another on one kept-alive connection until `until` (perf_counter); each answer must be
    a tool result. `answered[0]` counts them."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            writer.write(message)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            if status != b"200" or b'"isError":false' not in body:
                raise RuntimeError(f"not a successful tool result: {status!r} {body[:300]!r}")
            answered[0] += 1
    finally:
        writer.close()


async def load(servers: dict[str, Served], clients: int, seconds: float) -> dict[str, int]:
    """Calls answered by each server in `seconds`, `clients` clients on each at once."""
    until = time.perf_counter() + seconds
    answered = {name: [0] for name in servers}
    jobs = []
    for name, server in servers.items():
        host_port, path = server.url.removeprefix("http://").split("/", 1)
        host, port = host_port.split(":")
        message = request("/" + path, int(port))
        jobs += [client(host, int(port), message, until, answered[name]) for _ in range(clients)]
    await asyncio.gather(*jobs)
    return {name: count[0] for name, count in answered.items()}


def measure(servers: dict[str, Served], clients: int, seconds: float) -> dict[str, tuple[float, int]]:
    """Each server's (CPU ms per call, calls answered) over one round."""
    before = {name: server.cpu_seconds() for name, server in servers.items()}
    answered = asyncio.run(load(servers, clients, seconds))
    time.sleep(0.1)  # the last answers' bookkeeping
    return {
        name: ((server.cpu_seconds() - before[name]) * 1000 / max(1, answered[name]), answered[name])
        for name, server in servers.items()
    }


def pin(servers: dict[str, Served], others: list[subprocess.Popen[Any]]) -> str:
    """Both servers on one CPU, the rest (this process, the upstream) on the others; what was done, in words."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "one CPU: nothing pinned"
    for server in servers.values():
        os.sched_setaffinity(server.process.pid, {cpus[-1]})
    for pid in (0, *(process.pid for process in others)):
        os.sched_setaffinity(pid, set(cpus[:-1]))
    return f"both servers on CPU {cpus[-1]}, the clients and the upstream on the other {len(cpus) - 1}"


def run(quick: bool) -> dict[str, Any]:
    seconds, rounds = (1.0, 2) if quick else (4.0, 8)
    upstream, upstream_url = start_upstream(["batch_1"])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SIGMA", "SIGMAMIND"))}
    servers = {
        "ours": Served(
            [*sigma_mcp_command(), "--transport", "http", "--port", "0"],
            # The cache of batch runs off: each call does the whole work the reference does (GET, parse, answer).
            {**base, "SIGMAMIND_API_KEY": KEY, "SIGMAMIND_BASE_URL": upstream_url, "SIGMA_MCP_CACHE_MB": "0"},
            url_on_stderr=True,
        ),
        "reference": Served(
            [sys.executable, "-m", "bench.http_reference", upstream_url], {**base, "PYTHONPATH": str(ROOT)}
        ),
    }
    report: dict[str, Any] = {"seconds": seconds, "rounds": rounds, "clients": {}}
    try:
        report["pinning"] = pin(servers, [upstream])
        for clients in CLIENTS:
            measure(servers, clients, seconds / 2)  # warm-up
            figures: dict[str, list[float]] = {"ours_ms": [], "reference_ms": [], "ratios": [], "throughput": []}
            for _ in range(rounds):
                round_ = measure(servers, clients, seconds)
                (ours, ours_calls), (reference, reference_calls) = round_["ours"], round_["reference"]
                figures["ours_ms"].append(ours)
                figures["reference_ms"].append(reference)
                figures["ratios"].append(ours / reference)
                figures["throughput"].append(ours_calls / max(1, reference_calls))
            report["clients"][str(clients)] = {
                "ours_ms": median(figures["ours_ms"]),
                "reference_ms": median(figures["reference_ms"]),
                "cpu_ratio": median(figures["ratios"]),
                "cpu_ratio_range": [min(figures["ratios"]), max(figures["ratios"])],
                "throughput_ratio": median(figures["throughput"]),
            }
    finally:
        for server in servers.values():
            server.stop()
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait()
    return report


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Server CPU per get_batch_run over HTTP, both servers at once ({report['rounds']} rounds of "
        f"{report['seconds']:g} s, medians; {report['pinning']})",
        "",
        "| clients at once | sigma-mcp | reference | CPU ratio | rounds' ratios | throughput ratio |",
        "|---|---|---|---|---|---|",
    ]
    for clients, figures in report["clients"].items():
        low, high = figures["cpu_ratio_range"]
        lines.append(
            f"| {clients} | {figures['ours_ms']:.2f} ms | {figures['reference_ms']:.2f} ms | "
            f"{figures['cpu_ratio']:.2f} | {low:.2f}–{high:.2f} | {figures['throughput_ratio']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds: the smoke pass")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args()
    report = run(args.quick)
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
