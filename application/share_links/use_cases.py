"""CreateShareLink, OpenSharedMedia and RotateLinkKey (SPEC §12).

The rule (what is signed, how it is checked) is domain/share_links; these use cases add the
clock, the keys in the database and the media store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.accounts.ports import Clock, SecretGenerator
from domain.errors import NotFound
from domain.media.keys import MediaKey
from domain.media.ports import MediaStore, MediaStream
from domain.share_links import EXPIRES_IN_DEFAULT, public_max_age, sign, verify
from domain.share_links.ports import LinkKeys

SUFFIX = ".png"


@dataclass(frozen=True, slots=True)
class ShareLink:
    key: MediaKey
    exp: int  # unix seconds
    sig: str

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.exp, UTC)


@dataclass(frozen=True, slots=True)
class SharedMedia:
    media: MediaStream
    max_age: int  # what a public cache may keep it for (seconds)


async def _cached(store: MediaStore, key: MediaKey) -> MediaStream:
    opened = await store.open(key)
    if opened is None:
        raise NotFound("no such media")
    return opened


class CreateShareLink:
    def __init__(
        self, keys: LinkKeys, store: MediaStore, clock: Clock, secrets: SecretGenerator
    ) -> None:
        self._keys, self._store, self._clock, self._secrets = keys, store, clock, secrets

    async def __call__(self, raw_key: str, expires_in: int = EXPIRES_IN_DEFAULT) -> ShareLink:
        """`expires_in` is checked by the wire (EXPIRES_IN_MIN..EXPIRES_IN_MAX)."""
        key = MediaKey.parse(raw_key)  # NotFound for a malformed key
        await (await _cached(self._store, key)).chunks.aclose()  # only a cached chart is shared
        now = self._clock.now()
        secret = await self._keys.signing_key(self._secrets.new_secret(), now)
        signed = sign(secret.encode(), key.value, int(now.timestamp()) + expires_in)
        return ShareLink(key, signed.exp, signed.sig)


class OpenSharedMedia:
    """`GET /m/<key>.png?exp=&sig=`: 403 unless we signed it, 410 past exp, 404 not cached."""

    def __init__(self, keys: LinkKeys, store: MediaStore, clock: Clock, ttl_seconds: int) -> None:
        self._keys, self._store, self._clock, self._ttl = keys, store, clock, ttl_seconds

    async def __call__(self, file_name: str, exp: str | None, sig: str | None) -> SharedMedia:
        if not file_name.endswith(SUFFIX):
            raise NotFound("no such media")
        text = file_name.removesuffix(SUFFIX)
        now = self._clock.now()
        secrets = await self._keys.verifying_keys(now)
        moment = int(now.timestamp())
        expiry = verify([s.encode() for s in secrets], text, exp, sig, moment)
        opened = await _cached(self._store, MediaKey.parse(text))
        max_age = public_max_age(expiry, moment, opened.created_at + self._ttl, self._ttl)
        return SharedMedia(opened, max_age)


class RotateLinkKey:
    def __init__(self, keys: LinkKeys, clock: Clock, secrets: SecretGenerator) -> None:
        self._keys, self._clock, self._secrets = keys, clock, secrets

    async def __call__(self, grace_seconds: int) -> int:
        await self._keys.rotate(self._secrets.new_secret(), self._clock.now(), grace_seconds)
        return grace_seconds
