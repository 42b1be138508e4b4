"""`python -m bench`: sigma-mcp measured side by side with its floors, in one run.

- start-up: spawn -> `initialize` answered -> `tools/list` answered, sigma-mcp against a one-tool
  MCPServer on the same SDK (bench/minimal_server.py);
- call overhead: a `get_batch_run` round trip over stdio against a direct HTTP GET + JSON parse of the
  same upstream URL (1 test case);
- large batch: the same with 10,000 test cases, each call about a batch run the server has not seen (its cache of
  batch runs on, as by default) and timed from an idle machine; the CPU time each costs, the work after its reply
  included; and the server's peak RSS;
- concurrency: 200 calls with 50 in flight over one session;
- output budget: the size of each answer.

The upstream runs in a process of its own (bench/upstream.py). `--quick` is the smoke pass CI runs:
small sizes, one repetition, no claims about time.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from bench.upstream import AGENT_ID
from sigma_mcp import __version__

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk_bench_0123456789abcdef01234567"
INITIALIZE = {
    "protocolVersion": "2025-11-25",
    "capabilities": {},
    "clientInfo": {"name": "sigma-mcp-bench", "version": __version__},
}


@dataclass
class Samples:
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return median(self.values)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    def ms(self) -> str:
        return f"{self.median * 1000:.2f} ms ({min(self.values) * 1000:.2f}–{max(self.values) * 1000:.2f})"

    def s(self) -> str:
        return f"{self.median:.3f} s ({min(self.values):.3f}–{max(self.values):.3f})"


class StdioSession:
    """A raw JSON-RPC client over a server's stdin and stdout."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._next = 0

    def send(self, method: str, params: dict[str, Any] | None = None, *, notify: bool = False) -> int:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        if not notify:
            self._next += 1
            message["id"] = self._next
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        return self._next

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            message: dict[str, Any] = json.loads(self.process.stdout.readline())
            if "id" in message:
                return message

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id = self.send(method, params)
        response = self.receive()
        if response.get("id") != request_id:
            raise RuntimeError(f"expected the answer to {request_id}, got {response}")
        return response

    def initialize(self) -> None:
        self.request("initialize", INITIALIZE)
        self.send("notifications/initialized", notify=True)

    def call(self, batch_id: str) -> dict[str, Any]:
        arguments = {"batchId": batch_id, "agentId": AGENT_ID}
        result: dict[str, Any] = self.request("tools/call", {"name": "get_batch_run", "arguments": arguments})["result"]
        if result.get("isError"):
            raise RuntimeError(result["content"][0]["text"])
        return result

    def peak_rss_mb(self) -> float | None:
        status = Path(f"/proc/{self.process.pid}/status")
        if not status.exists():
            return None
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


IDLE = 0.3
"""Seconds the large batch's calls wait before each is timed, for the work after the last reply to end."""


def process_cpu(pid: int) -> float:
    """Seconds of CPU a process has used (user and system), or -1 where /proc does not tell."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return -1.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen[Any]) -> None:
    """Terminate a server the benchmarks started, and kill it if it has not exited 15 s later."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def paired_ratio(ours: Samples, floor: Samples) -> float:
    """The median of the ratios of samples taken side by side (robust to the machine drifting)."""
    return median(a / b for a, b in zip(ours.values, floor.values, strict=True))


def paired_difference(ours: Samples, floor: Samples) -> float:
    return median(a - b for a, b in zip(ours.values, floor.values, strict=True))


def sigma_mcp_command() -> list[str]:
    script = Path(sys.executable).parent / ("sigma-mcp.exe" if os.name == "nt" else "sigma-mcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sigma_mcp"]


