"""Signal use cases: ingestion (producers) and reads (users)."""

from application.signals.criteria import parse_criteria
from application.signals.ingest import (
    IngestPolicy,
    IngestSignal,
    IngestSignalRequest,
    TradingViewAlert,
)
from application.signals.reads import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    GetSignal,
    ListSignals,
    ListSignalsRequest,
    SignalListing,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "GetSignal",
    "IngestPolicy",
    "IngestSignal",
    "IngestSignalRequest",
    "ListSignals",
    "ListSignalsRequest",
    "SignalListing",
    "TradingViewAlert",
    "parse_criteria",
]
