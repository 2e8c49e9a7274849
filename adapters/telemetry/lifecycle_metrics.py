"""LifecycleMetrics port on the shared Prometheus metrics: signals_transitions_total{from,to}."""

from __future__ import annotations

from adapters.telemetry.metrics import Metrics
from domain.signals.model import SignalStatus


class PrometheusLifecycleMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._transitions = metrics.signals_transitions

    def transitioned(self, from_status: SignalStatus, to_status: SignalStatus) -> None:
        # Positional: `from` is a Python keyword.
        self._transitions.labels(from_status.value, to_status.value).inc()
