"""How each upstream failure becomes the error a call ends in: the right class, the status kept, and a message
that says what happened and what to do next, with the API's own words cleaned and capped.

These call the mapping functions of `sigmamind.failures` directly; tests/test_errors.py drives the same
failures through the MCP protocol."""

from __future__ import annotations

import json
import ssl
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from sigma_mcp.sigmamind.errors import (
    Target,
    UpstreamAuthError,
    UpstreamError,
    UpstreamInvalidResponse,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamTLSError,
    UpstreamUnreachable,
)
from sigma_mcp.sigmamind.failures import (
    api_message,
    deadline_exceeded,
    error_for_response,
    error_for_transport,
    format_seconds,
    invalid_json,
    not_an_object,
    parse_retry_after,
    too_large,
)

TARGET = Target(description="batch run 'b' of agent 'a'", not_found_hint="Check both ids.")
BASE = "https://api.example.test"


def answer(status: int, body: Any = b"", headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers)


def mapped(
    status: int, body: Any = b"", *, key_from_header: bool = False, headers: dict[str, str] | None = None
) -> UpstreamError:
    return error_for_response(answer(status, body, headers), TARGET, base_url=BASE, key_from_header=key_from_header)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, UpstreamAuthError),
        (403, UpstreamAuthError),
        (404, UpstreamNotFound),
        (429, UpstreamRateLimited),
        (301, UpstreamInvalidResponse),
        (399, UpstreamInvalidResponse),
        (400, UpstreamRejected),
        (418, UpstreamRejected),
        (499, UpstreamRejected),
        (500, UpstreamServerError),
        (599, UpstreamServerError),
        (299, UpstreamInvalidResponse),
        (100, UpstreamInvalidResponse),
    ],
)
def test_each_status_class_has_its_error(status: int, kind: type[UpstreamError]) -> None:
    error = mapped(status)
    assert type(error) is kind
    assert error.status == status
    assert error.json_body is False
    assert error.message == str(error)


def test_a_rejected_key_says_which_setting_to_fix() -> None:
    error = mapped(401, {"message": "Invalid API key"})
    assert error.message.startswith("SigmaMind rejected the API key (HTTP 401 Unauthorized). ")
    assert "Check that SIGMAMIND_API_KEY is a valid, unrevoked Production API key" in error.message
    assert "then restart the MCP server." in error.message
    assert error.message.endswith(" The API said: Invalid API key")
    assert error.json_body is True


def test_a_rejected_request_key_says_to_fix_the_clients_header() -> None:
    error = mapped(401, key_from_header=True)
    assert error.message.startswith("SigmaMind rejected the API key sent in X-SigmaMind-Api-Key (HTTP 401")
    assert "Check that the key you send is a valid" in error.message
    assert error.message.endswith("then update it in your MCP client's configuration.")
    forbidden = mapped(403, key_from_header=True)
    assert forbidden.message.startswith("The API key sent in X-SigmaMind-Api-Key has no access to the batch run")


def test_no_access_names_the_target_and_the_workspace() -> None:
    error = mapped(403, {"message": "Access denied"})
    assert error.message == (
        "The API key has no access to the batch run 'b' of agent 'a' (HTTP 403 Forbidden). Check that "
        "SIGMAMIND_API_KEY is a key of the workspace that owns this agent, and that the ids are right. "
        "The API said: Access denied"
    )


def test_not_found_gives_the_targets_hint() -> None:
    assert mapped(404).message == "SigmaMind has no batch run 'b' of agent 'a' (HTTP 404 Not Found). Check both ids."


@pytest.mark.parametrize(
    ("retry_after", "wait", "said"),
    [
        ("7", 7.0, "Wait 7 seconds (the API's Retry-After) and try again."),
        ("0.5", 0.5, "Wait 0.5 seconds (the API's Retry-After) and try again."),
        (None, None, "Wait a few seconds and try again."),
    ],
)
def test_rate_limiting_says_how_long_to_wait(retry_after: str | None, wait: float | None, said: str) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    error = mapped(429, headers=headers)
    assert isinstance(error, UpstreamRateLimited)
    assert error.retry_after == wait
    assert error.message == f"SigmaMind is rate limiting requests (HTTP 429 Too Many Requests). {said}"


