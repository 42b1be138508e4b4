"""Ids that could change a URL's meaning are refused, naming the parameter and the accepted shape."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field

from sigma_mcp.safety.ids import id_problem, is_id
from sigma_mcp.sigmamind.errors import InvalidArgument
from sigma_mcp.tools.arguments import parse_arguments
from sigma_mcp.tools.parameters import AgentId, BatchId, Parameters
from sigma_mcp.tools.spec import AGENT_ID_EXAMPLE


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


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("a\\b", "it contains '\\' (a path separator)"),
        ("a?b", "it contains '?' (starts a query)"),
        ("a#b", "it contains '#' (starts a fragment)"),
        ("a%b", "it contains '%' (a percent-escape)"),
        ("a&b", "it contains '&' (a query separator)"),
        ("a~b", "it contains the character '~'"),  # the last printable ASCII character
        ("a@b", "it contains the character '@'"),
        ("a\x1bb", "it contains a control character (U+001B)"),
        ("a\x7fb", "it contains a control character (U+007F)"),
        ("a\x9fb", "it contains a control character (U+009F)"),
        ("a\xa1b", "it contains the non-ASCII character U+00A1"),
        ("a\u0085b", "it contains whitespace"),  # NEL: a C1 control that is also whitespace
        ("a b/c", "it contains whitespace"),  # the first bad character is the one named
    ],
)
def test_the_first_bad_character_is_named_exactly(value: str, said: str) -> None:
    assert id_problem(value) == said


def test_empty_and_dot_only_ids_are_named_exactly() -> None:
    assert id_problem("") == "it is empty"
    assert id_problem("..") == "it is only dots, which would change the URL's path"
    assert id_problem("x" * 129) == "it is 129 characters long"
    assert id_problem("a.b") is None


def test_a_refusal_says_what_to_do_and_previews_a_long_id() -> None:
    exact = "/" + "x" * 39  # 40 characters: shown whole
    longer = "/" + "x" * 40  # 41 characters: shown cut, with an ellipsis
    with pytest.raises(InvalidArgument) as whole:
        check_id("batchId", exact)
    assert whole.value.message.startswith(f"Invalid batchId {exact!r}: it contains '/' (a path separator). ")
    assert whole.value.message.endswith("Nothing was sent to SigmaMind; pass the id exactly as SigmaMind shows it.")
    with pytest.raises(InvalidArgument) as cut:
        check_id("batchId", longer)
    assert cut.value.message.startswith(f"Invalid batchId '{longer[:40]}\\u2026': it contains '/'")


def test_is_id_accepts_only_safe_strings() -> None:
    assert is_id("batch_1") is True
    assert is_id("a/b") is False
    assert is_id("") is False
    assert is_id(7) is False
    assert is_id(None) is False
