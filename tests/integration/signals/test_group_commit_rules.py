"""Group commit (docs/signals.md): a batch answers exactly what one-by-one adds would, on
both engines — a batch without any duplicate is stored whole and in order, a later signal is
judged by its own window, and a raw writer's committed external_id is still found. The rig
(group_commit_rig.py) forces the batches deterministically."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from domain.errors import AlreadyExists
from domain.signals import Signal
from domain.signals.rules import DUPLICATE_EXTERNAL_ID, DUPLICATE_IN_WINDOW
from tests.integration.signals.group_commit_rig import (
    HOLD,
    T0,
    Rig,
    blocked_first_commit,
    insert_waits_on_a_lock,
    numbered_events,
    queued,
    raw_insert,
    signal,
    until,
    xmins,
)


async def test_a_batch_without_duplicates_is_stored_whole_in_order(rig: Rig) -> None:
    """Six signals, none a duplicate of a stored one or of another; two of them share a dedup
    key 200 s apart, the later one with a 100 s window (its own window decides, so it is not
    a duplicate, though the earlier one's 300 s window would reach it)."""
    first, let_go = await blocked_first_commit(rig)
    at = T0 + timedelta(hours=1)
    early = signal(rig.user, instrument="EURUSD", time=at, external_id="early")
    late = signal(rig.user, instrument="EURUSD", time=at + timedelta(seconds=200))
    others = [
        signal(rig.user, instrument=f"S{i}X", external_id=f"other-{i}", payload={"i": i})
        for i in range(4)
    ]
    batch = [early, late, *others]
    windows = [300, 100, 300, 300, 0, 300]
    tasks = await queued(rig, [rig.repo.add(s, w) for s, w in zip(batch, windows, strict=True)])

    await let_go()
    held = await first
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert rig.commits == [1, 6]
    assert results == batch
    for s in batch:
        assert await rig.repo.get(s.id) == s
    if rig.watcher is not None:
        assert len(await xmins(rig, [s.id for s in batch])) == 1  # one transaction
    # One signal.created event each, numbered in the batch's order after the held one.
    assert await numbered_events(rig) == list(enumerate([held.id, *(s.id for s in batch)], 1))


async def test_a_later_signal_is_judged_by_its_own_window(rig: Rig) -> None:
    """The same two signals the other way round: the later one's 300 s window reaches the
    earlier one (whose own window is 100 s), so it is a duplicate naming it; and an
    external_id equal to an earlier one of the batch is refused even with a far-off time."""
    first, let_go = await blocked_first_commit(rig)
    at = T0 + timedelta(hours=1)
    early = signal(rig.user, instrument="EURUSD", time=at, external_id="early")
    late = signal(rig.user, instrument="EURUSD", time=at - timedelta(seconds=200))
    again = signal(rig.user, instrument="GBPUSD", time=at + timedelta(days=3), external_id="early")
    adds: list[Awaitable[Signal]] = [
        rig.repo.add(early, 100),
        rig.repo.add(late, 300),
        rig.repo.add(again, 300),
    ]
    tasks = await queued(rig, adds)

    await let_go()
    await first
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert rig.commits == [1, 3]
    assert results[0] == early
    assert isinstance(results[1], AlreadyExists)
    assert (results[1].detail, results[1].existing_id) == (DUPLICATE_IN_WINDOW, str(early.id))
    assert isinstance(results[2], AlreadyExists)
    assert (results[2].detail, results[2].existing_id) == (DUPLICATE_EXTERNAL_ID, str(early.id))
    assert await rig.repo.get(late.id) is None and await rig.repo.get(again.id) is None


async def test_an_external_id_committed_by_a_writer_without_locks(pg_rig: Rig) -> None:
    """Every ingestion takes the advisory locks, so nothing can commit an equal external_id
    while a batch runs; a raw writer that takes none still cannot make a duplicate: the
    unique index waits for it, and the signal is refused naming the row it committed."""
    rig = pg_rig
    conn = await rig.db.pool.acquire()
    try:
        tx = conn.transaction()
        await tx.start()
        theirs = await raw_insert(conn, rig.user, HOLD)
        mine = signal(rig.user, external_id=HOLD)
        adding = asyncio.ensure_future(rig.repo.add(mine, 300))

        await until(lambda: insert_waits_on_a_lock(rig), "the add waits for the raw writer's row")
        await tx.commit()
    finally:
        await rig.db.pool.release(conn)
    outcome = await asyncio.gather(adding, return_exceptions=True)
    assert isinstance(outcome[0], AlreadyExists)
    assert (outcome[0].detail, outcome[0].existing_id) == (DUPLICATE_EXTERNAL_ID, str(theirs))
    assert await rig.repo.get(mine.id) is None
    assert await numbered_events(rig) == []
