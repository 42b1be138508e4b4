"""Built-in sample data for demo mode: the JSON files in `batch_runs/`, one batch run each, shaped exactly like
the SigmaMind API's answers.

The API reference's own example (batch_s0OJu2JWR8R45Fai) is served unchanged; the other batch runs add what
the reference promises but does not show: per-attempt results inside test cases (under `ATTEMPTS_KEY`), and
attempts with transcripts (each attempt's `_turns`, which the stand-in serves as its conversation and removes
from the batch run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ATTEMPTS_KEY = "testRuns"
"""Where demo test cases carry their per-attempt results (the real key is undocumented)."""

LISTED_KEY = "_testRuns"
"""Where a demo batch run shaped like the documented one (no per-attempt results inside) keeps the attempts that
the stand-in serves from the test-run listing (`GET /v1/test-runs?batchId=`), each with its testCaseId."""

FOLDER = Path(__file__).with_name("batch_runs")

BATCH_RUNS: tuple[dict[str, Any], ...] = tuple(
    sorted(
        (json.loads(path.read_text(encoding="utf-8")) for path in FOLDER.glob("*.json")),
        key=lambda run: str(run["createdDate"]),
        reverse=True,
    )
)
"""Every demo batch run, newest first."""

_BY_ID = {run["batchId"]: run for run in BATCH_RUNS}
DOCUMENTED_EXAMPLE = _BY_ID["batch_s0OJu2JWR8R45Fai"]
"""The example from the API reference, unchanged."""
REGRESSION_SUITE = _BY_ID["batch_Xk3pQ9mLrT2vWs7d"]
"""A batch run with failures, per-attempt results and transcripts."""
BASELINE = _BY_ID["batch_Mv6Tq1Wd8Zr3Kp5n"]
"""The batch run before REGRESSION_SUITE, to compare with."""
SUPPORT_AGENT: dict[str, str] = REGRESSION_SUITE["agent"]
THEMES_AND_FLAKY = _BY_ID["batch_Cl4Tm9Wq2Vz7Nb5k"]
"""A batch run shaped like the documented one, whose attempts come from the test-run listing: failure themes in
paraphrased remarks, flaky test cases and one that fails every attempt."""


def demo_batch_runs() -> list[tuple[str, str]]:
    """(batchId, agentId) of every demo batch run, newest first."""
    return [(run["batchId"], run["agent"]["agentId"]) for run in BATCH_RUNS]


def demo_attempts() -> list[tuple[str, str, str, bool | None]]:
    """(jobId, batchId, agentId, isSuccessful) of every demo attempt."""
    return [
        (attempt["jobId"], run["batchId"], run["agent"]["agentId"], attempt["isSuccessful"])
        for run in BATCH_RUNS
        for test_case in run["testCases"]
        for attempt in test_case.get(ATTEMPTS_KEY, ())
    ] + [
        (attempt["jobId"], run["batchId"], run["agent"]["agentId"], attempt["isSuccessful"])
        for run in BATCH_RUNS
        for attempt in run.get(LISTED_KEY, ())
    ]
