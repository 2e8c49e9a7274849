"""The share-link wire format (SPEC §12), limits from domain/share_links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from domain.share_links import EXPIRES_IN_DEFAULT, EXPIRES_IN_MAX, EXPIRES_IN_MIN

# Largest body of `POST /api/v1/media/{key}/links` (a valid one is a few dozen bytes).
LINK_MAX_BODY_BYTES = 1024

# A whole number of seconds (1200.0 is as good as 1200, as in wire/charts.py).
ExpiresIn = Annotated[
    float,
    Meta(
        ge=EXPIRES_IN_MIN,
        le=EXPIRES_IN_MAX,
        multiple_of=1,
        description="Seconds the link works for",
        extra_json_schema={"default": EXPIRES_IN_DEFAULT},
    ),
]


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    expires_in: ExpiresIn = EXPIRES_IN_DEFAULT

    def seconds(self) -> int:
        return int(self.expires_in)


class LinkOut(msgspec.Struct):
    url: Annotated[str, Meta(description="/m/<key>.png?exp=<unix>&sig=<base64url>; no token")]
    expires_at: datetime
