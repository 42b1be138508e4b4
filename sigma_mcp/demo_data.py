"""Built-in sample data for demo mode, shaped exactly like the SigmaMind API's answers.

The API reference's own example is served unchanged; the other batch runs add what the reference
promises but does not show: per-attempt results inside test cases, and attempts with transcripts.
"""

from __future__ import annotations

from typing import Any

SUPPORT_AGENT = {"name": "New AI Agent", "agentId": "agent_D5D0p7TUs66TTAEAx", "status": "Live"}
CLINIC_AGENT = {"name": "Clinic Booking Assistant", "agentId": "agent_Rk2Vt8Zs4Qw9Lp3m", "status": "Draft"}
WORKSPACE = "org_V6eZ2zg8ziDx5pft"
ATTEMPTS_KEY = "testRuns"
"""Where demo test cases carry their per-attempt results (the real key is undocumented)."""

Turns = list[tuple[str, str]]


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
    batch_id: str, agent: dict[str, str], created: str, test_cases: list[dict[str, Any]], passed: int, failed: int
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

REFUND_PERSONA = (
    "You bought a blender two weeks ago and it arrived with a cracked jar. You want your money back, "
    "not a replacement. You have your order number ready and get impatient if you are asked for it twice."
)
REFUND = _test_case(
    SUPPORT_AGENT,
    "tc_Rf4dMg2Bx8Lq1Wze",
    "Refund for a damaged item",
    persona=REFUND_PERSONA,
    criteria=(
        "The agent verifies the order number once, offers a refund to the original payment method, states "
        "that refunds take 5-7 business days, and does not push a replacement after the customer declines it."
    ),
    attempts=5,
    mock={"customer_name": "Priya Shah", "order_id": "ORD-48213", "order_total": 89.99},
)
REFUND_BEFORE = {
    **REFUND,
    "successCriteria": (
        "The agent verifies the order number, offers a refund to the original payment method and states that "
        "refunds take 5-7 business days."
    ),
}
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

REFUND_ASKED_TWICE = (
    "The agent asked for the order number a second time after the customer had already given it, which "
    "the success criteria forbid. The refund itself was offered correctly."
)
REFUND_PUSHED_REPLACEMENT = (
    "After the customer declined a replacement, the agent offered it again and never said how long the "
    "refund takes (5-7 business days)."
)
REFUND_NO_TIMELINE = "The agent offered the refund but did not say how long it takes."
ESCALATION_LATE = (
    "The agent tried to troubleshoot the delivery for several turns before offering a transfer; the criteria "
    "require the offer within the first two turns. It never asked for a callback number."
)

