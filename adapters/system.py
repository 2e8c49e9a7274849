"""The real clock and the CSPRNG behind tokens and secrets."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UrlSafeSecrets:
    """API tokens, HMAC secrets and URL tokens from the OS CSPRNG (256 bits each)."""

    def new_token(self) -> str:
        return "sh_" + secrets.token_urlsafe(32)

    def new_secret(self) -> str:
        return secrets.token_hex(32)

    def new_url_token(self) -> str:
        # url-safe base64: A-Z a-z 0-9 - _ only, nothing to escape in a path segment.
        return "tv_" + secrets.token_urlsafe(32)
