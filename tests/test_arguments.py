"""The one argument check every tool call passes before it runs: a parameters model, with pydantic's errors
said as one message naming the parameter and the shape it accepts."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import Field, ValidationError

from sigma_mcp.sigmamind.errors import InvalidArgument
from sigma_mcp.tools.arguments import describe_errors, parse_arguments
from sigma_mcp.tools.parameters import INTEGER_TEXT, BatchId, Parameters


class Example(Parameters):
    batchId: Annotated[BatchId, Field(description="The batch run's id.")]
    page: Annotated[int, Field(strict=True, ge=0, le=1000), INTEGER_TEXT] = 0
    note: str | None = Field(default=None, strict=True)


@pytest.mark.parametrize(
    ("arguments", "page"),
    [
        ({"batchId": "b"}, 0),
        ({"batchId": "b", "page": 0}, 0),
        ({"batchId": "b", "page": "12"}, 12),
        ({"batchId": "b", "page": " 7 "}, 7),
        ({"batchId": "b", "page": 1000}, 1000),
        ({"batchId": "b", "note": None}, 0),
        ({"batchId": "b", "note": "x"}, 0),
    ],
)
def test_arguments_that_fit(arguments: dict[str, Any], page: int) -> None:
    parsed = parse_arguments("t", Example, arguments)
    assert parsed.batchId == "b"
    assert parsed.page == page


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (None, "Missing required parameter batchId for t. The batch run's id."),
        ([1, 2], "Invalid arguments for t: expected an object of named parameters (batchId, page, note)."),
        ({"batchId": "b", "x": 1, "y": 2}, "Unknown parameters 'x', 'y' for t. It accepts: batchId, page, note."),
        ({"x": 1}, "Unknown parameter 'x' for t."),
        ({"batchId": 5}, "Invalid batchId for t: expected a string, got a number."),
        ({"batchId": None}, "Invalid batchId for t: expected a string, got null."),
        ({"batchId": "b", "page": True}, "Invalid page for t: expected an integer, got a boolean."),
        ({"batchId": "b", "page": 1.5}, "Invalid page for t: expected an integer, got a number."),
        ({"batchId": "b", "page": 2.0}, "Invalid page for t: expected an integer, got a number."),
        ({"batchId": "b", "page": -1}, "Invalid page for t: must be at least 0, got -1."),
        ({"batchId": "b", "page": "1001"}, "Invalid page for t: must be at most 1000, got 1001."),
        ({"batchId": "b", "page": 10**50}, "Invalid page for t: must be at most 1000, got a number of 51 digits."),
        ({"batchId": "b", "page": "ten"}, "Invalid page for t: expected an integer, got a string."),
        ({"batchId": "b", "page": "1" * 19}, "Invalid page for t: expected an integer, got a string."),
        ({"batchId": "b", "note": 3}, "Invalid note for t: expected a string or null, got a number."),
        ({"page": -1, "batchId": 5}, "Invalid page for t: must be at least 0, got -1."),
        ({"batchId": 5, "page": -1}, "Invalid batchId for t: expected a string, got a number."),
        ({"batchId": "a/b"}, "Invalid batchId 'a/b': it contains '/' (a path separator). An id is 1 to 128"),
        ({"batchId": "b", "x": 1, "page": -1}, "Unknown parameter 'x' for t."),
    ],
)
def test_arguments_that_do_not_fit(arguments: object, problem: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_arguments("t", Example, arguments)
    assert raised.value.message.startswith(problem)


def test_every_refusal_says_nothing_was_sent() -> None:
    for arguments in ({"batchId": "b", "x": 1}, {"batchId": 5}, {"batchId": "b", "page": -1}, {"batchId": ".."}):
        with pytest.raises(InvalidArgument) as raised:
            parse_arguments("t", Example, arguments)
        assert "Nothing was sent to SigmaMind" in raised.value.message


class Bare(Parameters):
    """A model with no parameters."""


class Undescribed(Parameters):
    name: str


def test_a_model_without_parameters_says_so() -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_arguments("t", Bare, "x")
    assert raised.value.message == "Invalid arguments for t: expected an object of named parameters (no parameters)."


def test_a_missing_parameter_without_a_description_ends_the_sentence() -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_arguments("t", Undescribed, {})
    assert raised.value.message == "Missing required parameter name for t."


def test_unknown_parameters_are_listed_five_at_most_each_cut_to_forty_characters() -> None:
    long_name = "k" * 45
    arguments = {"batchId": "b", long_name: 1, **{f"u{n}": n for n in range(6)}}
    with pytest.raises(InvalidArgument) as raised:
        parse_arguments("t", Example, arguments)
    shown = raised.value.message.split(" for t.")[0].removeprefix("Unknown parameters ")
    assert shown == ", ".join(ascii(name) for name in ["k" * 40, "u0", "u1", "u2", "u3"])


@pytest.mark.parametrize(
    ("page", "said"),
    [(10**39, f"got {10**39}"), (10**40, "got a number of 41 digits")],  # 40 digits are shown, 41 are not
)
def test_a_huge_number_is_shown_whole_up_to_forty_digits(page: int, said: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_arguments("t", Example, {"batchId": "b", "page": page})
    assert raised.value.message == f"Invalid page for t: must be at most 1000, {said}. Nothing was sent to SigmaMind."


def test_pydantics_own_unknown_parameter_errors_are_said_the_same_way() -> None:
    arguments = {"batchId": "b", "x": 1}
    with pytest.raises(ValidationError) as raised:
        Example.model_validate(arguments)
    assert describe_errors("t", Example, arguments, raised.value.errors()) == (
        "Unknown parameter 'x' for t. It accepts: batchId, page, note. Nothing was sent to SigmaMind."
    )
