"""One contract, three LinkKeys (SPEC §12): the in-memory fake and PiccoloLinkKeys on real
SQLite and PostgreSQL. One key however many ask at once; rotation with and without a grace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.persistence.engine import Database
from adapters.persistence.link_keys import PiccoloLinkKeys
from domain.share_links.ports import LinkKeys
from tests.fakes.share_links import InMemoryLinkKeys
from tests.support.databases import migrated_engine
from tests.support.entities import T0

MakeKeys = Callable[[], LinkKeys]


@pytest.fixture(params=["fake", "sqlite", "postgres"])
async def make_keys(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeKeys]:
    """`make_keys()`: another instance on the same store (as if another server)."""
    if request.param == "fake":
        shared = InMemoryLinkKeys()
        yield lambda: shared
        return
    db: Database
    async with migrated_engine(request.param, tmp_path) as db:
        yield lambda: PiccoloLinkKeys(db)


async def test_instances_asking_at_once_get_one_and_the_same_key(make_keys: MakeKeys) -> None:
    keys = [make_keys() for _ in range(8)]  # as if eight server instances
    assert await keys[0].verifying_keys(T0) == []
    got = await asyncio.gather(*(k.signing_key(f"secret-{i}", T0) for i, k in enumerate(keys)))
    assert len(set(got)) == 1 and got[0].startswith("secret-")
    assert await keys[3].signing_key("late", T0) == got[0]
    assert await keys[5].verifying_keys(T0) == [got[0]]


async def test_rotation_keeps_the_old_key_verifying_for_the_grace_only(
    make_keys: MakeKeys,
) -> None:
    keys = make_keys()
    first = await keys.signing_key("first", T0)
    await keys.rotate("second", T0, grace_seconds=60)
    assert await keys.signing_key("unused", T0) == "second"
    assert sorted(await keys.verifying_keys(T0 + timedelta(seconds=59))) == ["first", "second"]
    assert await keys.verifying_keys(T0 + timedelta(seconds=60)) == ["second"]
    # a second rotation within the grace: the first key keeps its own end
    await keys.rotate("third", T0 + timedelta(seconds=30), grace_seconds=600)
    later = T0 + timedelta(seconds=45)
    assert sorted(await keys.verifying_keys(later)) == [first, "second", "third"]
    assert sorted(await keys.verifying_keys(T0 + timedelta(seconds=61))) == ["second", "third"]
    # grace 0: the old key stops at once
    now = T0 + timedelta(hours=1)
    await keys.rotate("fourth", now, grace_seconds=0)
    assert await keys.verifying_keys(now) == ["fourth"]


async def test_rotating_before_any_key_exists_makes_the_first(make_keys: MakeKeys) -> None:
    keys = make_keys()
    await keys.rotate("made-by-rotation", T0, grace_seconds=60)
    assert await keys.signing_key("not-this", T0) == "made-by-rotation"
    assert await keys.verifying_keys(T0) == ["made-by-rotation"]


async def test_concurrent_rotations_leave_one_signing_key(make_keys: MakeKeys) -> None:
    keys = [make_keys() for _ in range(5)]
    await keys[0].signing_key("zero", T0)
    await asyncio.gather(*(k.rotate(f"r{i}", T0, 300) for i, k in enumerate(keys)))
    current = await keys[0].signing_key("unused", T0)
    assert current in {f"r{i}" for i in range(5)}
    assert sorted(await keys[1].verifying_keys(T0)) == ["r0", "r1", "r2", "r3", "r4", "zero"]
    # exactly one key signs: after every grace only it is left
    assert await keys[2].verifying_keys(T0 + timedelta(seconds=300)) == [current]
