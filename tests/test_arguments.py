"""The argument check every tool call passes before it runs, on schemas like the tools publish."""

from __future__ import annotations

from typing import Any

import pytest

from sigma_mcp.arguments import argument_problem

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "batchId": {"type": "string", "description": "The batch run's id."},
        "page": {"type": "integer", "minimum": 0, "maximum": 1000},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "free": {},
    },
    "required": ["batchId"],
}


@pytest.mark.parametrize(
    "arguments",
    [
        {"batchId": "b"},
        {"batchId": "b", "page": 0},
        {"batchId": "b", "page": "12"},
        {"batchId": "b", "page": 1000},
        {"batchId": "b", "note": None},
        {"batchId": "b", "note": "x"},
        {"batchId": "b", "free": [1, {"a": 2}]},
    ],
)
def test_arguments_that_fit(arguments: dict[str, Any]) -> None:
    assert argument_problem("t", SCHEMA, arguments) is None


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (None, "Missing required parameter batchId for t. The batch run's id."),
        ([1, 2], "Invalid arguments for t: expected an object of named parameters (batchId, page, note, free)."),
        ({"batchId": "b", "x": 1, "y": 2}, "Unknown parameters 'x', 'y' for t. It accepts: batchId, page, note, free."),
        ({"batchId": 5}, "Invalid batchId for t: expected a string, got a number."),
        ({"batchId": None}, "Invalid batchId for t: expected a string, got null."),
        ({"batchId": "b", "page": True}, "Invalid page for t: expected an integer, got a boolean."),
        ({"batchId": "b", "page": 1.5}, "Invalid page for t: expected an integer, got a number."),
        ({"batchId": "b", "page": -1}, "Invalid page for t: must be at least 0, got -1."),
        ({"batchId": "b", "page": "1001"}, "Invalid page for t: must be at most 1000, got 1001."),
        ({"batchId": "b", "page": "ten"}, "Invalid page for t: expected an integer, got a string."),
        ({"batchId": "b", "note": 3}, "Invalid note for t: expected a string or null, got a number."),
    ],
)
def test_arguments_that_do_not_fit(arguments: object, problem: str) -> None:
    assert (argument_problem("t", SCHEMA, arguments) or "").startswith(problem)
