"""PrometheusSignalMetrics on a real registry: the SPEC §7 series keep their label sets, and
the way in (SPEC §11) is counted in its own bounded series."""

from __future__ import annotations

import pytest

from adapters.telemetry.metrics import Metrics
from adapters.telemetry.signal_metrics import PrometheusSignalMetrics
from domain.producer_auth import SignalSource
from domain.signals.model import Side


@pytest.fixture(autouse=True)
def _single_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


def test_sources_are_counted_beside_the_spec_series() -> None:
    metrics = Metrics()
    adapter = PrometheusSignalMetrics(metrics)
    adapter.ingested("BINANCE:BTCUSDT", Side.BUY, SignalSource.TRADINGVIEW)
    adapter.ingested("XAUUSD", Side.SELL)
    adapter.rejected("signature", SignalSource.STANDARD_WEBHOOKS)
    adapter.rejected("duplicate", SignalSource.TRADINGVIEW)
    adapter.rejected("too_large")
    text = metrics.render_latest().decode()
    assert 'signals_ingested_total{instrument="BINANCE:BTCUSDT",side="buy"} 1.0' in text
    assert 'signals_ingested_total{instrument="XAUUSD",side="sell"} 1.0' in text
    for reason in ("signature", "duplicate", "too_large"):
        assert f'signals_rejected_total{{reason="{reason}"}} 1.0' in text
    assert 'signals_rejected_total{reason="invalid"} 0.0' in text
    assert 'signals_ingested_by_source_total{source="tradingview"} 1.0' in text
    assert 'signals_ingested_by_source_total{source="hmac"} 1.0' in text
    assert 'signals_ingested_by_source_total{source="standard_webhooks"} 0.0' in text
    assert (
        'signals_rejected_by_source_total{reason="signature",source="standard_webhooks"} 1.0'
        in text
    )
    assert 'signals_rejected_by_source_total{reason="duplicate",source="tradingview"} 1.0' in text
    assert 'signals_rejected_by_source_total{reason="too_large",source="hmac"} 1.0' in text
    # Bounded: 3 sources x 4 reasons, all present from the start.
    assert text.count("signals_rejected_by_source_total{") == 12
