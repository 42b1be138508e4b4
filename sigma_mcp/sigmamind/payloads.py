"""Tolerant models of the SigmaMind API's JSON.

The documented responses are examples, not promises: every field is optional, unknown fields are
ignored, and a value of the wrong type is dropped with a note instead of failing the whole call.
A body is parsed once, from bytes to plain objects, and the fields read are validated; only a body with
type errors takes the slower repair path. Only a body that is not a JSON object is an error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import pydantic_core
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, JsonValue, ValidationError

from sigma_mcp.safety.text import describe_json_type
from sigma_mcp.sigmamind.errors import Target, UpstreamInvalidResponse
from sigma_mcp.sigmamind.failures import invalid_json, not_an_object

Count = Annotated[int, Field(ge=0)]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class AgentRef(ApiModel):
    name: str | None = None
    agentId: str | None = None
    status: str | None = None


class MockVariable(ApiModel):
    variableName: str | None = None
    value: Any = None  # from parsed JSON: a JSON value already


class CasePayload(ApiModel):
    """One test case in full (see `test_cases` for how batch runs hold them)."""

    testCaseId: str | None = None
    label: str | None = None
    agent: AgentRef | None = None
    workspaceId: str | None = None
    llmModel: str | None = None
    mockData: list[MockVariable] | None = None
    userPrompt: str | None = None
    attempt: Count | None = None
    successCriteria: str | None = None


class BatchRunPayload(ApiModel):
    batchId: str | None = None
    workspaceId: str | None = None
    agent: AgentRef | None = None
    createdDate: str | None = None
    testCases: list[Any] | None = None
    """Kept as raw JSON: a batch run may hold thousands, and only the ones shown are parsed in full
    (see `test_cases`)."""
    successfulAttempts: Count | None = None
    failedAttempts: Count | None = None
    totalAttempts: Count | None = None


class BatchRunPage(ApiModel):
    """One page of `GET /v1/batch-runs?agentId=&page=&size=`."""

    data: list[BatchRunPayload] | None = None
    page: Count | None = None
    size: Count | None = None
    totalCount: Count | None = None
    totalPages: Count | None = None
    hasNext: bool | None = None
    hasPrevious: bool | None = None


class Turn(ApiModel):
    role: str | None = Field(default=None, validation_alias=AliasChoices("role", "speaker"))
    content: JsonValue = Field(default=None, validation_alias=AliasChoices("content", "text", "message"))


class AttemptPayload(ApiModel):
    """`GET /v1/test-runs/{jobId}?batchId=&agentId=`: one attempt with its transcript."""

    batchId: str | None = None
    workspaceId: str | None = None
    agent: AgentRef | None = None
    testCase: CasePayload | None = None
    jobId: str | None = None
    chatId: str | None = None
    createdDate: str | None = None
    completedDate: str | None = None
    isSuccessful: bool | None = None
    isSuccesful: bool | None = None  # the API's older spelling
    remarks: str | None = None
    conversation: list[Turn] | None = None

    @property
    def passed(self) -> bool | None:
        return self.isSuccessful if self.isSuccessful is not None else self.isSuccesful


M = TypeVar("M", bound=BaseModel)

_MAX_REPAIR_PASSES = 5


@dataclass(frozen=True)
class Parsed(Generic[M]):
    """A parsed body and what had to be ignored to parse it."""

    value: M
    ignored: tuple[str, ...] = ()


def parse_object(model: type[M], body: bytes, target: Target) -> Parsed[M]:
    """Parse `body` into `model`, dropping values of the wrong type (each noted in `ignored`).

    Raises `UpstreamInvalidResponse` when the body is not JSON or not a JSON object.
    """
    body = body.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark is not JSON, but harmless
    try:
        # One pass from bytes to plain objects, repeated object keys shared; then validation of the
        # fields read. The fast parser refuses a little that JSON allows (a lone "\ud800", very deep
        # nesting): the standard library's parser gets those.
        data = pydantic_core.from_json(body, cache_strings="keys")
    except ValueError:
        data = _parse_slowly(body, target)
    if not isinstance(data, dict):
        raise not_an_object(target, describe_json_type(data))
    return validate_object(model, data, target)


def validate_object(model: type[M], data: dict[str, Any], target: Target) -> Parsed[M]:
    """`data`, an answer's JSON object, as `model` (see `validate_tolerant`); `UpstreamInvalidResponse` when it
    cannot be."""
    try:
        return validate_tolerant(model, data)
    except ValueError as exc:
        raise UpstreamInvalidResponse(
            f"SigmaMind's answer for the {target.description} has a shape sigma-mcp cannot read ({exc})."
        ) from None


def _parse_slowly(body: bytes, target: Target) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        pass
    except RecursionError:
        raise invalid_json(target, body) from None
    try:
        # Integers of thousands of digits are JSON too; Python refuses to convert them.
        return json.loads(body, parse_int=_parse_int)
    except (ValueError, RecursionError):
        raise invalid_json(target, body) from None


def _parse_int(text: str) -> int | str:
    # Python refuses to convert integers of more than 4300 digits; such a number is kept as text.
    return int(text) if len(text) <= 4000 else text


def validate_tolerant(model: type[M], data: dict[str, Any], errors: Sequence[Any] | None = None) -> Parsed[M]:
    """Validate `data` (which may be modified), dropping each value of the wrong type with a note.

    `errors` are the errors of a validation already tried, if any. Raises ValueError when the
    data still does not validate after the repairs.
    """
    ignored: list[str] = []
    for _ in range(_MAX_REPAIR_PASSES):
        if errors is not None:
            ignored.extend(_drop(data, errors))
        try:
            return Parsed(model.model_validate(data), tuple(ignored))
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
    raise ValueError(f"{len(errors or ())} problems remain after ignoring the values of unexpected types")


def _drop(data: dict[str, Any], errors: Sequence[Any]) -> list[str]:
    """Remove the value at each error's location; return a note per removed value."""
    notes: list[str] = []
    list_removals: dict[int, tuple[list[Any], set[int]]] = {}
    for error in errors:
        loc: tuple[str | int, ...] = tuple(error["loc"])
        if not loc:
            continue
        parent: Any = data
        for step in loc[:-1]:
            parent = _child(parent, step)
            if parent is None:
                break
        last = loc[-1]
        if isinstance(parent, dict) and isinstance(last, str) and last in parent:
            del parent[last]
        elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
            list_removals.setdefault(id(parent), (parent, set()))[1].add(last)
        else:
            continue
        notes.append(f"{format_path(loc)} ({error['msg']})")
    for items, indexes in list_removals.values():
        for index in sorted(indexes, reverse=True):
            del items[index]
    return notes


def _child(parent: Any, step: str | int) -> Any:
    if isinstance(parent, dict) and isinstance(step, str):
        return parent.get(step)
    if isinstance(parent, list) and isinstance(step, int) and 0 <= step < len(parent):
        return parent[step]
    return None


def format_path(loc: Sequence[str | int]) -> str:
    """('testCases', 3, 'attempt') -> 'testCases[3].attempt'."""
    text = ""
    for step in loc:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
