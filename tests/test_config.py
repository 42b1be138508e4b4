"""Configuration from the environment: defaults, the base URL rule, and problems reported per call."""

from __future__ import annotations

import pytest

from sigma_mcp.config import DEFAULT_BASE_URL, MISSING_KEY_MESSAGE, Settings
from sigma_mcp.sigmamind.errors import ConfigurationError
from tests.conftest import API_KEY


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.api_key is None
    assert settings.base_url == DEFAULT_BASE_URL == "https://api.sigmamind.ai"
    assert settings.timeout == 30.0
    assert settings.log_level == "WARNING"
    assert settings.demo is False
    assert settings.problems == ()


def test_values_are_read_and_normalised() -> None:
    settings = Settings.from_env(
        {
            "SIGMAMIND_API_KEY": f"  {API_KEY}\n",
            "SIGMAMIND_BASE_URL": "https://eu.api.sigmamind.ai/",
            "SIGMAMIND_TIMEOUT": "12.5",
            "SIGMAMIND_LOG_LEVEL": "debug",
            "SIGMAMIND_DEMO": "true",
        }
    )
    assert settings.api_key == API_KEY
    assert settings.base_url == "https://eu.api.sigmamind.ai"
    assert settings.timeout == 12.5
    assert settings.log_level == "DEBUG"
    assert settings.demo is True
    assert settings.problems == ()


@pytest.mark.parametrize(
    "url",
    [
        "https://api.sigmamind.ai",
        "https://api.sigmamind.ai/prefix",
        "http://127.0.0.1:8080",
        "http://127.0.0.5:1",
        "http://localhost:9000",
        "http://[::1]:8000",
    ],
)
def test_allowed_base_urls(url: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": url})
    assert settings.problems == ()
    assert settings.base_url == url.rstrip("/")
    settings.check_ready()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://api.sigmamind.ai", "plain http is only allowed to a loopback host"),
        ("http://10.0.0.1:8080", "plain http is only allowed to a loopback host"),
        ("http://localhost.evil.example", "plain http is only allowed to a loopback host"),
        ("ftp://api.sigmamind.ai", "must be an https:// URL"),
        ("api.sigmamind.ai", "must be an https:// URL"),
        ("https://user:pw@api.sigmamind.ai", "must not carry a user name or password"),
        ("https://api.sigmamind.ai/?x=1", "must not carry a query"),
        ("https://api.sigmamind.ai:99999", "not a valid URL"),
    ],
)
def test_refused_base_urls_say_why(url: str, reason: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_BASE_URL": url})
    assert len(settings.problems) == 1
    assert "SIGMAMIND_BASE_URL" in settings.problems[0]
    assert reason in settings.problems[0]
    with pytest.raises(ConfigurationError, match="SIGMAMIND_BASE_URL"):
        settings.check_ready()


@pytest.mark.parametrize("value", ["abc", "0", "-3", "nan", "inf"])
def test_bad_timeout_is_a_problem(value: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY, "SIGMAMIND_TIMEOUT": value})
    assert any("SIGMAMIND_TIMEOUT" in p for p in settings.problems)


def test_bad_log_level_falls_back_with_a_notice() -> None:
    settings = Settings.from_env({"SIGMAMIND_LOG_LEVEL": "chatty"})
    assert settings.log_level == "WARNING"
    assert settings.problems == ()
    assert any("SIGMAMIND_LOG_LEVEL" in n for n in settings.notices)


def test_missing_key_names_the_variable_and_how_to_set_it() -> None:
    settings = Settings.from_env({})
    with pytest.raises(ConfigurationError) as caught:
        settings.check_ready()
    assert caught.value.message == MISSING_KEY_MESSAGE
    assert "SIGMAMIND_API_KEY" in MISSING_KEY_MESSAGE
    assert "env" in MISSING_KEY_MESSAGE


def test_demo_needs_no_key() -> None:
    Settings.from_env({}, demo=True).check_ready()


def test_key_with_inner_whitespace_is_refused_without_quoting_it() -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": "sk_live_abc def123"})
    assert any("SIGMAMIND_API_KEY" in p for p in settings.problems)
    assert all("abc def123" not in p for p in settings.problems)


def test_repr_never_shows_the_key() -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": API_KEY})
    assert API_KEY not in repr(settings)
    assert API_KEY not in str(settings)
    assert "<set>" in repr(settings)


@pytest.mark.parametrize(
    "value",
    [
        "sm_live_5Tq8Vn2Rx7Kp4Wd9Lz3Hc6Yb",  # the key, pasted into the base URL's field of a form
        "sk_live_abcdefghijklmnop",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    ],
)
def test_a_key_in_the_base_url_is_refused_without_being_shown(value: str) -> None:
    settings = Settings.from_env({"SIGMAMIND_API_KEY": "sm_live_5Tq8Vn2Rx7Kp4Wd9Lz3Hc6Yb", "SIGMAMIND_BASE_URL": value})
    (problem,) = settings.problems
    assert problem.startswith(f"SIGMAMIND_BASE_URL ({len(value)} characters, not shown")
    assert value not in problem
    assert value.split()[-1][:12] not in problem
    assert settings.base_url == DEFAULT_BASE_URL


def test_a_refused_address_is_still_shown() -> None:
    (problem,) = Settings.from_env({"SIGMAMIND_BASE_URL": "api.sigmamind.ai"}).problems
    assert problem.startswith("SIGMAMIND_BASE_URL='api.sigmamind.ai' is refused: it must be an https:// URL")
