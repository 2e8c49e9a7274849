"""The signal lifecycle (SPEC §9): the transition table, PnL, the audit trail and its ports."""

from domain.lifecycle.events import EventType, SignalEvent, producer_actor, user_actor
from domain.lifecycle.machine import (
    FINAL_STATUSES,
    NOTE_MAX_LENGTH,
    PRICED_STATUSES,
    TRANSITIONS,
    TransitionFields,
    allowed,
    moved,
    parse_fields,
    pnl_per_unit,
    transition_moment,
)
from domain.lifecycle.ports import (
    Applied,
    LifecycleMetrics,
    Refused,
    SignalEventLog,
    SignalTransitions,
    Transition,
)

__all__ = [
    "FINAL_STATUSES",
    "NOTE_MAX_LENGTH",
    "PRICED_STATUSES",
    "TRANSITIONS",
    "Applied",
    "EventType",
    "LifecycleMetrics",
    "Refused",
    "SignalEvent",
    "SignalEventLog",
    "SignalTransitions",
    "Transition",
    "TransitionFields",
    "allowed",
    "moved",
    "parse_fields",
    "pnl_per_unit",
    "producer_actor",
    "transition_moment",
    "user_actor",
]
