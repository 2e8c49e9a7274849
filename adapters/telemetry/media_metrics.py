"""MediaMetrics port on top of the process's prometheus Metrics."""

from __future__ import annotations

from adapters.telemetry.metrics import Metrics
from domain.media.charts import ChartType


class PrometheusMediaMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def rendered(self, chart_type: ChartType, seconds: float) -> None:
        self._metrics.media_render.labels(type=chart_type).inc()
        self._metrics.media_render_seconds.labels(type=chart_type).observe(seconds)

    def cache_hit(self, chart_type: ChartType) -> None:
        self._metrics.media_cache_hits.labels(type=chart_type).inc()
