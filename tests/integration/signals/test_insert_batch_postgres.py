"""PostgreSQL's flush beyond the dedup rules (docs/ingest-performance.md, "The flush's own
cost"): the connection kept between back-to-back groups, a killed backend, the previous
build's form of signal_insert_batch (m0009's shim) and the statement-level NOTIFY.

States are polled, never timed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from uuid import UUID, uuid4

from adapters.persistence.account_repositories import PiccoloUserRepository
from adapters.persistence.signal_insert_postgres import PostgresSignalInserts
from adapters.persistence.signal_writes import encode_payload, window
from domain.accounts.model import User
from domain.errors import AlreadyExists
from domain.signals import Signal
from domain.signals.rules import DUPLICATE_EXTERNAL_ID, DUPLICATE_IN_WINDOW
from migrations.m0005_stream_notify import CHANNEL
from tests.integration.signals.group_commit_rig import (
    T0,
    Rig,
    insert_waits_on_a_lock,
    numbered_events,
    raw_insert,
    signal,
    until,
    xmins,
)

# The 16-array form m0008 defined and the previous build calls.
PREVIOUS_FORM = (
    "SELECT ord, existing_id, reason FROM signal_insert_batch("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
)


def _previous_arguments(batch: list[Signal], seconds: int) -> list[list[object]]:
    """The previous build's 16 arrays (its lock keys are ignored now: zeros here)."""
    rows = []
    for s in batch:
        lower, upper = window(s, seconds)
        rows.append(
            [s.id, s.user_id, s.producer_id, s.instrument, s.side.value, s.price, s.time,
             s.version, s.external_id, s.status.value, encode_payload(s.payload), s.created_at,
             lower, upper, 0, 0 if s.external_id is not None else None]
        )  # fmt: skip
    return [list(column) for column in zip(*rows, strict=True)]


def _in_use(rig: Rig) -> int:
    pool = rig.db.pool
    return int(pool.get_size() - pool.get_idle_size())


async def test_the_connection_is_kept_only_while_another_group_follows(pg_rig: Rig) -> None:
    rig = pg_rig
    more = [True]
    inserts = PostgresSignalInserts(rig.db, more_coming=lambda: more[0])
    idle = _in_use(rig)  # the rig's watcher
    assert await inserts([(signal(rig.user, version="1"), 300)]) == [None]
    assert _in_use(rig) == idle + 1  # kept for the next group
    assert await inserts([(signal(rig.user, version="2"), 300)]) == [None]
    assert _in_use(rig) == idle + 1  # the same one, not a second
    more[0] = False
    assert await inserts([(signal(rig.user, version="3"), 300)]) == [None]
    assert _in_use(rig) == idle  # back in the pool: an idle server holds nothing


async def test_a_killed_backend_does_not_wedge_ingestion(pg_rig: Rig) -> None:
    rig = pg_rig
    assert rig.watcher is not None
    more = [True]
    inserts = PostgresSignalInserts(rig.db, more_coming=lambda: more[0])
    assert await inserts([(signal(rig.user, version="0"), 300)]) == [None]
    # Every other backend of the database goes, the kept connection's too.
    await rig.watcher.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )

    async def gone() -> bool:
        assert rig.watcher is not None
        others = await rig.watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return others == 0

    await until(gone, "the other backends have ended")
    after_kill = [signal(rig.user, version=str(n)) for n in range(1, 4)]
    # The group fails on the dead connection, each signal is then stored alone.
    assert await inserts([(s, 300) for s in after_kill]) == [None, None, None]
    later = [signal(rig.user, version=str(n)) for n in range(4, 7)]
    more[0] = False
    assert await inserts([(s, 300) for s in later]) == [None, None, None]
    assert _in_use(rig) == 1  # only the watcher: nothing kept, nothing lost
    assert len(await xmins(rig, [s.id for s in later])) == 1  # a group again
    stored = [s.id for s in after_kill + later]
    assert [signal_id for _, signal_id in await numbered_events(rig)][1:] == stored


async def test_the_previous_builds_form_answers_per_signal_and_takes_the_same_locks(
    pg_rig: Rig,
) -> None:
    rig = pg_rig
    assert rig.watcher is not None
    holder = await rig.db.pool.acquire()
    try:
        tx = holder.transaction()
        await tx.start()
        first = signal(rig.user, external_id="a")
        inserts = PostgresSignalInserts(rig.db)
        # The current form inside an open transaction: its locks stay held.
        await holder.fetch(
            "SELECT * FROM signal_insert_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
            " $12, $13)",
            *[[value] for value in _current_arguments(first, 300)],
        )
        near = signal(rig.user, external_id="b", time=T0 + timedelta(seconds=299))
        same_external_id = signal(rig.user, external_id="a", instrument="EURUSD")
        other = signal(rig.user, external_id="c", instrument="EURUSD")
        calling = asyncio.ensure_future(
            rig.db.pool.fetch(
                PREVIOUS_FORM, *_previous_arguments([near, same_external_id, other], 300)
            )
        )

        await until(
            lambda: insert_waits_on_a_lock(rig),
            "the previous form waits for the current form's lock",
        )
        await tx.commit()
    finally:
        await rig.db.pool.release(holder)
    rows = [(r["ord"], _uuid(r["existing_id"]), r["reason"]) for r in await calling]
    assert rows == [(1, first.id, "window"), (2, first.id, "external_id"), (3, None, None)]
    assert await rig.repo.get(other.id) == other
    assert await rig.repo.get(near.id) is None and await rig.repo.get(same_external_id.id) is None
    (again,) = await inserts([(signal(rig.user, external_id="a"), 0)])
    assert isinstance(again, AlreadyExists)
    assert (again.detail, again.existing_id) == (DUPLICATE_EXTERNAL_ID, str(first.id))


