"""Settings of outbound webhooks (SPEC §15): defaults, values, one-line errors."""

from __future__ import annotations

import pytest

from entrypoints.settings import Settings, SettingsError


def test_defaults_match_the_spec() -> None:
    s = Settings.from_env({})
    assert s.webhooks_max_per_user == 10
    assert s.webhooks_retry_schedule == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert s.webhooks_allow_private is False
    assert s.webhooks_concurrency == 64


def test_values_are_read() -> None:
    s = Settings.from_env(
        {
            "WEBHOOKS_MAX_PER_USER": "3",
            "WEBHOOKS_RETRY_SCHEDULE": "1, 2,4",
            "WEBHOOKS_ALLOW_PRIVATE": "true",
            "WEBHOOKS_CONCURRENCY": "32",
        }
    )
    assert s.webhooks_max_per_user == 3
    assert s.webhooks_retry_schedule == (1, 2, 4)
    assert s.webhooks_allow_private is True
    assert s.webhooks_concurrency == 32
    assert Settings.from_env({"WEBHOOKS_RETRY_SCHEDULE": "none"}).webhooks_retry_schedule == ()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WEBHOOKS_MAX_PER_USER", "0"),
        ("WEBHOOKS_MAX_PER_USER", "1001"),
        ("WEBHOOKS_RETRY_SCHEDULE", "5,soon"),
        ("WEBHOOKS_RETRY_SCHEDULE", "0"),
        ("WEBHOOKS_RETRY_SCHEDULE", "1,,2"),
        ("WEBHOOKS_ALLOW_PRIVATE", "maybe"),
        ("WEBHOOKS_CONCURRENCY", "1"),
        ("WEBHOOKS_CONCURRENCY", "2049"),
        ("WEBHOOKS_CONCURRENCY", "10"),  # not above WEBHOOKS_MAX_PER_USER (10)
    ],
)
def test_bad_values_name_the_variable_in_one_line(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    assert variable in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.variable == variable
