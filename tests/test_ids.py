"""Ids that could change a URL's meaning are refused, naming the parameter and the accepted shape."""

from __future__ import annotations

import pytest

from sigma_mcp.errors import InvalidArgument
from sigma_mcp.ids import check_id


@pytest.mark.parametrize(
    "value",
    ["batch_s0OJu2JWR8R45Fai", "D5D0p7TUs66TTAEAx", "tc-1.v2", "a", "x" * 128, "a..b"],
)
def test_accepted_ids(value: str) -> None:
    assert check_id("batchId", value, example="batch_x") == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("x" * 129, "129 characters long"),
        ("a/b", "path separator"),
        ("..", "only dots"),
        (".", "only dots"),
        ("a\\b", "path separator"),
        ("a?b=1", "starts a query"),
        ("a#b", "starts a fragment"),
        ("a%2Fb", "percent-escape"),
        ("a&b", "query separator"),
        (" batch_1", "whitespace"),
        ("batch_1\n", "whitespace"),
        ("a\x00b", "control character"),
        ("a\x7fb", "control character"),
        ("batch_1\u200b", "non-ASCII"),
        ("b\u0430tch", "non-ASCII"),  # a Cyrillic look-alike of "a"
    ],
)
def test_refused_ids_name_the_parameter_and_the_shape(value: str, why: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        check_id("agentId", value, example="agent_x")
    message = caught.value.message
    assert message.startswith("Invalid agentId")
    assert why in message
    assert "ASCII letters, digits" in message
    assert "agent_x" in message


@pytest.mark.parametrize(
    ("value", "kind"), [(5, "a number"), (None, "null"), (["a"], "an array of 1 item"), (True, "a boolean")]
)
def test_non_strings_are_refused(value: object, kind: str) -> None:
    with pytest.raises(InvalidArgument, match=f"Invalid batchId: expected a string id .* got {kind}"):
        check_id("batchId", value, example="batch_x")
