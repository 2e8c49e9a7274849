"""URL paths named by more than one entry point (the HTTP routes and the CLI's output)."""

from __future__ import annotations

# SPEC §11: `producers create --tradingview` prints this path with the token appended.
TRADINGVIEW_HOOK_PREFIX = "/api/v1/hooks/tradingview/"


def tradingview_path(token: str) -> str:
    return TRADINGVIEW_HOOK_PREFIX + token
