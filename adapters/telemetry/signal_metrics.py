"""SignalMetrics port on the shared Prometheus metrics (SPEC §7)."""

from __future__ import annotations

from adapters.telemetry.metrics import Metrics
from domain.signals.model import Side


class PrometheusSignalMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._ingested = metrics.signals_ingested
        self._rejected = metrics.signals_rejected
        self._create_seconds = metrics.signals_create_seconds

    def ingested(self, instrument: str, side: Side) -> None:
        self._ingested.labels(instrument=instrument, side=side.value).inc()

    def rejected(self, reason: str) -> None:
        self._rejected.labels(reason=reason).inc()

    def observe_create_seconds(self, seconds: float) -> None:
        self._create_seconds.observe(seconds)