def test_a_redirect_is_refused_naming_where_it_pointed_and_the_base_url() -> None:
    error = mapped(302, headers={"Location": "https://elsewhere.example/x\n" + "y" * 300})
    assert error.message.startswith(
        "SigmaMind answered with a redirect (HTTP 302 Found to https://elsewhere.example/x y"
    )
    location = error.message.split(" to ", 1)[1].split("), ")[0]
    assert len(location) == 200
    assert location.endswith("…")
    assert error.message.endswith(
        f"which sigma-mcp does not follow so that the API key only ever goes to {BASE}. Check SIGMAMIND_BASE_URL."
    )
    assert mapped(307).message.startswith("SigmaMind answered with a redirect (HTTP 307 Temporary Redirect), which")


def test_other_client_errors_say_the_reason_or_that_none_was_given() -> None:
    assert mapped(400, {"error": "Bad Request", "message": "Invalid request parameters"}).message == (
        "SigmaMind refused the request for the batch run 'b' of agent 'a' (HTTP 400 Bad Request). "
        "The API said: Bad Request: Invalid request parameters"
    )
    assert mapped(410).message.endswith("(HTTP 410 Gone). No reason given.")


def test_server_errors_say_the_problem_is_sigmaminds() -> None:
    assert mapped(503).message == (
        "SigmaMind failed to answer for the batch run 'b' of agent 'a' (HTTP 503 Service Unavailable); the problem "
        "is on SigmaMind's side. Try again in a minute."
    )


def test_an_unexpected_status_is_named() -> None:
    assert mapped(299).message == "SigmaMind answered with an unexpected status (HTTP 299)."


def test_a_status_without_a_reason_phrase_shows_the_number_alone() -> None:
    assert "(HTTP 599)" in mapped(599).message


@pytest.mark.parametrize(
    ("body", "said", "json_body"),
    [
        ({"message": "Why"}, "Why", True),
        ({"error": "Bad", "message": "Why"}, "Bad: Why", True),
        ({"detail": "Details"}, "Details", True),
        ({"title": "A title"}, "A title", True),
        ({"message": "Same", "error": "Same"}, "Same", True),
        ({"message": "  ", "error": 5, "detail": "Only this"}, "Only this", True),
        ({"message": "M", "error": "E", "detail": "D", "title": "T"}, "E: M", True),
        ({"unrelated": 1}, "", True),
        ([1, 2], "[1, 2]", False),
        (b"plain\ttext\x00with\x1b[31m controls\n", "plain text with [31m controls", False),
        (b"   \n", "", False),
        (b"[" * 5000, "[" * 299 + "…", False),
        (b'{"message": ' + b"[" * 3000 + b"]" * 3000 + b"}", '{"message": ' + "[" * 287 + "…", False),  # too deep
        (
            b"<!DOCTYPE html><html><head><TITLE>\n 502  Bad Gateway\n</TITLE></head><body>nginx</body></html>",
            "(an HTML page) 502 Bad Gateway",
            False,
        ),
        (
            b"<HTML><body><h1>Down</h1><p>for maintenance</p></body></HTML>",
            "(an HTML page) Down for maintenance",
            False,
        ),
    ],
)
def test_the_apis_own_words_are_read_cleaned_and_capped(body: Any, said: str, json_body: bool) -> None:
    assert api_message(answer(400, body)) == said
    error = mapped(500, body)
    assert error.json_body is json_body
    assert error.message.endswith(f" The API said: {said}" if said else "Try again in a minute.")


def test_only_the_first_four_kilobytes_of_an_error_body_are_read() -> None:
    body = b"a" * 4096 + b"NEVER READ"
    assert "NEVER" not in api_message(answer(400, body))
    assert api_message(answer(400, b" " * 4096 + b"late")) == ""


def test_a_long_api_message_is_cut_at_three_hundred_characters() -> None:
    exact = "m" * 300
    assert api_message(answer(400, {"message": exact})) == exact
    cut = api_message(answer(400, {"message": exact + "n"}))
    assert cut == "m" * 299 + "…"


def test_timeouts_say_which_phase_and_what_to_change() -> None:
    request = httpx.Request("GET", f"{BASE}/v1/batch-runs/b")
    for exc, phase in (
        (httpx.ConnectTimeout("slow", request=request), "connect to"),
        (httpx.PoolTimeout("busy", request=request), "connect to"),
        (httpx.ReadTimeout("slow", request=request), "get an answer from"),
        (httpx.WriteTimeout("slow", request=request), "get an answer from"),
    ):
        error = error_for_transport(exc, base_url=BASE, timeout=2.5)
        assert type(error) is UpstreamTimeout
        assert error.message == (
            f"Could not {phase} SigmaMind at {BASE} within 2.5 seconds (SIGMAMIND_TIMEOUT). Try again; if it keeps "
            "happening, check SIGMAMIND_BASE_URL and your network, or raise SIGMAMIND_TIMEOUT for very large batch runs."
        )