REFUND_PASS: Turns = [
    ("assistant", "Thanks for calling Acme support, this is Ava. How can I help?"),
    ("user", "My blender arrived with a cracked jar. Order ORD-48213. I want a refund, not a new one."),
    ("assistant", "I'm sorry about that, Priya. I found order ORD-48213 for 89.99 dollars. Would a replacement help?"),
    ("user", "No. A refund, please."),
    (
        "assistant",
        "Understood. I've issued a refund of 89.99 dollars to your original card. It takes 5 to 7 business days.",
    ),
    ("user", "Great, thanks."),
]
REFUND_FAIL_TWICE: Turns = [
    ("assistant", "Thanks for calling Acme support, this is Ava. How can I help?"),
    ("user", "My blender arrived cracked. The order number is ORD-48213 and I'd like a refund."),
    ("assistant", "I'm sorry to hear that. Could you give me your order number so I can look it up?"),
    ("user", "I just told you. ORD-48213."),
    ("assistant", "Thank you. I've started a refund of 89.99 dollars to your original payment method."),
    ("user", "How long will it take?"),
    ("assistant", "Refunds take 5 to 7 business days."),
]
REFUND_FAIL_PUSH: Turns = [
    ("assistant", "Thanks for calling Acme support, this is Ava. How can I help?"),
    ("user", "Order ORD-48213 arrived with a cracked jar. I want my money back."),
    ("assistant", "I'm sorry, Priya. I can send a new jar today, free of charge."),
    ("user", "No thanks, I want a refund."),
    ("assistant", "A replacement would reach you by Friday. Are you sure you don't want one?"),
    ("user", "I'm sure. Refund, please."),
    ("assistant", "Okay, I've issued the refund to your card."),
]
ESCALATION_PASS: Turns = [
    ("assistant", "Hi, this is Ava from Acme. How can I help?"),
    ("user", "I want a human. Now. This is my fourth call about the same delivery."),
    (
        "assistant",
        "I'll transfer you to a colleague right away. In case the call drops, what number can we call you on?",
    ),
    ("user", "555-0143."),
    ("assistant", "Thank you, Elena. Transferring you now, ticket TCK-90412 is attached."),
]
ESCALATION_FAIL: Turns = [
    ("assistant", "Hi, this is Ava from Acme. How can I help?"),
    ("user", "Get me a human. I've called three times about my delivery."),
    ("assistant", "I can help with your delivery. Could you tell me your ticket number?"),
    ("user", "TCK-90412. I asked for a human."),
    ("assistant", "Thanks. I see the parcel left our warehouse on Monday."),
    ("user", "I don't care. A person, please."),
    ("assistant", "It is with the courier now. Would you like the tracking link?"),
    ("user", "No! Transfer me."),
    ("assistant", "I understand your frustration. Let me check the courier's latest scan."),
    ("user", "This is exactly why I want a human."),
    ("assistant", "The latest scan shows it at the local depot."),
    ("user", "Are you going to transfer me or not?"),
    ("assistant", "Delivery from the depot usually takes one day."),
    ("user", "I'm asking for the last time: a human."),
    ("assistant", "I could also open a complaint for the delay if you like."),
    ("user", "No. Human."),
    ("assistant", "Would you like me to resend the delivery confirmation email?"),
    ("user", "Stop. Transfer me."),
    ("assistant", "I'm sorry for the wait. Is there anything else about the delivery I can check?"),
    ("user", "Yes, whether you can hear me. HUMAN."),
    ("assistant", "I hear you. The delivery should arrive tomorrow."),
    ("user", "Unbelievable."),
    ("assistant", "Is there anything else I can do for you?"),
    ("user", "Transfer. Me."),
    ("assistant", "Okay, I'll transfer you to a human agent now."),
    ("user", "Finally."),
]
DOUBLE_CHARGE_PASS: Turns = [
    ("assistant", "Acme billing, this is Ava. How can I help?"),
    ("user", "I was charged twice for invoice INV-2026-0311, 49 dollars each time."),
    ("assistant", "I see two charges of 49 dollars on March 11 for that invoice. I've opened a reversal for one."),
    ("user", "Can I have a reference number?"),
    ("assistant", "Of course: REV-77120. The reversal shows on your statement within 3 business days."),
]
PENDING: Turns = [
    ("assistant", "Thanks for calling Acme support, this is Ava. How can I help?"),
    ("user", "Hello, I have a problem with my order."),
]


def _attempt(
    job_id: str, passed: bool | None, remarks: str | None, created: str, completed: str | None, turns: Turns
) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "isSuccessful": passed,
        "remarks": remarks,
        "createdDate": created,
        "completedDate": completed,
        "_turns": turns,  # removed before serving; becomes the test run's conversation
    }


PASSED = "The agent met every part of the success criteria."


