"""URL paths named by more than one entry point (the HTTP routes and the CLI's output)."""

from __future__ import annotations

# SPEC §11: `producers create --tradingview` prints this path with the token appended.
TRADINGVIEW_HOOK_PREFIX = "/api/v1/hooks/tradingview/"


def tradingview_path(token: str) -> str:
    return TRADINGVIEW_HOOK_PREFIX + token


# SPEC §12: the public route of share links. Its query (exp, sig) is a credential: the access
# log writes the route template for paths under it, never the query.
SHARED_MEDIA_PREFIX = "/m/"


def shared_media_url(key: str, exp: int, sig: str) -> str:
    return f"{SHARED_MEDIA_PREFIX}{key}.png?exp={exp}&sig={sig}"