def start_upstream(batches: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.upstream", *batches],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    url = process.stdout.readline().decode().strip()
    if not url.startswith("http://127.0.0.1:"):
        raise RuntimeError("the upstream did not start")
    return process, url


def measure_startup(command: list[str], env: dict[str, str]) -> float:
    session = StdioSession(command, env)
    session.request("initialize", INITIALIZE)
    session.send("notifications/initialized", notify=True)
    session.request("tools/list")
    elapsed = time.perf_counter() - session.started
    session.close()
    return elapsed


def startup_instructions(command: list[str], env: dict[str, str]) -> int:
    """Instructions executed from spawn to `tools/list` answered and exit, counted by callgrind: a
    figure that the machine's speed and load do not move."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        process = subprocess.Popen(
            [shutil.which("valgrind") or "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        session = StdioSession.__new__(StdioSession)
        session.process, session._next, session.started = process, 0, time.perf_counter()
        session.request("initialize", INITIALIZE)
        session.send("notifications/initialized", notify=True)
        session.request("tools/list")
        assert process.stdin is not None
        assert process.stderr is not None
        process.stdin.close()
        err = process.stderr.read().decode()
        process.wait(timeout=600)
    for line in err.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    raise RuntimeError(f"callgrind reported no count: {err[-500:]}")


def direct(client: httpx.Client, url: str, batch_id: str) -> float:
    started = time.perf_counter()
    response = client.get(f"{url}/v1/batch-runs/{batch_id}", params={"agentId": AGENT_ID})
    json.loads(response.content)
    return time.perf_counter() - started


def tool(session: StdioSession, batch_id: str) -> float:
    started = time.perf_counter()
    session.call(batch_id)
    return time.perf_counter() - started


def ping(session: StdioSession) -> float:
    """A round trip of the one-tool server's trivial tool: what the SDK's protocol alone costs."""
    started = time.perf_counter()
    session.request("tools/call", {"name": "ping", "arguments": {}})
    return time.perf_counter() - started


def concurrency(session: StdioSession, batch_id: str, calls: int, in_flight: int) -> tuple[Samples, float]:
    """`calls` calls, keeping `in_flight` outstanding; their latencies and the elapsed time."""
    arguments = {"name": "get_batch_run", "arguments": {"batchId": batch_id, "agentId": AGENT_ID}}
    sent: dict[int, float] = {}
    latencies = Samples()
    started = time.perf_counter()
    while len(sent) < min(in_flight, calls):
        sent[session.send("tools/call", arguments)] = time.perf_counter()
    while len(latencies.values) < calls:
        response = session.receive()
        if response["result"].get("isError"):
            raise RuntimeError(response["result"]["content"][0]["text"])
        latencies.add(time.perf_counter() - sent[response["id"]])
        if len(sent) < calls:
            sent[session.send("tools/call", arguments)] = time.perf_counter()
    return latencies, time.perf_counter() - started


def stats(client: httpx.Client, url: str, since: int = 0) -> dict[str, Any]:
    """Requests the upstream served, and the connections that carried those after the first `since`."""
    answer: dict[str, Any] = client.get(f"{url}/_stats", params={"since": since}).json()
    return answer


def compile_bytecode() -> None:
    """Write sigma-mcp's bytecode, as installing a wheel does (the MCP SDK's was written when it was
    installed). An editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module
    at every start, a cost no installed copy pays."""
    compileall.compile_dir(ROOT / "sigma_mcp", quiet=1)


def run(quick: bool, repetitions: int, instructions: bool = False) -> dict[str, Any]:
    compile_bytecode()
    large = "batch_100" if quick else "batch_10000"
    batches = ["batch_1", "batch_100"] + ([] if quick else ["batch_10000"])
    upstream, url = start_upstream(batches)
    env = {**os.environ, "SIGMAMIND_API_KEY": KEY, "SIGMAMIND_BASE_URL": url, "SIGMAMIND_LOG_LEVEL": "WARNING"}
    env.pop("SIGMAMIND_DEMO", None)
    # Every call measured here does the whole work: the cache of batch runs would answer the repeated calls from
    # memory (bench/paging.py measures it). The large batch's calls are each about a batch run not seen before.
    env["SIGMA_MCP_CACHE_MB"] = "0"
    minimal = [sys.executable, str(ROOT / "bench" / "minimal_server.py")]
    report: dict[str, Any] = {"quick": quick, "large_batch": large}
    try:
        # Start-up, alternating the two servers so that both see the same machine.
        ours, floor = Samples(), Samples()
        measure_startup(sigma_mcp_command(), env)  # warm the file cache for both
        measure_startup(minimal, env)
        for turn in range(repetitions if quick else 3 * repetitions):
            if turn % 2:  # alternate which starts first, so that neither always follows the other
                floor.add(measure_startup(minimal, env))
                ours.add(measure_startup(sigma_mcp_command(), env))
            else:
                ours.add(measure_startup(sigma_mcp_command(), env))
                floor.add(measure_startup(minimal, env))
        report["startup"] = {"sigma": ours, "minimal": floor, "ratio": paired_ratio(ours, floor)}
        if instructions:
            counted = (startup_instructions(sigma_mcp_command(), env), startup_instructions(minimal, env))
            report["startup"]["instructions"] = counted

        with httpx.Client(headers={"X-API-Key": KEY}) as client:
            session = StdioSession(sigma_mcp_command(), env)
            session.initialize()
            bare = StdioSession(minimal, env)
            bare.initialize()
            # Call overhead: the same small batch run through the tool and directly, interleaved; and,
            # for scale, the SDK's own round trip (the one-tool server's trivial tool).
            calls = 5 if quick else 200
            ours, floor, sdk = Samples(), Samples(), Samples()
            for _ in range(3 if quick else 30):
                tool(session, "batch_1")
                direct(client, url, "batch_1")
                ping(bare)
            for _ in range(calls):
                ours.add(tool(session, "batch_1"))
                floor.add(direct(client, url, "batch_1"))
                sdk.add(ping(bare))
            bare.close()
            report["call"] = {
                "sigma": ours,
                "direct": floor,
                "added": paired_difference(ours, floor),
                "sdk": sdk,
            }

            # Concurrency over the same session.
            before = stats(client, url)
            total, in_flight = (20, 5) if quick else (200, 50)
            latencies, elapsed = concurrency(session, "batch_1", total, in_flight)
            during = stats(client, url, since=before["requests"])
            report["concurrency"] = {
                "calls": total,
                "in_flight": in_flight,
                "throughput": total / elapsed,
                "p50": latencies.median,
                "p95": latencies.percentile(0.95),
                "connections": during["connections"],
            }

            # Output budget of each answer.
            report["output"] = {}
            for batch_id in batches:
                result = session.call(batch_id)
                text = result["content"][0]["text"].encode()
                data = json.dumps(result["structuredContent"], ensure_ascii=False, separators=(",", ":")).encode()
                report["output"][batch_id] = {
                    "text": len(text),
                    "tokens": len(text) // 4,
                    "structured": len(data),
                    "shown": len(result["structuredContent"]["testCases"]),
                    "testCases": result["structuredContent"]["testCaseCount"],
                }
            session.close()

            # The large batch in a fresh server, so that its peak RSS is the large batch's own; with the cache of
            # batch runs on, as users run it, and every call about a batch run it has not seen (the upstream serves
            # the same one under new ids), so that each pays what a first call pays, keeping it included.
            cached = {name: value for name, value in env.items() if name != "SIGMA_MCP_CACHE_MB"}
            session = StdioSession(sigma_mcp_command(), cached)
            session.initialize()
            ours, floor = Samples(), Samples()
            copies = iter(range(10**6))
            for _ in range(1 if quick else 3):  # warm up: the heap grows to hold one large body once
                tool(session, f"{large}.{next(copies)}")
                direct(client, url, f"{large}.{next(copies)}")
            # Each timed call starts on an idle machine: what the server does once a big reply is on its way (freeing
            # the parsed answer, compacting the kept batch run) is no one's wait, and on two cores it would slow
            # whichever call came next. Its cost is counted in the CPU time below.
            cpu_before, direct_cpu = process_cpu(session.process.pid), 0.0
            for _ in range(repetitions):
                time.sleep(IDLE)
                ours.add(tool(session, f"{large}.{next(copies)}"))
                time.sleep(IDLE)
                started = time.thread_time()
                floor.add(direct(client, url, f"{large}.{next(copies)}"))
                direct_cpu += time.thread_time() - started
            time.sleep(IDLE)
            server_cpu = process_cpu(session.process.pid) - cpu_before
            report["large"] = {
                "sigma": ours,
                "direct": floor,
                "ratio": paired_ratio(ours, floor),
                "peak_rss_mb": session.peak_rss_mb(),
                "cpu": None if server_cpu < 0 else (server_cpu / repetitions, direct_cpu / repetitions),
            }
            session.close()
    finally:
        assert upstream.stdin is not None
        upstream.stdin.close()
        upstream.wait(timeout=30)
    return report


def render(report: dict[str, Any], repetitions: int) -> str:
    startup, call, large, conc = report["startup"], report["call"], report["large"], report["concurrency"]
    rss = large["peak_rss_mb"]
    size = "10,000" if report["large_batch"] == "batch_10000" else "100"

    def met(ok: bool) -> str:
        if report["quick"]:
            return "(quick)"  # one sample of small sizes: no verdict
        return "yes" if ok else "**no**"

    counted = startup.get("instructions")
    rows = [
        "| Measure | sigma-mcp | Reference | Result | Target | Met |",
        "|---|---|---|---|---|---|",
        f"| Start-up: spawn → `initialize` → `tools/list` | {startup['sigma'].s()} | {startup['minimal'].s()} "
        f"(one-tool `MCPServer`) | ratio {startup['ratio']:.3f} | ≤ 1.05 | {met(startup['ratio'] <= 1.05)} |",
        *(
            [
                f"| Start-up, instructions executed (callgrind) | {counted[0] / 1e9:.3f} G | {counted[1] / 1e9:.3f} G "
                f"| ratio {counted[0] / counted[1]:.3f} | ≤ 1.05 | {met(counted[0] / counted[1] <= 1.05)} |"
            ]
            if counted
            else []
        ),
        f"| Call overhead: `get_batch_run`, 1 test case, over stdio | {call['sigma'].ms()} | {call['direct'].ms()} "
        f"(GET + JSON parse) | +{call['added'] * 1000:.2f} ms | ≤ 3 ms | {met(call['added'] <= 0.003)} |",
        f"| For scale: the one-tool `MCPServer`'s trivial tool over stdio | | {call['sdk'].ms()} "
        "(the SDK's stdio transport, which sigma-mcp serves with too) | | | |",
        f"| Large batch: {size} test cases | {large['sigma'].ms()} | {large['direct'].ms()} (GET + JSON parse) "
        f"| ratio {large['ratio']:.2f} | ≤ 1.5× | {met(large['ratio'] <= 1.5)} |",
        *(
            [
                f"| Large batch, CPU time a call costs (the server's, after-reply work included) | "
                f"{large['cpu'][0] * 1000:.0f} ms | {large['cpu'][1] * 1000:.0f} ms (GET + JSON parse) | ratio "
                f"{large['cpu'][0] / large['cpu'][1]:.2f} | | |"
            ]
            if large.get("cpu") and large["cpu"][1] > 0
            else []
        ),
        f"| Peak RSS of the server, large batch | {f'{rss:.0f} MB' if rss else 'n/a'} | | | ≤ 300 MB "
        f"| {met(rss is not None and rss <= 300)} |",
        f"| Concurrency: {conc['calls']} calls, {conc['in_flight']} in flight, one session | "
        f"{conc['throughput']:.0f} calls/s, p50 {conc['p50'] * 1000:.1f} ms, p95 {conc['p95'] * 1000:.1f} ms | "
        f"| {conc['connections']} upstream connections | ≤ 10 | {met(conc['connections'] <= 10)} |",
    ]
    output = [
        "| Batch run | Test cases | Shown | Text | ≈ Tokens | structuredContent |",
        "|---|---|---|---|---|---|",
    ]
    for batch_id, sizes in report["output"].items():
        output.append(
            f"| `{batch_id}` | {sizes['testCases']:,} | {sizes['shown']} | {sizes['text']:,} B | {sizes['tokens']:,} "
            f"| {sizes['structured']:,} B |"
        )
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"mcp {mcp_version()}, sigma-mcp {__version__}"
    )
    samples = f"{repetitions} repetitions" if not report["quick"] else "quick smoke pass (figures mean nothing)"
    return "\n".join(
        [
            f"Machine: {machine}. {samples}; medians with (min–max). Ratios and differences are the medians "
            "of those of samples taken side by side, one right after the other.",
            "",
            *rows,
            "",
            "Output budget (24 KB of text, 24 KB of structuredContent at most):",
            "",
            *output,
            "",
        ]
    )


def mcp_version() -> str:
    from importlib.metadata import version

    return version("mcp")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smoke pass: small sizes, one repetition")
    parser.add_argument("--repetitions", type=int, default=9, help="repetitions of each timed measure (≥ 5)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the instructions each server executes to start (needs valgrind; about two minutes)",
    )
    args = parser.parse_args()
    repetitions = 1 if args.quick else max(5, args.repetitions)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind")
    report = run(args.quick, repetitions, args.instructions)
    print(render(report, repetitions))
    if args.json:
        Path(args.json).write_text(json.dumps(report, default=lambda s: s.values, indent=1))
    if report["concurrency"]["connections"] > 10:
        sys.exit("more than 10 upstream connections")  # a correctness check, not a timing one


if __name__ == "__main__":
    main()
