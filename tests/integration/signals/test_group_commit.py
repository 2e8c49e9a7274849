"""Group commit (docs/signals.md) on both engines: batches forced deterministically, not by
timing.

The first add is made to block inside its commit, alone (nobody was ahead of it): on
PostgreSQL a raw connection holds an uncommitted insert of the same external_id, on SQLite
another connection holds the database's write lock. Every add made meanwhile queues, and they
all go together in the next commit once the holder lets go. The tests check what each one
got, what was stored, the events, and (PostgreSQL) that the batch was one transaction: its
rows share one xmin.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from adapters.persistence.signal_repository import PiccoloSignalRepository
from domain.errors import AlreadyExists
from domain.signals import Signal
from domain.signals.rules import DUPLICATE_EXTERNAL_ID, DUPLICATE_IN_WINDOW
from tests.integration.signals.group_commit_rig import (
    HOLD,
    T0,
    Rig,
    blocked_first_commit,
    numbered_events,
    queued,
    signal,
    xmins,
)


async def test_two_duplicates_in_one_batch_get_one_201_and_one_409(rig: Rig) -> None:
    first, let_go = await blocked_first_commit(rig)
    twin_a = signal(rig.user, external_id="twin", instrument="EURUSD")
    twin_b = signal(rig.user, external_id="twin", instrument="GBPUSD", time=T0 + timedelta(days=9))
    near_a = signal(rig.user, instrument="BTCUSD", external_id="near-a")
    near_b = signal(
        rig.user, instrument="BTCUSD", external_id="near-b", time=T0 + timedelta(seconds=5)
    )
    other = signal(rig.user, instrument="ETHUSD")
    batch = [twin_a, twin_b, near_a, near_b, other]
    tasks = await queued(rig, [rig.repo.add(s, 300) for s in batch])

    await let_go()  # the first signal is stored
    assert (await first).external_id == HOLD
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert rig.commits == [1, 5]  # the five went in one commit
    assert results[0] == twin_a and results[2] == near_a and results[4] == other
    assert isinstance(results[1], AlreadyExists)
    assert (results[1].detail, results[1].existing_id) == (DUPLICATE_EXTERNAL_ID, str(twin_a.id))
    assert isinstance(results[3], AlreadyExists)
    assert (results[3].detail, results[3].existing_id) == (DUPLICATE_IN_WINDOW, str(near_a.id))
    if rig.watcher is not None:
        assert len(await xmins(rig, [twin_a.id, near_a.id, other.id])) == 1  # one transaction
    assert await rig.repo.get(twin_b.id) is None and await rig.repo.get(near_b.id) is None
    # A refused signal wrote no event; the stored ones are numbered in commit order.
    stored_ids = [(await first).id, twin_a.id, near_a.id, other.id]
    assert await numbered_events(rig) == list(enumerate(stored_ids, start=1))


async def test_a_duplicate_of_the_held_signal_queued_behind_it_is_refused(rig: Rig) -> None:
    """The batch after a commit sees that commit: dedup across batches too."""
    first, let_go = await blocked_first_commit(rig)
    retry = signal(rig.user, external_id=HOLD, instrument="EURUSD")
    fresh = signal(rig.user, instrument="EURUSD", external_id="fresh", time=T0 + timedelta(hours=1))
    tasks = await queued(rig, [rig.repo.add(retry, 300), rig.repo.add(fresh, 300)])
    await let_go()
    stored = await first
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert rig.commits == [1, 2]
    assert isinstance(results[0], AlreadyExists) and results[0].existing_id == str(stored.id)
    assert results[1] == fresh


async def test_one_bad_signal_fails_alone(pg_rig: Rig) -> None:
    """PostgreSQL refuses the NUL character in text: that aborts the batch's transaction,
    and the batch is retried one signal at a time so only the bad one fails."""
    rig = pg_rig
    first, let_go = await blocked_first_commit(rig)
    good_a = signal(rig.user, instrument="EURUSD")
    bad = signal(rig.user, instrument="GBPUSD", version="nul\x00")
    good_b = signal(rig.user, instrument="ETHUSD", external_id="good-b")
    tasks = await queued(rig, [rig.repo.add(s, 300) for s in (good_a, bad, good_b)])
    await let_go()
    await first
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == good_a and results[2] == good_b
    assert isinstance(results[1], Exception) and not isinstance(results[1], AlreadyExists)
    assert await rig.repo.get(good_a.id) == good_a
    assert await rig.repo.get(good_b.id) == good_b
    assert await rig.repo.get(bad.id) is None
    assert len(await xmins(rig, [good_a.id, good_b.id])) == 2  # each in its own commit


async def test_a_lone_producer_commits_one_by_one(rig: Rig) -> None:
    """Fallback: with nobody else writing, each add is its own commit, never held back."""
    made = [signal(rig.user, instrument="EURUSD", time=T0 + timedelta(hours=i)) for i in range(5)]
    for s in made:
        assert await rig.repo.add(s, 300) == s
    assert rig.commits == [1, 1, 1, 1, 1]
    if rig.watcher is not None:
        assert len(await xmins(rig, [s.id for s in made])) == 5


async def test_batches_from_many_writers_keep_every_rule(rig: Rig) -> None:
    """60 concurrent adds over 6 dedup keys and 3 shared external_ids: exactly what one-by-one
    would store, and some commits carried several signals."""
    adds = []
    for i in range(60):
        key = i % 6
        adds.append(
            signal(
                rig.user,
                instrument=f"K{key}X",
                time=T0 + timedelta(seconds=i),
                external_id=f"shared-{i % 3}" if i % 10 == 0 else f"own-{i}",
            )
        )
    results = await asyncio.gather(*(rig.repo.add(s, 300) for s in adds), return_exceptions=True)
    stored = [r for r in results if isinstance(r, Signal)]
    refused = [r for r in results if isinstance(r, AlreadyExists)]
    assert len(stored) + len(refused) == 60
    # One per dedup key survives (all 60 are within 300 s of each other).
    assert sorted(s.instrument for s in stored) == [f"K{k}X" for k in range(6)]
    stored_ids = {str(s.id) for s in stored}
    assert {r.existing_id for r in refused} <= stored_ids
    assert max(rig.commits) > 1 and sum(rig.commits) == 60


async def test_commit_batch_max_1_turns_grouping_off(rig: Rig) -> None:
    """SIGNALS_COMMIT_BATCH_MAX=1: every add is its own call, concurrently, and dedup still
    holds (the database decides, as before group commit)."""
    sizes: list[int] = []
    repo = PiccoloSignalRepository(rig.db, commit_batch_max=1, on_commit=sizes.append)
    attempts = [signal(rig.user, external_id="same") for _ in range(20)]
    results = await asyncio.gather(*(repo.add(s, 300) for s in attempts), return_exceptions=True)
    stored = [r for r in results if isinstance(r, Signal)]
    refused = [r for r in results if isinstance(r, AlreadyExists)]
    assert len(stored) == 1 and len(refused) == 19, results
    assert {r.existing_id for r in refused} == {str(stored[0].id)}
    assert sizes == [] and repo.group_commit.in_flight == 0  # the group was never used
