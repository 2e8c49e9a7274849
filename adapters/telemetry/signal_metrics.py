"""SignalMetrics port on the shared Prometheus metrics (SPEC §7, §11)."""

from __future__ import annotations

from typing import Any

from adapters.telemetry.metrics import REJECT_REASONS, SIGNAL_SOURCES, Metrics
from domain.signals.model import Side

# Past this many (instrument, side) children kept, the lookup table starts over.
_CHILDREN_MAX = 10_000


class PrometheusSignalMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._ingested = metrics.signals_ingested
        self._rejected = metrics.signals_rejected
        self._create_seconds = metrics.signals_create_seconds
        self._ingested_children: dict[tuple[str, Side], Any] = {}
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
        # The child of each (instrument, side), looked up once: .labels() costs a few µs.
        child = self._ingested_children.get((instrument, side))
        if child is None:
            if len(self._ingested_children) >= _CHILDREN_MAX:
                self._ingested_children.clear()
            child = self._ingested.labels(instrument=instrument, side=side.value)
            self._ingested_children[(instrument, side)] = child
        child.inc()
        self._ingested_by_source[source].inc()

    def rejected(self, reason: str, source: str = "hmac") -> None:
        self._rejected.labels(reason=reason).inc()
        self._rejected_by_source[(source, reason)].inc()

    def observe_create_seconds(self, seconds: float) -> None:
        self._create_seconds.observe(seconds)
