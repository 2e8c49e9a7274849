"""Signals: the entity, its rules, producer authentication and the ports (SPEC §2-§5)."""

from domain.signals.authentication import (
    UNAUTHENTICATED_DETAIL,
    signature_for,
    verify_signature,
)
from domain.signals.model import Side, Signal, SignalStatus
from domain.signals.ports import (
    JsonDecoder,
    ProducerDirectory,
    SignalFilter,
    SignalMetrics,
    SignalPage,
    SignalRepository,
)
from domain.signals.rules import (
    SignalFields,
    duplicate_reason,
    parse_signal_fields,
    within_dedup_window,
)

__all__ = [
    "UNAUTHENTICATED_DETAIL",
    "JsonDecoder",
    "ProducerDirectory",
    "Side",
    "Signal",
    "SignalFields",
    "SignalFilter",
    "SignalMetrics",
    "SignalPage",
    "SignalRepository",
    "SignalStatus",
    "duplicate_reason",
    "parse_signal_fields",
    "signature_for",
    "verify_signature",
    "within_dedup_window",
]
