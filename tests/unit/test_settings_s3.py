"""MEDIA_STORE and the MEDIA_S3_* / AWS_* settings (SPEC §13): defaults, checks, no leaks."""

from __future__ import annotations

import pytest

from entrypoints.settings import S3Settings, Settings, SettingsError

S3 = {"MEDIA_STORE": "s3", "MEDIA_S3_BUCKET": "charts-prod"}


def test_fs_is_the_default_and_reads_no_s3_setting() -> None:
    s = Settings.from_env({"MEDIA_S3_BUCKET": "NOT A BUCKET", "AWS_REGION": "??"})
    assert (s.media_store, s.media_s3) == ("fs", None)


def test_s3_defaults() -> None:
    s = Settings.from_env(S3)
    assert s.media_store == "s3"
    assert s.media_s3 == S3Settings(
        endpoint="", bucket="charts-prod", prefix="media/", region="us-east-1"
    )


def test_s3_values_are_read_and_normalised() -> None:
    s = Settings.from_env(
        {
            **S3,
            "MEDIA_STORE": "S3",
            "MEDIA_S3_ENDPOINT": "http://127.0.0.1:8333/",
            "MEDIA_S3_PREFIX": "/signalhub/charts",
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "very-secret",
        }
    )
    assert s.media_s3 is not None
    assert s.media_s3.endpoint == "http://127.0.0.1:8333"
    assert s.media_s3.prefix == "signalhub/charts/"
    assert (s.media_s3.access_key_id, s.media_s3.secret_access_key) == (
        "AKIAEXAMPLE",
        "very-secret",
    )
    assert "very-secret" not in repr(s)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEDIA_STORE", "gcs"),
        ("MEDIA_S3_BUCKET", ""),
        ("MEDIA_S3_BUCKET", "Upper_Case"),
        ("MEDIA_S3_BUCKET", "ab"),
        ("MEDIA_S3_ENDPOINT", "ftp://example.com"),
        ("MEDIA_S3_ENDPOINT", "http://example.com/bucket"),
        ("MEDIA_S3_ENDPOINT", "http://example.com:port"),
        ("MEDIA_S3_PREFIX", "media/../etc/"),
        ("MEDIA_S3_PREFIX", "a//b/"),
        ("MEDIA_S3_PREFIX", "with space/"),
        ("AWS_REGION", "EU WEST"),
        ("AWS_SECRET_ACCESS_KEY", ""),  # a key id without its secret
    ],
)
def test_bad_values_name_the_variable_in_one_line(variable: str, value: str) -> None:
    env = {**S3, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s", variable: value}
    if variable == "MEDIA_STORE":
        env = {variable: value}
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == variable
    assert "\n" not in str(raised.value)
    assert variable in str(raised.value)


def test_a_secret_without_its_key_id_names_the_key_id() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**S3, "AWS_SECRET_ACCESS_KEY": "s"})
    assert raised.value.variable == "AWS_ACCESS_KEY_ID"