def _with_cause(exc: Exception, cause: BaseException, *, explicit: bool = True) -> Exception:
    if explicit:
        exc.__cause__ = cause
    else:
        exc.__context__ = cause
    return exc


def _certificate_error(message: str = "self-signed certificate in certificate chain") -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.verify_message = message
    return error


TLS_ADVICE = (
    "If your network inspects TLS (a corporate proxy), point SSL_CERT_FILE at its CA certificate bundle; otherwise "
    "check SIGMAMIND_BASE_URL (https:// to an address that speaks TLS) and the machine's clock."
)


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (
            _with_cause(httpx.ConnectError("failed"), _certificate_error()),
            "certificate verify failed: self-signed certificate in certificate chain",
        ),
        (
            _with_cause(httpx.ConnectError("failed"), _certificate_error(), explicit=False),
            "certificate verify failed: self-signed certificate in certificate chain",
        ),
        (
            _with_cause(httpx.ConnectError("failed"), _certificate_error("x" * 300)),
            "certificate verify failed: " + "x" * 172 + "…",
        ),
        (
            _with_cause(
                httpx.ConnectError("failed"), _with_cause(OSError("wrapped"), ssl.SSLError(1, "WRONG_VERSION_NUMBER"))
            ),
            "WRONG_VERSION_NUMBER",
        ),
        (_with_cause(httpx.ConnectError("failed"), ssl.SSLError(1, "y" * 300)), "y" * 199 + "…"),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number"), None),
        (httpx.ConnectError("certificate CERTIFICATE_VERIFY_FAILED here"), None),
        (httpx.ConnectError("[SSL " + "z" * 300), "[SSL " + "z" * 194 + "…"),
    ],
)
def test_a_failed_tls_handshake_is_named_and_not_worth_retrying(exc: Exception, said: str | None) -> None:
    error = error_for_transport(exc, base_url=BASE, timeout=30)  # type: ignore[arg-type]
    assert type(error) is UpstreamTLSError
    assert error.message == f"The TLS connection to SigmaMind at {BASE} failed ({said or str(exc)}). {TLS_ADVICE}"


def test_a_cert_error_without_a_verify_message_is_described_like_any_tls_error() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = ""
    mapped_error = error_for_transport(_with_cause(httpx.ConnectError("x"), error), base_url=BASE, timeout=30)  # type: ignore[arg-type]
    assert "failed (certificate verify failed)." in mapped_error.message


def test_a_cycle_of_causes_ends_the_search_for_a_tls_error() -> None:
    first, second = httpx.ConnectError("refused"), OSError("again")
    first.__context__, second.__context__ = second, first
    error = error_for_transport(first, base_url=BASE, timeout=30)
    assert type(error) is UpstreamUnreachable


def test_no_connection_names_the_base_url_and_the_cause() -> None:
    error = error_for_transport(httpx.ConnectError("[Errno 111] Connection\nrefused"), base_url=BASE, timeout=30)
    assert type(error) is UpstreamUnreachable
    assert error.message == (
        f"Could not connect to SigmaMind at {BASE} (ConnectError: [Errno 111] Connection refused). Check "
        "SIGMAMIND_BASE_URL (default https://api.sigmamind.ai) and your network or proxy."
    )
    quiet = error_for_transport(httpx.ConnectError(""), base_url=BASE, timeout=30)
    assert f"at {BASE} (ConnectError). Check" in quiet.message
    long = error_for_transport(httpx.ConnectError("w" * 300), base_url=BASE, timeout=30)
    assert f"(ConnectError: {'w' * 199}…)" in long.message


def test_a_connection_lost_midway_says_so() -> None:
    error = error_for_transport(httpx.RemoteProtocolError("peer closed connection"), base_url=BASE, timeout=30)
    assert type(error) is UpstreamUnreachable
    assert error.message == (
        f"The connection to SigmaMind at {BASE} failed before a full answer arrived (RemoteProtocolError: peer "
        "closed connection). Try again; if it keeps happening, check SIGMAMIND_BASE_URL and your network."
    )


