"""Lifecycle use cases (SPEC §9)."""

from application.lifecycle.use_cases import (
    ListSignalEvents,
    TransitionSignal,
    TransitionSignalRequest,
)

__all__ = ["ListSignalEvents", "TransitionSignal", "TransitionSignalRequest"]
