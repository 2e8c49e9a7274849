"""WebhookMetrics on Prometheus: webhook_deliveries_total{result}, webhook_delivery_seconds,
webhook_pending."""

from __future__ import annotations

from adapters.telemetry.metrics import Metrics


class PrometheusWebhookMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._deliveries = metrics.webhook_deliveries
        self._seconds = metrics.webhook_delivery_seconds
        self._pending = metrics.webhook_pending

    def attempted(self, result: str, seconds: float) -> None:
        self._deliveries.labels(result=result).inc()
        self._seconds.observe(seconds)

    def pending(self, count: int) -> None:
        self._pending.set(count)
