"""GroupCommit, the batcher behind PostgreSQL ingestion: who goes alone, who waits, what each
caller gets. The flush is a recorder whose completion the test releases by hand, so every
batch here is forced, not left to timing. (tests/integration/signals/
test_group_commit_postgres.py runs the same rules against a real PostgreSQL.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from adapters.persistence.group_commit import GroupCommit


class Held:
    """A flush that records each batch and finishes only when released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gates: list[asyncio.Event] = []

    async def __call__(self, items: Sequence[str]) -> list[str | BaseException]:
        self.batches.append(list(items))
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        return [ValueError(i) if i.startswith("bad") else i.upper() for i in items]

    def release(self, n: int) -> None:
        self.gates[n].set()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_lone_item_is_flushed_at_once_and_alone() -> None:
    flush = Held()
    sizes: list[int] = []
    group: GroupCommit[str, str] = GroupCommit(flush, on_flush=sizes.append)
    task = asyncio.create_task(group.submit("a"))
    await settle()
    assert flush.batches == [["a"]] and group.in_flight == 1 and group.waiting == 0
    flush.release(0)
    assert await task == "A"
    # one after the other: never more than one at a time, never held back
    for item in ("b", "c"):
        task = asyncio.create_task(group.submit(item))
        await settle()
        flush.release(len(flush.gates) - 1)
        assert await task == item.upper()
    assert flush.batches == [["a"], ["b"], ["c"]] and sizes == [1, 1, 1]
    assert group.in_flight == 0


async def test_arrivals_during_a_flush_form_the_next_batch_in_arrival_order() -> None:
    flush = Held()
    group: GroupCommit[str, str] = GroupCommit(flush)
    first = asyncio.create_task(group.submit("first"))
    await settle()
    later = [asyncio.create_task(group.submit(x)) for x in ("x", "bad-y", "z")]
    await settle()
    assert group.waiting == 3 and flush.batches == [["first"]]
    flush.release(0)
    assert await first == "FIRST"
    await settle()
    assert flush.batches == [["first"], ["x", "bad-y", "z"]]
    flush.release(1)
    results = await asyncio.gather(*later, return_exceptions=True)
    assert results[0] == "X" and results[2] == "Z"
    assert isinstance(results[1], ValueError)  # its own outcome, the others unaffected


async def test_batches_never_exceed_max_batch() -> None:
    flush = Held()
    group: GroupCommit[str, str] = GroupCommit(flush, max_batch=2)
    tasks = [asyncio.create_task(group.submit(str(i))) for i in range(6)]
    for n in range(4):
        await settle()
        flush.release(n)
    assert await asyncio.gather(*tasks) == [str(i) for i in range(6)]
    assert flush.batches == [["0"], ["1", "2"], ["3", "4"], ["5"]]


async def test_a_failed_flush_fails_its_own_items_only() -> None:
    calls: list[list[str]] = []
    gate = asyncio.Event()

    async def flaky(items: Sequence[str]) -> list[str | BaseException]:
        calls.append(list(items))
        if len(calls) == 1:
            await gate.wait()
        if len(calls) == 2:
            raise ConnectionError("lost")
        return [i.upper() for i in items]

    group: GroupCommit[str, str] = GroupCommit(flaky, max_batch=2)
    tasks = [asyncio.create_task(group.submit(x)) for x in ("a", "b", "c", "d")]
    await settle()
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert calls == [["a"], ["b", "c"], ["d"]]
    assert results[0] == "A" and results[3] == "D"
    assert all(isinstance(r, ConnectionError) for r in results[1:3])
    assert group.in_flight == 0 and group.waiting == 0


async def test_a_cancelled_caller_does_not_disturb_its_batch() -> None:
    flush = Held()
    group: GroupCommit[str, str] = GroupCommit(flush)
    first = asyncio.create_task(group.submit("a"))
    await settle()
    gone, stays = (asyncio.create_task(group.submit(x)) for x in ("b", "c"))
    await settle()
    flush.release(0)
    await first
    await settle()
    gone.cancel()
    flush.release(1)
    assert await stays == "C"
    assert flush.batches[1] == ["b", "c"]  # b's write went ahead: only its answer was dropped
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_max_in_flight_lets_that_many_go_alone() -> None:
    flush = Held()
    group: GroupCommit[str, str] = GroupCommit(flush, max_in_flight=2)
    tasks = [asyncio.create_task(group.submit(x)) for x in ("a", "b", "c")]
    await settle()
    assert flush.batches == [["a"], ["b"]] and group.waiting == 1
    flush.release(1)
    await settle()
    assert flush.batches == [["a"], ["b"], ["c"]]
    flush.release(0)
    flush.release(2)
    assert await asyncio.gather(*tasks) == ["A", "B", "C"]


async def test_a_flush_must_answer_every_item() -> None:
    async def short(items: Sequence[str]) -> list[str | BaseException]:
        return []

    group: GroupCommit[str, str] = GroupCommit(short)
    with pytest.raises(RuntimeError, match="0 outcomes for 1 items"):
        await group.submit("a")


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        GroupCommit(Held(), max_batch=0)
