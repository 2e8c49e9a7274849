"""One event feed for several readers of a process: the §10 stream hub and the §15 webhook
worker share the feed's reads and its one wake-up source (one LISTEN connection on
PostgreSQL, one poll on SQLite); each `watch` adds a listener, the last `close` closes it."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.stream.ports import EventFeed, FeedItem, Wake


class SharedFeed:
    def __init__(self, feed: EventFeed) -> None:
        self._feed = feed
        self._listeners: list[Wake] = []
        self._watching = False

    async def after(self, user_id: UUID, after_id: int, limit: int) -> Sequence[FeedItem]:
        return await self._feed.after(user_id, after_id, limit)

    async def last_id(self, user_id: UUID) -> int:
        return await self._feed.last_id(user_id)

    async def watch(self, wake: Wake) -> None:
        self._listeners.append(wake)
        if not self._watching:
            self._watching = True
            await self._feed.watch(self._wake)

    def _wake(self, user_id: UUID | None) -> None:
        for listener in self._listeners:
            listener(user_id)

    async def close(self) -> None:
        if self._listeners:
            self._listeners.pop()
        if not self._listeners and self._watching:
            self._watching = False
            await self._feed.close()
