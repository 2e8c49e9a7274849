"""Settings: defaults, ranges, and one-line errors naming the variable (SPEC §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError


def test_defaults_match_the_spec() -> None:
    s = Settings.from_env({})
    assert s.database.engine == "sqlite"
    assert s.database.sqlite_path == Path("./var/signalhub.sqlite3")
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert (s.log_level, s.log_format) == ("info", "json")
    assert s.hmac_enabled is True
    assert s.timestamp_tolerance_seconds == 300
    assert s.dedup_window_seconds == 300
    assert s.max_payload_bytes == 32768
    assert s.producer_cache_seconds == 0.5
    assert s.commit_batch_max == 64
    assert s.media_dir == Path("media")
    assert s.media_ttl_seconds == 86400
    assert s.media_max_bytes == 5_000_000
    assert s.media_cache_max_bytes == 1_073_741_824
    assert s.charts_max_request_bytes == 8_388_608
    assert 1 <= s.render_workers <= 64
    assert s.render_warm_up is True
    assert s.trusted_proxies == ()
    assert (s.stream_heartbeat_seconds, s.stream_max_per_user) == (15, 10)
    assert s.stream_buffer_events == 1000


def test_values_are_read_and_normalised() -> None:
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u:p@db.example:6543/signals",
            "PORT": "9000",
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "console",
            "SIGNALS_HMAC_ENABLED": "false",
            "SIGNALS_DEDUP_WINDOW_SECONDS": "10",
            "MEDIA_MAX_BYTES": "1024",
            "MEDIA_CACHE_MAX_BYTES": "1024",
            "RENDER_WORKERS": "64",
            "RENDER_WARM_UP": "false",
        }
    )
    assert s.database.engine == "postgres" and s.database.url.endswith("/signals")
    assert s.port == 9000 and s.log_level == "debug" and s.log_format == "console"
    assert s.hmac_enabled is False and s.dedup_window_seconds == 10
    assert s.media_cache_max_bytes == s.media_max_bytes == 1024 and s.render_workers == 64
    assert s.render_warm_up is False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_URL", "sqlite://"),
        ("DATABASE_URL", "postgresql://host-only"),
        ("DATABASE_URL", "postgresql://u@/db"),
        ("DATABASE_URL", "postgresql://u@/db?host=relative/dir"),
        ("DATABASE_URL", "postgresql://u@/?host=/var/run/postgresql"),
        ("SIGNALS_COMMIT_BATCH_MAX", "0"),
        ("SIGNALS_COMMIT_BATCH_MAX", "1001"),
        ("SIGNALS_COMMIT_BATCH_MAX", "lots"),
        ("PORT", "abc"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("LOG_LEVEL", "trace"),
        ("LOG_FORMAT", "xml"),
        ("SIGNALS_HMAC_ENABLED", "maybe"),
        ("RENDER_WARM_UP", "sometimes"),
        ("SIGNALS_TIMESTAMP_TOLERANCE_SECONDS", "0"),
        ("SIGNALS_TIMESTAMP_TOLERANCE_SECONDS", "86401"),
        ("SIGNALS_DEDUP_WINDOW_SECONDS", "5"),
        ("SIGNALS_DEDUP_WINDOW_SECONDS", "3601"),
        ("SIGNALS_MAX_PAYLOAD_BYTES", "1023"),
        ("SIGNALS_MAX_PAYLOAD_BYTES", "1048577"),
        ("MEDIA_TTL_SECONDS", "0"),
        ("MEDIA_MAX_BYTES", "1000"),
        ("MEDIA_CACHE_MAX_BYTES", "4999999"),
        ("CHARTS_MAX_REQUEST_BYTES", "12"),
        ("RENDER_WORKERS", "0"),
        ("RENDER_WORKERS", "65"),
        ("RENDER_WORKERS", "2.5"),
        ("SIGNALS_PRODUCER_CACHE_SECONDS", "-0.1"),
        ("SIGNALS_PRODUCER_CACHE_SECONDS", "5.01"),
        ("SIGNALS_PRODUCER_CACHE_SECONDS", "soon"),
        ("SIGNALS_PRODUCER_CACHE_SECONDS", "nan"),
        ("TRUSTED_PROXIES", "10.0.0.1/8"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("STREAM_HEARTBEAT_SECONDS", "0"),
        ("STREAM_HEARTBEAT_SECONDS", "301"),
        ("STREAM_MAX_PER_USER", "0"),
        ("STREAM_MAX_PER_USER", "1001"),
        ("STREAM_BUFFER_EVENTS", "0"),
        ("STREAM_BUFFER_EVENTS", "many"),
    ],
)
def test_bad_values_name_the_variable_in_one_line(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    message = str(caught.value)
    assert variable in message and "\n" not in message
    assert caught.value.variable == variable


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://signalhub@/signals?host=/var/run/postgresql",
        "postgresql:///signals?host=/var/run/postgresql",
        "postgres://u:p@/signals?host=/run/postgresql&port=5433",
    ],
)
def test_a_unix_socket_postgresql_url_is_accepted_as_given(url: str) -> None:
    s = Settings.from_env({"DATABASE_URL": url})
    assert (s.database.engine, s.database.url) == ("postgres", url)


@pytest.mark.parametrize(("raw", "size"), [("1", 1), ("64", 64), ("1000", 1000)])
def test_commit_batch_max_reads_1_to_1000(raw: str, size: int) -> None:
    assert Settings.from_env({"SIGNALS_COMMIT_BATCH_MAX": raw}).commit_batch_max == size


def test_blank_values_fall_back_to_defaults() -> None:
    assert Settings.from_env({"PORT": "  ", "LOG_LEVEL": ""}).port == 8000


@pytest.mark.parametrize(("raw", "seconds"), [("0", 0.0), ("0.25", 0.25), ("5", 5.0)])
def test_producer_cache_seconds_reads_0_to_5(raw: str, seconds: float) -> None:
    settings = Settings.from_env({"SIGNALS_PRODUCER_CACHE_SECONDS": raw})
    assert settings.producer_cache_seconds == seconds


def test_trusted_proxies_are_comma_separated_cidrs() -> None:
    settings = Settings.from_env({"TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.1,,2001:db8::/32 "})
    assert [str(n) for n in settings.trusted_proxies] == [
        "10.0.0.0/8",
        "192.0.2.1/32",
        "2001:db8::/32",
    ]