def test_the_deadline_message_says_it_bounds_the_whole_call() -> None:
    error = deadline_exceeded(BASE, 12)
    assert type(error) is UpstreamTimeout
    assert error.message == (
        f"SigmaMind at {BASE} did not give a full answer within 12 seconds (SIGMAMIND_TIMEOUT, which bounds the "
        "whole call, retries included). Try again; if it keeps happening, check SIGMAMIND_BASE_URL and your "
        "network, or raise SIGMAMIND_TIMEOUT for very large batch runs."
    )


def test_a_too_large_answer_says_its_size_when_known_and_what_to_raise() -> None:
    known = too_large(TARGET, 50_000_000, 73_450_000)
    assert known.message == (
        "SigmaMind's answer for the batch run 'b' of agent 'a' is larger than the 50 MB sigma-mcp reads (73.5 MB), "
        "so it was not read. Raise SIGMAMIND_MAX_RESPONSE_MB if this batch run really is that large."
    )
    unknown = too_large(TARGET, 1_500_000, None)
    assert "larger than the 1.5 MB sigma-mcp reads, so it was not read." in unknown.message


def test_a_body_that_is_not_json_is_previewed() -> None:
    body = b"\xff<html>\x00" + b"p" * 200
    error = invalid_json(TARGET, body)
    preview = "\ufffd<html> " + "p" * 112  # the first 120 bytes, cleaned
    assert error.message == (
        f"SigmaMind answered the request for the batch run 'b' of agent 'a' with a body that is not valid JSON "
        f"({len(body)} bytes, starting {preview!r}). This is unexpected; try again, and check SIGMAMIND_BASE_URL "
        "points at the SigmaMind API."
    )
    assert "starting '" + "y" * 120 + "')" in invalid_json(TARGET, b"y" * 121).message


def test_json_that_is_not_an_object_is_named() -> None:
    assert not_an_object(TARGET, "an array of 2 items").message == (
        "SigmaMind answered the request for the batch run 'b' of agent 'a' with JSON that is not an object (got an "
        "array of 2 items), so there is nothing to summarise. Check SIGMAMIND_BASE_URL points at the SigmaMind API."
    )


def test_a_retry_after_date_without_a_zone_is_read_as_utc() -> None:
    now = datetime(2026, 3, 26, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Thu, 26 Mar 2026 12:00:30 -0000", now=now) == 30
    assert parse_retry_after("Thu, 26 Mar 2026 13:00:30 +0100", now=now) == 30
    assert parse_retry_after("Thu, 26 Mar 2026 12:00:30", now=now) == 30


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0.04, "0 seconds"),
        (0.25, "0.2 seconds"),
        (9.94, "9.9 seconds"),
        (10, "10 seconds"),
        (10.2, "11 seconds"),
        (119.5, "120 seconds"),
        (120, "2 minutes"),
        (121, "3 minutes"),
        (3600, "60 minutes"),
        (3601, "61 minutes"),
    ],
)
def test_waits_are_said_in_seconds_then_minutes(seconds: float, said: str) -> None:
    assert format_seconds(seconds) == said


def test_an_amended_error_keeps_its_kind_and_facts() -> None:
    error = mapped(429, {"message": "Slow down"}, headers={"Retry-After": "3"})
    assert error.amended() is error
    led = error.amended(prefix="Could not fetch the base batch run: ")
    assert type(led) is UpstreamRateLimited
    assert led.message == "Could not fetch the base batch run: " + error.message
    assert str(led) == led.message
    assert (led.status, led.json_body, led.retry_after) == (429, True, 3.0)
    tried = error.amended(suffix=" (Tried 2 times.)")
    assert tried.message == error.message + " (Tried 2 times.)"
    assert error.message.endswith("The API said: Slow down")  # the original is unchanged


def test_the_key_is_the_servers_unless_said_otherwise() -> None:
    error = error_for_response(answer(401), TARGET, base_url=BASE)
    assert error.message.startswith(
        "SigmaMind rejected the API key (HTTP 401 Unauthorized). Check that SIGMAMIND_API_KEY"
    )


def test_a_multiple_choices_answer_is_a_redirect_too() -> None:
    assert mapped(300).message.startswith("SigmaMind answered with a redirect (HTTP 300 Multiple Choices), which")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"bad \xff\xfe bytes", "bad \ufffd\ufffd bytes"),
        (b"<!doctype html><title>Maintenance</title>", "(an HTML page) Maintenance"),
        (b"<!DOCTYPE html><body><p>Down</p>", "(an HTML page) Down"),
    ],
)
def test_error_bodies_that_are_not_json(body: bytes, said: str) -> None:
    assert api_message(answer(503, body)) == said
