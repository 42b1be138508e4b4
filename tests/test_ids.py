"""Ids that could change a URL's meaning are refused, naming the parameter and the accepted shape."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field

from sigma_mcp.sigmamind.errors import InvalidArgument
from sigma_mcp.tools.arguments import parse_arguments
from sigma_mcp.tools.spec import AGENT_ID_EXAMPLE, AgentId, BatchId, Parameters


class Ids(Parameters):
    batchId: Annotated[BatchId, Field(description="A batch run.")] = "batch_x"
    agentId: Annotated[AgentId, Field(description="An agent.")] = "agent_x"


def check_id(name: str, value: object) -> str:
    parsed = parse_arguments("t", Ids, {name: value})
    return str(getattr(parsed, name))


@pytest.mark.parametrize(
    "value",
    ["batch_s0OJu2JWR8R45Fai", "D5D0p7TUs66TTAEAx", "tc-1.v2", "a", "x" * 128, "a..b"],
)
def test_accepted_ids(value: str) -> None:
    assert check_id("batchId", value) == value


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
        check_id("agentId", value)
    message = caught.value.message
    assert message.startswith("Invalid agentId")
    assert why in message
    assert "ASCII letters, digits" in message
    assert AGENT_ID_EXAMPLE in message


@pytest.mark.parametrize(
    ("value", "kind"), [(5, "a number"), (None, "null"), (["a"], "an array of 1 item"), (True, "a boolean")]
)
def test_non_strings_are_refused(value: object, kind: str) -> None:
    with pytest.raises(InvalidArgument, match=f"Invalid batchId for t: expected a string, got {kind}"):
        check_id("batchId", value)