async def test_a_group_without_duplicates_meets_a_raw_writers_external_id(pg_rig: Rig) -> None:
    """m0010's set-based path: the group's questions see no duplicate (the raw writer's row is
    not committed yet), its one INSERT waits on that row's unique index entry, skips it, and
    the group's other signals are stored in one transaction with their events in order."""
    rig = pg_rig
    conn = await rig.db.pool.acquire()
    try:
        tx = conn.transaction()
        await tx.start()
        theirs = await raw_insert(conn, rig.user, "raw")
        group = [
            signal(rig.user, instrument="AAA", external_id="x"),
            signal(rig.user, instrument="BBB", external_id="raw"),
            signal(rig.user, instrument="CCC", external_id="y"),
        ]
        flushing = asyncio.ensure_future(PostgresSignalInserts(rig.db)([(s, 300) for s in group]))
        await until(lambda: insert_waits_on_a_lock(rig), "the group waits for the raw row")
        await tx.commit()
    finally:
        await rig.db.pool.release(conn)
    stored, refused, also_stored = await flushing
    assert (stored, also_stored) == (None, None)
    assert isinstance(refused, AlreadyExists)
    assert (refused.detail, refused.existing_id) == (DUPLICATE_EXTERNAL_ID, str(theirs))
    assert await rig.repo.get(group[1].id) is None
    assert len(await xmins(rig, [group[0].id, group[2].id])) == 1
    assert [signal_id for _, signal_id in await numbered_events(rig)] == [
        group[0].id,
        group[2].id,
    ]


async def test_a_users_signals_and_events_still_go_with_the_user(pg_rig: Rig) -> None:
    """m0010 dropped signal_event's key to app_user: the events now go with their signal,
    which goes with its user."""
    rig = pg_rig
    assert rig.watcher is not None
    outcomes = await PostgresSignalInserts(rig.db)(
        [(signal(rig.user, version=v), 300) for v in "12"]
    )
    assert outcomes == [None, None]
    assert len(await numbered_events(rig)) == 2
    await rig.watcher.execute("DELETE FROM app_user WHERE id = $1", rig.user)
    for table in ("signal", "signal_event"):
        left = await rig.watcher.fetchval(
            f"SELECT count(*) FROM {table} WHERE user_id = $1", rig.user
        )
        assert left == 0, table


def _current_arguments(s: Signal, seconds: int) -> list[object]:
    return [s.id, s.user_id, s.producer_id, s.instrument, s.side.value, s.price, s.time,
            s.version, s.external_id, s.status.value, s.created_at, encode_payload(s.payload),
            seconds]  # fmt: skip


async def test_one_notify_per_user_and_group_only_after_the_commit(pg_rig: Rig) -> None:
    rig = pg_rig
    assert rig.watcher is not None
    other = User(uuid4(), "other", T0)
    await PiccoloUserRepository().add(other)
    heard: list[str] = []

    def hear(*args: object) -> None:
        heard.append(str(args[3]))

    listener = await rig.db.pool.acquire()
    try:
        await listener.add_listener(CHANNEL, hear)
        inserts = PostgresSignalInserts(rig.db)
        group = [
            signal(rig.user, version="1"),
            signal(rig.user, version="2"),
            signal(other.id, version="1"),
        ]
        outcomes = await inserts([(s, 300) for s in group])
        assert outcomes == [None, None, None]
        # A duplicate alone stores nothing and wakes nobody.
        refused = await inserts([(signal(rig.user, version="1"), 300)])
        assert isinstance(refused[0], AlreadyExists)
        assert refused[0].detail == DUPLICATE_IN_WINDOW
        # Notifications come in commit order: once the marker is heard, all earlier ones are.
        await rig.watcher.execute(f"NOTIFY {CHANNEL}, 'marker'")

        async def marker() -> bool:
            return "marker" in heard

        await until(marker, "the marker notification")
    finally:
        await listener.remove_listener(CHANNEL, hear)
        await rig.db.pool.release(listener)
    assert Counter(heard) == Counter({str(rig.user): 1, str(other.id): 1, "marker": 1})


def _uuid(value: object) -> UUID | None:
    return None if value is None else UUID(str(value))
