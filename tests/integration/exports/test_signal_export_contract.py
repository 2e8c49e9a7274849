"""One contract for SignalExportSource (keyset pages, oldest first), run on the fake, on
SQLite and on PostgreSQL, with page boundaries that fall inside runs of equal `created_at`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.persistence.account_repositories import PiccoloUserRepository
from adapters.persistence.signal_export import PiccoloSignalExport
from adapters.persistence.signal_repository import PiccoloSignalRepository
from adapters.persistence.tables import SignalTable
from domain.accounts.model import User
from domain.exports import EXPORT_COLUMNS, FORMULA_TRIGGERS, csv_cells
from domain.signals.model import Signal, SignalStatus
from domain.signals.ports import SignalCriteria, SignalFilter
from tests.fakes.exports import FakeSignalExport, record_of
from tests.fakes.signals import FakeSignalRepository
from tests.support.databases import ENGINES, migrated_engine
from tests.support.entities import T0, a_signal

# created_at offsets (ms) from T0: runs of equal times, longer than some page sizes
RUNS = [0] * 7 + [1000] * 5 + [1500] * 3 + [2000] + [2000] * 4 + [3000]
PAGE_SIZES = (1, 2, 3, 4, 5, 7, 21, 1000)


@dataclass
class Store:
    repo: Any
    export: Any

    async def new_user(self) -> UUID:
        user_id = uuid4()
        if not isinstance(self.repo, FakeSignalRepository):
            await PiccoloUserRepository().add(User(user_id, "someone", T0))
        return user_id

    async def add(self, user_id: UUID, offset_ms: int, **changes: Any) -> Signal:
        at = T0 + timedelta(milliseconds=offset_ms)
        signal = a_signal(user_id=user_id, created_at=at, updated_at=at, time=at, **changes)
        await self.repo.add(signal, 0)
        return signal


@pytest.fixture(params=["fake", *ENGINES])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "fake":
        fake = FakeSignalRepository()
        yield Store(fake, FakeSignalExport(fake))
        return
    async with migrated_engine(request.param, tmp_path) as engine:
        yield Store(PiccoloSignalRepository(engine), PiccoloSignalExport(engine))


async def read(store: Store, criteria: SignalCriteria, page_size: int) -> list[list[Any]]:
    """The pages, each record with its payload text decoded (engines may space JSON apart)."""
    return [
        [r._replace(payload=json.loads(r.payload)) for r in page]
        async for page in store.export.pages(criteria, page_size)
    ]


def oldest_first(signals: list[Signal]) -> list[Any]:
    """The records the signals read back as, in the export's order."""
    ordered = sorted(signals, key=lambda s: (s.created_at, str(s.id)))
    return [record_of(s)._replace(payload=dict(s.payload)) for s in ordered]


