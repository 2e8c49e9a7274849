"""StreamMetrics on Prometheus: stream_connections (gauge) and stream_events_sent_total."""

from __future__ import annotations

from adapters.telemetry.metrics import Metrics


class PrometheusStreamMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._connections = metrics.stream_connections
        self._sent = metrics.stream_events_sent

    def opened(self) -> None:
        self._connections.inc()

    def closed(self) -> None:
        self._connections.dec()

    def sent(self, count: int) -> None:
        self._sent.inc(count)
