"""CreateShareLink, OpenSharedMedia and RotateLinkKey against fakes."""

from __future__ import annotations

import hashlib

import pytest

from application.share_links import CreateShareLink, OpenSharedMedia, RotateLinkKey
from domain.errors import Forbidden, Gone, NotFound
from domain.media.keys import MediaKey
from tests.fakes.accounts import CountingSecrets
from tests.fakes.clock import FakeClock
from tests.fakes.media import InMemoryMediaStore
from tests.fakes.share_links import InMemoryLinkKeys

KEY = MediaKey(hashlib.sha256(b"chart").hexdigest())
TTL = 3600


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.store = InMemoryMediaStore(TTL, 1_000_000, self.clock)
        self.keys = InMemoryLinkKeys()
        secrets = CountingSecrets()
        self.create = CreateShareLink(self.keys, self.store, self.clock, secrets)
        self.open = OpenSharedMedia(self.keys, self.store, self.clock, TTL)
        self.rotate = RotateLinkKey(self.keys, self.clock, secrets)

    async def read(self, file: str, exp: str | None, sig: str | None) -> tuple[bytes, int]:
        shared = await self.open(file, exp, sig)
        return b"".join([c async for c in shared.media.chunks]), shared.max_age


async def test_a_link_opens_its_chart_until_it_expires() -> None:
    w = World()
    await w.store.put(KEY, b"png bytes")
    link = await w.create(KEY.value, 600)
    assert link.exp == int(w.clock.now().timestamp()) + 600
    assert link.expires_at.timestamp() == link.exp
    assert await w.read(f"{KEY}.png", str(link.exp), link.sig) == (b"png bytes", 600)
    w.clock.advance(100)
    assert (await w.read(f"{KEY}.png", str(link.exp), link.sig))[1] == 500
    w.clock.advance(500)
    with pytest.raises(Gone):
        await w.open(f"{KEY}.png", str(link.exp), link.sig)


async def test_refusals_in_order_403_then_410_then_404() -> None:
    w = World()
    await w.store.put(KEY, b"png")
    link = await w.create(KEY.value, 60)
    with pytest.raises(NotFound):
        await w.open(f"{KEY}.gif", str(link.exp), link.sig)
    with pytest.raises(Forbidden):
        await w.open(f"{KEY}.png", str(link.exp + 1), link.sig)
    with pytest.raises(Forbidden):
        await w.open(f"{KEY}.png", None, link.sig)
    w.clock.advance(TTL + 1)  # the chart left the cache and the link expired: 410 comes first
    with pytest.raises(Gone):
        await w.open(f"{KEY}.png", str(link.exp), link.sig)
    with pytest.raises(Forbidden):  # ... but only for a genuine link
        await w.open(f"{KEY}.png", str(link.exp), "A" * 43)


async def test_only_a_cached_chart_can_be_shared_and_max_age_follows_the_chart() -> None:
    w = World()
    with pytest.raises(NotFound):
        await w.create(KEY.value, 600)
    with pytest.raises(NotFound):
        await w.create("not-a-key", 600)
    await w.store.put(KEY, b"png")
    w.clock.advance(TTL - 100)  # the chart has 100 s left in the cache
    link = await w.create(KEY.value, 3000)
    assert (await w.read(f"{KEY}.png", str(link.exp), link.sig))[1] == 100
    w.clock.advance(101)
    with pytest.raises(NotFound):  # genuine and unexpired, but the chart is gone
        await w.open(f"{KEY}.png", str(link.exp), link.sig)


async def test_rotation_keeps_old_links_for_the_grace() -> None:
    w = World()
    await w.store.put(KEY, b"png")
    old = await w.create(KEY.value, 3000)
    assert await w.rotate(30) == 30
    new = await w.create(KEY.value, 3000)
    assert new.sig != old.sig
    await w.open(f"{KEY}.png", str(old.exp), old.sig)
    w.clock.advance(30)
    with pytest.raises(Forbidden):
        await w.open(f"{KEY}.png", str(old.exp), old.sig)
    await w.open(f"{KEY}.png", str(new.exp), new.sig)
