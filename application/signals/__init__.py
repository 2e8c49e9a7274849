"""Signal use cases: ingestion (producers) and reads (users)."""

from application.signals.ingest import (
    IngestPolicy,
    IngestSignal,
    IngestSignalRequest,
    TradingViewAlert,
)
from application.signals.reads import GetSignal, ListSignals, ListSignalsRequest, SignalListing

__all__ = [
    "GetSignal",
    "IngestPolicy",
    "IngestSignal",
    "IngestSignalRequest",
    "ListSignals",
    "ListSignalsRequest",
    "SignalListing",
    "TradingViewAlert",
]
