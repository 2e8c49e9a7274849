"""PiccoloLinkKeys (SPEC §12) on real SQLite and PostgreSQL: one key however many ask at once,
rotation with and without a grace."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from adapters.persistence.engine import Database
from adapters.persistence.link_keys import PiccoloLinkKeys
from tests.support.entities import T0


async def test_instances_asking_at_once_get_one_and_the_same_key(engine: Database) -> None:
    keys = [PiccoloLinkKeys(engine) for _ in range(8)]  # as if eight server instances
    assert await keys[0].verifying_keys(T0) == []
    got = await asyncio.gather(*(k.signing_key(f"secret-{i}", T0) for i, k in enumerate(keys)))
    assert len(set(got)) == 1 and got[0].startswith("secret-")
    assert await keys[3].signing_key("late", T0) == got[0]
    assert await keys[5].verifying_keys(T0) == [got[0]]


async def test_rotation_keeps_the_old_key_verifying_for_the_grace_only(engine: Database) -> None:
    keys = PiccoloLinkKeys(engine)
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
    # grace 0: the old key stops at once; keys past their grace are forgotten
    now = T0 + timedelta(hours=1)
    await keys.rotate("fourth", now, grace_seconds=0)
    assert await keys.verifying_keys(now) == ["fourth"]
    rows = await engine.run('SELECT "secret" FROM "media_link_key" ORDER BY "generation"')
    assert [r["secret"] for r in rows] == ["third", "fourth"]


async def test_rotating_before_any_key_exists_makes_the_first(engine: Database) -> None:
    keys = PiccoloLinkKeys(engine)
    await keys.rotate("made-by-rotation", T0, grace_seconds=60)
    assert await keys.signing_key("not-this", T0) == "made-by-rotation"
    assert await keys.verifying_keys(T0) == ["made-by-rotation"]


async def test_concurrent_rotations_leave_one_signing_key(engine: Database) -> None:
    keys = PiccoloLinkKeys(engine)
    await keys.signing_key("zero", T0)
    await asyncio.gather(*(keys.rotate(f"r{i}", T0, 300) for i in range(5)))
    current = await keys.signing_key("unused", T0)
    assert current in {f"r{i}" for i in range(5)}
    assert sorted(await keys.verifying_keys(T0)) == sorted(["zero", *(f"r{i}" for i in range(5))])
    rows = await engine.run('SELECT "generation" FROM "media_link_key" WHERE "valid_until" IS NULL')
    assert len(rows) == 1
