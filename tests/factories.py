"""Realistic API bodies of any size, for tests and benchmarks."""

from __future__ import annotations

import random
from typing import Any

AGENT = {"name": "Support Voice Agent", "agentId": "agent_D5D0p7TUs66TTAEAx", "status": "Live"}
WORKSPACE = "org_V6eZ2zg8ziDx5pft"
REMARKS = [
    "The agent asked for the order number twice, which the success criteria forbid.",
    "The agent never stated the refund timeline of 5-7 business days.",
    "The agent offered a transfer only after four turns; the criteria require it within two.",
    "The agent did not confirm the appointment slot back to the caller.",
]
VARIED_REMARKS = [
    (
        "The agent asked for the order number again at turn {turn} although {name} had already given it.",
        "Agent requested the order number a second time (turn {turn}) after {name} provided it.",
        "At turn {turn} the agent asked {name} for the order number twice, which the success criteria forbid.",
    ),
    (
        "The agent never stated the refund timeline of 5-7 business days.",
        "{name} was not told how long the refund takes; the criteria require the 5-7 business day timeline.",
        "Refund timeline missing: the agent did not say that refunds take 5-7 business days (turn {turn}).",
    ),
    (
        "The agent offered a transfer only after {turn} turns; the criteria require it within two.",
        "Transfer to a human came too late (turn {turn}) although {name} asked for one at once.",
    ),
    (
        "The agent did not confirm the appointment slot back to {name}.",
        "Agent booked the slot but never read the time back to the caller (turn {turn}).",
    ),
]
"""Causes of failure, each in the wordings of a judge that writes a different sentence every time."""
NAMES = ("Priya", "Sam", "Lena", "Omar", "Ava", "Noah")


def make_test_case(
    number: int,
    *,
    attempts: int = 3,
    failed: int | None = None,
    records_key: str | None = None,
    varied: bool = False,
) -> dict[str, Any]:
    """One test case like the API's; with `records_key`, per-attempt results under that key."""
    body: dict[str, Any] = {
        "testCaseId": f"tc_{number:06d}",
        "label": f"Scenario {number}: caller wants a refund for order ORD-{10000 + number}",
        "agent": AGENT,
        "workspaceId": WORKSPACE,
        "llmModel": "gpt-4o-mini",
        "mockData": [
            {"variableName": "customer_name", "value": f"Customer {number}"},
            {"variableName": "order_id", "value": f"ORD-{10000 + number}"},
            {"variableName": "order_total", "value": 19.99 + number % 100},
        ],
        "userPrompt": (
            f"You are customer {number}. Your order arrived damaged and you want a refund, not a replacement. "
            "You give your order number once and get impatient if asked again."
        ),
        "attempt": attempts,
        "successCriteria": (
            "The agent verifies the order number once, offers a refund to the original payment method and states "
            "that refunds take 5-7 business days."
        ),
    }
    if records_key is not None:
        failures = failed if failed is not None else 0
        body[records_key] = [
            {
                "jobId": f"job_{number:06d}_{attempt}",
                "isSuccessful": attempt >= failures,
                "remarks": _remarks(number, attempt, varied) if attempt < failures else "All criteria met.",
            }
            for attempt in range(attempts)
        ]
    return body


def _remarks(number: int, attempt: int, varied: bool) -> str:
    if not varied:
        return REMARKS[(number + attempt) % len(REMARKS)]
    wordings = VARIED_REMARKS[(number + attempt) % len(VARIED_REMARKS)]
    template = wordings[(number // 7 + attempt) % len(wordings)]
    return template.format(turn=2 + (number + attempt) % 9, name=NAMES[number % len(NAMES)])


def make_batch_run(
    test_cases: int,
    *,
    batch_id: str = "batch_large",
    attempts: int = 3,
    records_key: str | None = None,
    failure_rate: float = 0.1,
    seed: int = 7,
    varied: bool = False,
) -> dict[str, Any]:
    """A batch run with `test_cases` test cases; counts match the per-attempt results when present."""
    rng = random.Random(seed)
    cases = []
    failed_total = 0
    for number in range(test_cases):
        failed = sum(1 for _ in range(attempts) if rng.random() < failure_rate)
        failed_total += failed
        cases.append(make_test_case(number, attempts=attempts, failed=failed, records_key=records_key, varied=varied))
    total = test_cases * attempts
    return {
        "batchId": batch_id,
        "workspaceId": WORKSPACE,
        "agent": AGENT,
        "createdDate": "2026-04-02T15:20:11.204Z",
        "testCases": cases,
        "successfulAttempts": total - failed_total,
        "failedAttempts": failed_total,
        "totalAttempts": total,
    }


def make_test_run(
    job_id: str = "job_1", *, turns: int = 6, passed: bool | None = False, **overrides: Any
) -> dict[str, Any]:
    """One attempt like `GET /v1/test-runs/{jobId}` returns it."""
    body: dict[str, Any] = {
        "batchId": "batch_s0OJu2JWR8R45Fai",
        "workspaceId": WORKSPACE,
        "agent": AGENT,
        "testCase": make_test_case(1),
        "jobId": job_id,
        "chatId": "chat_1",
        "createdDate": "2026-03-26T10:52:45.565Z",
        "completedDate": "2026-03-26T10:54:00.065Z",
        "isSuccessful": passed,
        "remarks": "The agent asked for the order number twice.",
        "conversation": [
            {"role": "assistant" if turn % 2 == 0 else "user", "content": f"Turn {turn + 1} says something."}
            for turn in range(turns)
        ],
    }
    body.update(overrides)
    return body