def _with_attempts(test_case: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {**test_case, ATTEMPTS_KEY: attempts}


REGRESSION_SUITE = _batch_run(
    "batch_Xk3pQ9mLrT2vWs7d",
    SUPPORT_AGENT,
    "2026-04-02T15:20:11.204Z",
    [
        _with_attempts(
            REFUND,
            [
                _attempt(
                    "job_Rf01aQ7m",
                    False,
                    REFUND_ASKED_TWICE,
                    "2026-04-02T15:20:14Z",
                    "2026-04-02T15:21:02Z",
                    REFUND_FAIL_TWICE,
                ),
                _attempt("job_Rf02bW3n", True, PASSED, "2026-04-02T15:20:14Z", "2026-04-02T15:20:58Z", REFUND_PASS),
                _attempt(
                    "job_Rf03cE9p",
                    False,
                    REFUND_ASKED_TWICE,
                    "2026-04-02T15:20:15Z",
                    "2026-04-02T15:21:10Z",
                    REFUND_FAIL_TWICE,
                ),
                _attempt(
                    "job_Rf04dR2q",
                    False,
                    REFUND_PUSHED_REPLACEMENT,
                    "2026-04-02T15:20:15Z",
                    "2026-04-02T15:21:21Z",
                    REFUND_FAIL_PUSH,
                ),
                _attempt("job_Rf05eT8r", True, PASSED, "2026-04-02T15:20:16Z", "2026-04-02T15:20:59Z", REFUND_PASS),
            ],
        ),
        _with_attempts(
            DOUBLE_CHARGE,
            [
                _attempt(
                    f"job_Dc0{n}fY{n}s",
                    True,
                    PASSED,
                    "2026-04-02T15:20:17Z",
                    "2026-04-02T15:20:49Z",
                    DOUBLE_CHARGE_PASS,
                )
                for n in range(1, 4)
            ],
        ),
        _with_attempts(
            ESCALATION,
            [
                _attempt("job_Es01gU4t", True, PASSED, "2026-04-02T15:20:18Z", "2026-04-02T15:20:41Z", ESCALATION_PASS),
                _attempt(
                    "job_Es02hI6v",
                    False,
                    ESCALATION_LATE,
                    "2026-04-02T15:20:18Z",
                    "2026-04-02T15:22:47Z",
                    ESCALATION_FAIL,
                ),
                _attempt("job_Es03jO1w", True, PASSED, "2026-04-02T15:20:19Z", "2026-04-02T15:20:44Z", ESCALATION_PASS),
                _attempt(
                    "job_Es04kP5x",
                    False,
                    ESCALATION_LATE,
                    "2026-04-02T15:20:19Z",
                    "2026-04-02T15:22:52Z",
                    ESCALATION_FAIL,
                ),
            ],
        ),
    ],
    passed=7,
    failed=5,
)

BASELINE = _batch_run(
    "batch_Mv6Tq1Wd8Zr3Kp5n",
    SUPPORT_AGENT,
    "2026-03-28T09:12:40.031Z",
    [
        _with_attempts(
            REFUND_BEFORE,
            [
                _attempt(f"job_Bf0{n}lA{n}y", True, PASSED, "2026-03-28T09:12:43Z", "2026-03-28T09:13:30Z", REFUND_PASS)
                for n in range(1, 5)
            ]
            + [
                _attempt(
                    "job_Bf05mS9z",
                    False,
                    REFUND_NO_TIMELINE,
                    "2026-03-28T09:12:44Z",
                    "2026-03-28T09:13:35Z",
                    REFUND_FAIL_PUSH,
                )
            ],
        ),
        _with_attempts(
            DOUBLE_CHARGE,
            [
                _attempt(
                    f"job_Bd0{n}nD{n}a",
                    True,
                    PASSED,
                    "2026-03-28T09:12:45Z",
                    "2026-03-28T09:13:11Z",
                    DOUBLE_CHARGE_PASS,
                )
                for n in range(1, 4)
            ],
        ),
        _with_attempts(
            ESCALATION,
            [
                _attempt(
                    f"job_Be0{n}pF{n}b", True, PASSED, "2026-03-28T09:12:46Z", "2026-03-28T09:13:05Z", ESCALATION_PASS
                )
                for n in range(1, 5)
            ],
        ),
    ],
    passed=11,
    failed=1,
)

STILL_RUNNING = _batch_run(
    "batch_Hn8cV2bRt5YzQa1e",
    SUPPORT_AGENT,
    "2026-04-03T09:05:37.918Z",
    [
        _with_attempts(
            REFUND,
            [
                _attempt("job_Hr01qG2c", True, PASSED, "2026-04-03T09:05:40Z", "2026-04-03T09:06:25Z", REFUND_PASS),
                _attempt(
                    "job_Hr02rH3d",
                    False,
                    REFUND_ASKED_TWICE,
                    "2026-04-03T09:05:40Z",
                    "2026-04-03T09:06:31Z",
                    REFUND_FAIL_TWICE,
                ),
                _attempt("job_Hr03sJ4e", True, PASSED, "2026-04-03T09:05:41Z", "2026-04-03T09:06:27Z", REFUND_PASS),
                _attempt("job_Hr04tK5f", None, None, "2026-04-03T09:05:41Z", None, PENDING),
                _attempt("job_Hr05uL6g", None, None, "2026-04-03T09:05:42Z", None, PENDING),
            ],
        ),
        _with_attempts(
            ESCALATION,
            [
                _attempt("job_He01vZ7h", True, PASSED, "2026-04-03T09:05:42Z", "2026-04-03T09:06:03Z", ESCALATION_PASS),
                *(_attempt(f"job_He0{n}wX8{n}", None, None, "2026-04-03T09:05:43Z", None, PENDING) for n in (2, 3, 4)),
            ],
        ),
    ],
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

BATCH_RUNS: tuple[dict[str, Any], ...] = (
    STILL_RUNNING,
    REGRESSION_SUITE,
    BASELINE,
    CLINIC_BOOKING,
    DOCUMENTED_EXAMPLE,
)
"""Every demo batch run, newest first."""


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
    ]