async def test_pages_cover_every_signal_once_oldest_first_whatever_the_page_size(
    store: Store,
) -> None:
    alice, bob = await store.new_user(), await store.new_user()
    mine = [await store.add(alice, ms) for ms in RUNS]
    for ms in RUNS[::3]:
        await store.add(bob, ms)  # same times, another owner: never read
    for size in PAGE_SIZES:
        pages = await read(store, SignalCriteria(user_id=alice), size)
        assert all(0 < len(page) <= size for page in pages), size
        assert [s for page in pages for s in page] == oldest_first(mine), size
        assert len(pages) == -(-len(mine) // size)  # no empty page after a full last one


async def test_the_order_is_the_lists_order_reversed(store: Store) -> None:
    alice = await store.new_user()
    for ms in RUNS:
        await store.add(alice, ms)
    listed = await store.repo.list(SignalFilter(user_id=alice, limit=len(RUNS)))
    pages = await read(store, SignalCriteria(user_id=alice), 4)
    assert [r.id for page in pages for r in page] == [s.id for s in listed.items][::-1]


async def test_a_record_holds_every_field_of_the_stored_signal(store: Store) -> None:
    alice = await store.new_user()
    at = T0 + timedelta(microseconds=123456)
    signal = a_signal(
        user_id=alice,
        created_at=at,
        updated_at=at + timedelta(days=2),
        time=at - timedelta(days=1),
        external_id="=x",
        version="-1",
        instrument="BINANCE:BTCUSDT",
        price=0.000123,
        payload={"s": 'a "b",\r\nc ünï', "n": [1, 2.5, None, True], "o": {}},
        status=SignalStatus.CLOSED,
        revision=4,
        executed_price=1950.5,
        executed_at=at + timedelta(hours=1),
        closed_price=1940.25,
        closed_at=at + timedelta(hours=2),
        pnl=-10.25,
        return_ratio=-10.25 / 1950.5,
    )
    await store.repo.add(signal, 0)
    if not isinstance(store.repo, FakeSignalRepository):
        # the lifecycle columns are written by transitions; set them here directly
        await _set_lifecycle(store, signal)
    (page,) = [p async for p in store.export.pages(SignalCriteria(user_id=alice), 10)]
    (record,) = page
    assert json.loads(record.payload) == signal.payload
    assert record._replace(payload="") == record_of(signal)._replace(payload="")
    assert all(t.utcoffset() == timedelta(0) for t in (record.time, record.created_at))


async def test_filters_apply_on_every_page(store: Store) -> None:
    alice = await store.new_user()
    made = []
    for i, ms in enumerate(RUNS):
        changes: dict[str, Any] = {
            "status": SignalStatus.NEW if i % 2 else SignalStatus.REJECTED,
            "instrument": "EURUSD" if i % 3 else "XAUUSD",
        }
        made.append(await store.add(alice, ms, **changes))
    since, until = T0 + timedelta(milliseconds=1000), T0 + timedelta(milliseconds=2000)
    cases = [
        (SignalCriteria(alice, status=SignalStatus.REJECTED), lambda s: s.status == "rejected"),
        (SignalCriteria(alice, instrument="XAUUSD"), lambda s: s.instrument == "XAUUSD"),
        (SignalCriteria(alice, since=since), lambda s: s.time >= since),
        (SignalCriteria(alice, until=until), lambda s: s.time < until),
        (
            SignalCriteria(alice, status=SignalStatus.NEW, instrument="EURUSD", since=since),
            lambda s: s.status == "new" and s.instrument == "EURUSD" and s.time >= since,
        ),
    ]
    for criteria, keep in cases:
        expected = oldest_first([s for s in made if keep(s)])
        assert expected, criteria
        for size in (1, 2, 5):
            pages = await read(store, criteria, size)
            assert [s for page in pages for s in page] == expected, (criteria, size)


async def _set_lifecycle(store: Store, s: Signal) -> None:
    await SignalTable.update(
        {
            SignalTable.status: s.status.value,
            SignalTable.revision: s.revision,
            SignalTable.executed_price: s.executed_price,
            SignalTable.executed_at: s.executed_at,
            SignalTable.closed_price: s.closed_price,
            SignalTable.closed_at: s.closed_at,
            SignalTable.pnl: s.pnl,
            SignalTable.return_ratio: s.return_ratio,
            SignalTable.updated_at: s.updated_at,
        }
    ).where(SignalTable.id == s.id)


async def test_nothing_matching_is_no_page(store: Store) -> None:
    alice = await store.new_user()
    assert await read(store, SignalCriteria(user_id=alice), 10) == []
    await store.add(alice, 0)
    assert await read(store, SignalCriteria(alice, status=SignalStatus.CLOSED), 10) == []


async def test_a_signal_created_during_the_export_comes_last_once(
    store: Store,
) -> None:
    alice = await store.new_user()
    first = [await store.add(alice, ms) for ms in (0, 0, 0, 10)]
    pages = store.export.pages(SignalCriteria(user_id=alice), 2)
    got = [r.id for r in await anext(pages)]
    late = await store.add(alice, 5000)  # created while the export runs
    async for page in pages:
        got.extend(r.id for r in page)
    assert got == [s.id for s in oldest_first(first)] + [late.id]


async def test_csv_cells_are_the_domains_cells_of_each_record(store: Store) -> None:
    """`csv_pages` (formatted by PostgreSQL on that engine) against `csv_cells` of `pages`:
    every formula trigger in every free-text column, times with and without microseconds,
    nulls, the lifecycle columns, pages split inside runs of equal `created_at`."""
    alice, bob = await store.new_user(), await store.new_user()
    made = []
    for i, ms in enumerate(RUNS):
        trigger = FORMULA_TRIGGERS[i % len(FORMULA_TRIGGERS)]
        at = T0 + timedelta(milliseconds=ms, microseconds=(0, 1, 4500, 999999)[i % 4])
        signal = a_signal(
            user_id=alice,
            producer_id=trigger + "relay" if i % 2 else "relay-1",
            instrument="-X" if i % 3 == 0 else "XAUUSD",
            version=trigger + "v" if i % 2 == 0 else "1",
            external_id=None if i % 5 == 0 else trigger + f'x, "{i}"\n',
            time=datetime(999, 12, 31, 23, 59, 59, 10, tzinfo=UTC) if i == 3 else at,
            created_at=at,
            updated_at=at + timedelta(seconds=1, microseconds=i),
            price=(0.000123, 1e16, 1950.25, 1e-7)[i % 4],
            payload={"s": 'a "b",\r\nc ünï', "n": [i, 2.5, None]},
        )
        if i % 4 == 1:
            closed_at = at + timedelta(hours=2, microseconds=7)
            signal = replace(
                signal,
                status=SignalStatus.CLOSED,
                revision=4,
                executed_price=1950.5,
                executed_at=at + timedelta(hours=1),
                closed_price=1940.25,
                closed_at=closed_at,
                pnl=-10.25,
                return_ratio=-10.25 / 1950.5,
                updated_at=closed_at,
            )
        await store.repo.add(signal, 0)
        if signal.status is SignalStatus.CLOSED and not isinstance(
            store.repo, FakeSignalRepository
        ):
            await _set_lifecycle(store, signal)
        made.append(signal)
    await store.add(bob, 0)  # another owner: never read
    for size in (1, 4, 7, 1000):
        criteria = SignalCriteria(user_id=alice)
        cells = [list(p) async for p in store.export.csv_pages(criteria, size)]
        records = [list(p) async for p in store.export.pages(criteria, size)]
        assert [len(p) for p in cells] == [len(p) for p in records], size
        got = [tuple(row) for page in cells for row in page]
        want = [csv_cells(r) for page in records for r in page]
        assert got == want, size
        assert len(got) == len(made)
    first = next(r for r in got if r[0] == str(made[1].id))
    assert first[EXPORT_COLUMNS.index("producer_id")] == "'+relay"
    assert first[EXPORT_COLUMNS.index("closed_at")].endswith(".000008Z")  # 1 + 7 µs
