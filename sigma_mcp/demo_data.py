"""Built-in sample batch runs for demo mode, shaped exactly like the SigmaMind API's answers."""

from __future__ import annotations

from typing import Any

SUPPORT_AGENT = {"name": "New AI Agent", "agentId": "agent_D5D0p7TUs66TTAEAx", "status": "Live"}
CLINIC_AGENT = {"name": "Clinic Booking Assistant", "agentId": "agent_Rk2Vt8Zs4Qw9Lp3m", "status": "Draft"}
WORKSPACE = "org_V6eZ2zg8ziDx5pft"


def _test_case(
    agent: dict[str, str],
    test_case_id: str,
    label: str,
    *,
    persona: str,
    criteria: str,
    attempts: int,
    mock: dict[str, Any],
    model: str = "gpt-4o-mini",
) -> dict[str, Any]:
    return {
        "testCaseId": test_case_id,
        "label": label,
        "agent": agent,
        "workspaceId": WORKSPACE,
        "llmModel": model,
        "mockData": [{"variableName": name, "value": value} for name, value in mock.items()],
        "userPrompt": persona,
        "attempt": attempts,
        "successCriteria": criteria,
    }


def _batch_run(
    batch_id: str,
    agent: dict[str, str],
    created: str,
    test_cases: list[dict[str, Any]],
    passed: int,
    failed: int,
) -> dict[str, Any]:
    return {
        "batchId": batch_id,
        "workspaceId": WORKSPACE,
        "agent": agent,
        "createdDate": created,
        "testCases": test_cases,
        "successfulAttempts": passed,
        "failedAttempts": failed,
        "totalAttempts": passed + failed,
    }


# The example from the API reference, unchanged.
DOCUMENTED_EXAMPLE = _batch_run(
    "batch_s0OJu2JWR8R45Fai",
    SUPPORT_AGENT,
    "2026-03-26T10:52:45.565Z",
    [
        _test_case(
            SUPPORT_AGENT,
            "tc_d17T6uReChpyfFeP",
            "Angry Customer - Cancellation Flow",
            persona="You are an angry customer who wants to cancel your subscription.",
            criteria=(
                "The agent should acknowledge the cancellation request, present retention alternatives, "
                "and confirm the cancellation if the customer insists."
            ),
            attempts=5,
            mock={"customer_name": "John Doe", "account_status": "active"},
        )
    ],
    passed=4,
    failed=1,
)

REFUND = _test_case(
    SUPPORT_AGENT,
    "tc_Rf4dMg2Bx8Lq1Wze",
    "Refund for a damaged item",
    persona=(
        "You bought a blender two weeks ago and it arrived with a cracked jar. You want your money back, "
        "not a replacement. You have your order number ready and get impatient if you are asked for it twice."
    ),
    criteria=(
        "The agent verifies the order number once, offers a refund to the original payment method, states "
        "that refunds take 5-7 business days, and does not push a replacement after the customer declines it."
    ),
    attempts=5,
    mock={"customer_name": "Priya Shah", "order_id": "ORD-48213", "order_total": 89.99},
)
DOUBLE_CHARGE = _test_case(
    SUPPORT_AGENT,
    "tc_Dc7Hn3Kp5Vs9Tya2",
    "Double charge on the monthly invoice",
    persona=(
        "You were charged twice for your March invoice and want one charge reversed. You are calm but "
        "precise, and you ask for a reference number before you hang up."
    ),
    criteria=(
        "The agent confirms the duplicate charge against the invoice, opens a reversal, and gives the "
        "customer a reference number before the call ends."
    ),
    attempts=3,
    mock={"customer_name": "Marcus Lee", "invoice_id": "INV-2026-0311", "charge_amount": 49.0},
)
ESCALATION = _test_case(
    SUPPORT_AGENT,
    "tc_Es2Qw8Zt6Yb4Nmc1",
    "Escalation to a human",
    persona=(
        "You have called three times about a delayed delivery and refuse to talk to a bot. From your first "
        "sentence you ask for a human agent."
    ),
    criteria=(
        "The agent offers a transfer to a human within its first two turns and collects a callback number "
        "in case the transfer drops."
    ),
    attempts=4,
    mock={"customer_name": "Elena Rossi", "open_ticket": "TCK-90412", "callback_number": None},
    model="gpt-4o",
)

REGRESSION_SUITE = _batch_run(
    "batch_Xk3pQ9mLrT2vWs7d",
    SUPPORT_AGENT,
    "2026-04-02T15:20:11.204Z",
    [REFUND, DOUBLE_CHARGE, ESCALATION],
    passed=7,
    failed=5,
)

STILL_RUNNING = _batch_run(
    "batch_Hn8cV2bRt5YzQa1e",
    SUPPORT_AGENT,
    "2026-04-03T09:05:37.918Z",
    [REFUND, ESCALATION],
    passed=3,
    failed=1,
)

CLINIC_BOOKING = _batch_run(
    "batch_Pq7Lm2Nx9Ks4Jd6w",
    CLINIC_AGENT,
    "2026-03-30T08:41:02.377Z",
    [
        _test_case(
            CLINIC_AGENT,
            "tc_Bk5Ap1Cv7Xn3Hd8r",
            "Book a first appointment",
            persona=(
                "You are a new patient who wants the earliest appointment with a dermatologist next week, "
                "preferably in the morning."
            ),
            criteria=(
                "The agent collects the patient's name and date of birth, offers at least two morning slots, "
                "and confirms the chosen slot back to the patient."
            ),
            attempts=3,
            mock={"patient_name": "Sam Okafor", "date_of_birth": "1990-07-14", "clinic": "Northside"},
        ),
        _test_case(
            CLINIC_AGENT,
            "tc_Rs9Ch4Tm2Lp6Qe3v",
            "Reschedule an existing appointment",
            persona="You need to move your Thursday 3 pm appointment to any time on Friday.",
            criteria="The agent finds the existing appointment, offers Friday slots and cancels the old slot.",
            attempts=3,
            mock={"patient_name": "Sam Okafor", "appointment_id": "APT-5521"},
        ),
    ],
    passed=6,
    failed=0,
)

BATCH_RUNS: tuple[dict[str, Any], ...] = (DOCUMENTED_EXAMPLE, REGRESSION_SUITE, STILL_RUNNING, CLINIC_BOOKING)
