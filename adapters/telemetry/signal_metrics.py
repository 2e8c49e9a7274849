"""SignalMetrics port on the shared Prometheus metrics (SPEC §7, §11)."""

from __future__ import annotations

from adapters.telemetry.metrics import REJECT_REASONS, SIGNAL_SOURCES, Metrics
from domain.signals.model import Side


class PrometheusSignalMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._ingested = metrics.signals_ingested
        self._rejected = metrics.signals_rejected
        self._create_seconds = metrics.signals_create_seconds
        # Both label sets are small and fixed: resolve the children once, off the hot path.
        self._ingested_by_source = {
            s: metrics.signals_ingested_by_source.labels(source=s) for s in SIGNAL_SOURCES
        }
        self._rejected_by_source = {
            (s, r): metrics.signals_rejected_by_source.labels(source=s, reason=r)
            for s in SIGNAL_SOURCES
            for r in REJECT_REASONS
        }

    def ingested(self, instrument: str, side: Side, source: str = "hmac") -> None:
        self._ingested.labels(instrument=instrument, side=side.value).inc()
        self._ingested_by_source[source].inc()

    def rejected(self, reason: str, source: str = "hmac") -> None:
        self._rejected.labels(reason=reason).inc()
        self._rejected_by_source[(source, reason)].inc()

    def observe_create_seconds(self, seconds: float) -> None:
        self._create_seconds.observe(seconds)
