"""The JSON log line is the same, byte for byte, as structlog's stock processors made it
before the cheaper ones (adapters/telemetry/logging.py): the timestamp's text, the keys and
their order, the secrets redacted."""

from __future__ import annotations

import io
import logging
import sys
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
import structlog

from adapters.telemetry.logging import IsoUtcStamper, configure_logging

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECRET_KEYS = {"authorization", "token", "secret", "signature", "x-signature", "password"}


def _ns(moment: datetime, extra_ns: int = 0) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000 + extra_ns


def _structlog_stamp(moment: datetime, monkeypatch: pytest.MonkeyPatch) -> str:
    """What structlog's TimeStamper(fmt="iso", utc=True) writes when now() is `moment`."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:  # type: ignore[override]
            return moment  # type: ignore[return-value]

    fake = types.SimpleNamespace(datetime=Frozen, timezone=sys.modules["datetime"].timezone)
    with monkeypatch.context() as patched:
        patched.setattr(structlog.processors, "datetime", fake)
        stamped: str = structlog.processors.TimeStamper(fmt="iso", utc=True)(None, "info", {})[
            "timestamp"
        ]
    return stamped


MOMENTS = [
    datetime(2026, 11, 29, 11, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 11, 29, 11, 0, 0, 0, tzinfo=UTC),  # no fraction at all
    datetime(2026, 11, 29, 11, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 29, 11, 0, 1, 999999, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2027, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
    datetime(2028, 2, 29, 6, 7, 8, 90, tzinfo=UTC),
]


def test_the_timestamp_is_structlogs_iso_utc_text(monkeypatch: pytest.MonkeyPatch) -> None:
    for moment in MOMENTS:
        for extra_ns in (0, 1, 999):  # datetime.now() drops what is below the microsecond
            stamper = IsoUtcStamper(clock=lambda m=moment, e=extra_ns: _ns(m, e))  # type: ignore[misc]
            assert stamper(None, "info", {})["timestamp"] == _structlog_stamp(moment, monkeypatch)


def test_one_stamper_follows_the_clock_across_seconds() -> None:
    now = [_ns(MOMENTS[0])]
    stamper = IsoUtcStamper(clock=lambda: now[0])
    texts = []
    for moment in MOMENTS:
        now[0] = _ns(moment)
        texts.append(stamper(None, "info", {})["timestamp"])
    assert texts == [m.isoformat().replace("+00:00", "Z") for m in MOMENTS]


def test_the_timestamp_reads_the_clock_of_datetime_now() -> None:
    stamper = IsoUtcStamper()
    before = stamper(None, "info", {})["timestamp"]
    now = datetime.now(UTC)
    after = stamper(None, "info", {})["timestamp"]
    parsed = [datetime.fromisoformat(text.replace("Z", "+00:00")) for text in (before, after)]
    assert parsed[0] <= now <= parsed[1]


def _drop_secrets_as_it_was(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = "[redacted]"
    return event


def _stock_chain(stamper: Any) -> list[Any]:
    """The processors of the JSON lines before (commit 257df82)."""
    encoder = msgspec.json.Encoder(enc_hook=repr)
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        stamper,
        _drop_secrets_as_it_was,
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(serializer=lambda event, **_: encoder.encode(event)),
    ]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], io.BytesIO]]:
    """`captured()`: configure_logging("info", "json") with stdout in memory (called in the
    test itself: pytest puts its own stdout back between a fixture and the test); undone after
    the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def configure() -> io.BytesIO:
        out = io.BytesIO()
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, write_through=True))
        configure_logging("info", "json")
        return out

    try:
        yield configure
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.captureWarnings(False)


class Unencodable:
    def __repr__(self) -> str:
        return "<unencodable>"


def _log_everything(log: Any) -> None:
    log.info(
        "request",
        method="POST",
        path="/api/v1/signals",
        route="/api/v1/signals",
        status=201,
        duration_ms=0.45,
        client="127.0.0.1",
    )
    log.warning("odd", Authorization="Bearer x", token="t", detail="é ✓", thing=Unencodable())
    log.info("again", token="t2", X_Signature="s", signature="s3")  # a key seen before
    try:
        raise ValueError("boom")
    except ValueError:
        log.error("failed", exc_info=True)
    log.exception("failed again", password="p")


def test_json_lines_are_byte_for_byte_what_the_stock_chain_made(
    captured: Callable[[], io.BytesIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = captured()
    now = _ns(datetime(2026, 11, 29, 11, 0, 0, 250000, tzinfo=UTC))
    for processor in structlog.get_config()["processors"]:
        if isinstance(processor, IsoUtcStamper):
            monkeypatch.setattr(processor, "_clock", lambda: now)
    reference = io.BytesIO()

    class FixedStamper:
        def __call__(self, _: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
            event["timestamp"] = "2026-11-29T11:00:00.250000Z"  # structlog's text, tested above
            return event

    stock = structlog.wrap_logger(
        structlog.BytesLogger(reference, name="signalhub.test"),
        processors=_stock_chain(FixedStamper()),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
    structlog.contextvars.bind_contextvars(request_id="find-me")
    try:
        _log_everything(structlog.get_logger("signalhub.test"))
        _log_everything(stock)
    finally:
        structlog.contextvars.clear_contextvars()
    ours = out.getvalue()
    assert ours.count(b"\n") == 5
    assert ours == reference.getvalue()
    assert b"Bearer x" not in ours and b'"request_id":"find-me"' in ours


def test_secret_keys_are_redacted_in_any_case_however_often_seen(
    captured: Callable[[], io.BytesIO],
) -> None:
    out = captured()
    log = structlog.get_logger("signalhub.test")
    for _ in range(3):
        log.info("e", Token="a", SECRET="b", x_signature="c", plain="d")
    lines = [msgspec.json.decode(line) for line in out.getvalue().splitlines()]
    assert [(e["Token"], e["SECRET"], e["plain"]) for e in lines] == [
        ("[redacted]", "[redacted]", "d")
    ] * 3
