"""Prometheus metrics (SPEC §7). Built once per process by the composition root, never on import.

Under `signalhub serve` the environment variable PROMETHEUS_MULTIPROC_DIR is set before
prometheus_client is imported, so every worker writes its values to files there and a scrape
aggregates all processes (`render_latest`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from domain.lifecycle.machine import TRANSITIONS

CHART_TYPES = ("candlestick", "equity", "histogram")
REJECT_REASONS = ("signature", "duplicate", "too_large", "invalid")
# The ways in (domain.producer_auth.SignalSource); a separate series so that the SPEC's
# label sets of signals_ingested_total and signals_rejected_total stay exactly as they are.
SIGNAL_SOURCES = ("hmac", "standard_webhooks", "tradingview")
WEBHOOK_RESULTS = ("delivered", "failed", "retry")


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.signals_ingested = Counter(
            "signals_ingested_total", "Signals stored", ["instrument", "side"], registry=r
        )
        self.signals_rejected = Counter(
            "signals_rejected_total", "Signals refused, by reason", ["reason"], registry=r
        )
        self.signals_ingested_by_source = Counter(
            "signals_ingested_by_source_total",
            "Signals stored, by way in",
            ["source"],
            registry=r,
        )
        self.signals_rejected_by_source = Counter(
            "signals_rejected_by_source_total",
            "Signals refused, by way in and reason",
            ["source", "reason"],
            registry=r,
        )
        self.signals_create_seconds = Histogram(
            "signals_create_seconds",
            "Time to verify, validate, deduplicate and store one signal",
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.signals_transitions = Counter(
            "signals_transitions_total",
            "Signal lifecycle transitions applied",
            ["from", "to"],
            registry=r,
        )
        self.media_render = Counter(
            "media_render_total", "Charts rendered (cache misses)", ["type"], registry=r
        )
        self.media_cache_hits = Counter(
            "media_cache_hits_total", "Chart requests served from the cache", ["type"], registry=r
        )
        self.media_render_seconds = Histogram(
            "media_render_seconds",
            "Time to render one chart",
            ["type"],
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        )
        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_request_seconds = Histogram(
            "http_request_seconds", "HTTP request duration", ["method", "route"], registry=r
        )
        # Several workers: the sum over the live processes (a dead worker's streams drop out).
        self.stream_connections = Gauge(
            "stream_connections", "Open event streams", registry=r, multiprocess_mode="livesum"
        )
        self.stream_events_sent = Counter(
            "stream_events_sent", "Events written to streams (replays included)", registry=r
        )
        self.webhook_deliveries = Counter(
            "webhook_deliveries",
            "Webhook delivery attempts, by what they led to",
            ["result"],
            registry=r,
        )
        self.webhook_delivery_seconds = Histogram(
            "webhook_delivery_seconds",
            "Time of one webhook delivery attempt",
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        # A count of the database's pending deliveries, set by every process: the most
        # recent value of a live process.
        self.webhook_pending = Gauge(
            "webhook_pending",
            "Webhook deliveries not yet delivered nor failed for good",
            registry=r,
            multiprocess_mode="livemostrecent",
        )
        # Pre-create the fixed label sets so they show up at 0 before the first event.
        for reason in REJECT_REASONS:
            self.signals_rejected.labels(reason=reason)
            for source in SIGNAL_SOURCES:
                self.signals_rejected_by_source.labels(source=source, reason=reason)
        for source in SIGNAL_SOURCES:
            self.signals_ingested_by_source.labels(source=source)
        for from_status, targets in TRANSITIONS.items():
            for to_status in targets:
                self.signals_transitions.labels(from_status.value, to_status.value)
        for result in WEBHOOK_RESULTS:
            self.webhook_deliveries.labels(result=result)
        for chart_type in CHART_TYPES:
            self.media_render.labels(type=chart_type)
            self.media_cache_hits.labels(type=chart_type)

    def render_latest(self) -> bytes:
        """Prometheus text format: all processes in multiprocess mode, else this registry."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            scrape = CollectorRegistry()
            MultiProcessCollector(scrape)
            return generate_latest(scrape)
        return generate_latest(self.registry)
