"""Subscriptions of outbound webhooks and their delivery log on both engines (SPEC §15).

The tables are those of migrations/m0007; docs/webhooks.md says why the secrets are stored as
issued. Queries are plain SQL run through the engine (the same text on both engines unless
said), so the worker's side (`webhook_outbox.py`) and this one read the same rows the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.persistence.engine import Database
from adapters.persistence.row_values import as_utc, as_uuid
from domain.lifecycle.events import EventType
from domain.webhooks.model import AttemptRecord, DeliveryStatus, Subscription
from domain.webhooks.ports import Requeued

SUBSCRIPTION_COLUMNS = (
    '"id", "user_id", "url", "events", "instrument", "enabled", "secret", "previous_secret", '
    '"previous_secret_until", "created_at"'
)
_INSERT = (
    'INSERT INTO "webhook_subscription" ("id", "user_id", "url", "events", "instrument", '
    '"enabled", "secret", "previous_secret", "previous_secret_until", "created_at", '
    '"event_cursor") VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})'
)
_LOCK_USER = 'SELECT "id" FROM "app_user" WHERE "id" = {} FOR UPDATE'
_COUNT = 'SELECT COUNT(*) AS "n" FROM "webhook_subscription" WHERE "user_id" = {}'
_GET = (
    f'SELECT {SUBSCRIPTION_COLUMNS} FROM "webhook_subscription" WHERE "id" = {{}} '
    'AND "user_id" = {}'
)
_LIST = (
    f'SELECT {SUBSCRIPTION_COLUMNS} FROM "webhook_subscription" WHERE "user_id" = {{}} '
    'ORDER BY "created_at", "id"'
)
_ROTATE = (
    'UPDATE "webhook_subscription" SET "previous_secret" = "secret", "secret" = {}, '
    '"previous_secret_until" = {} WHERE "id" = {} AND "user_id" = {} '
    f"RETURNING {SUBSCRIPTION_COLUMNS}"
)
# SQLite enforces no foreign keys unless asked, so the children go explicitly.
_DELETE = (
    'DELETE FROM "webhook_attempt" WHERE "subscription_id" = {}',
    'DELETE FROM "webhook_delivery" WHERE "subscription_id" = {}',
)
_DELETE_SUBSCRIPTION = (
    'DELETE FROM "webhook_subscription" WHERE "id" = {} AND "user_id" = {} RETURNING "id"'
)
_ATTEMPT_COLUMNS = (
    'a."event_id", a."attempt", a."status", a."response_status", a."error", a."at", '
    'a."next_attempt_at"'
)
# Every attempt made (the history).
_ATTEMPT_ROWS = (
    f'SELECT {_ATTEMPT_COLUMNS} FROM "webhook_attempt" a WHERE a."subscription_id" = {{}}'
)
# The latest attempt of each delivery whose status is now the one asked for (a delivery
# waiting for the first attempt of its round has no such attempt: it is a waiting line).
_LATEST_ROWS = (
    f'SELECT {_ATTEMPT_COLUMNS} FROM "webhook_attempt" a JOIN "webhook_delivery" d '
    'ON d."subscription_id" = a."subscription_id" AND d."event_id" = a."event_id" '
    'WHERE a."subscription_id" = {} AND d."status" = {} AND a."attempt" = d."attempts" '
    'AND d."attempts" > d."round_start"'
)
# A delivery waiting for the first attempt of its round (new, or re-queued by hand): one line,
# numbered as the attempt to come, with no answer yet.
_WAITING_ROWS = (
    'SELECT "event_id", "attempts" + 1 AS "attempt", "status", NULL AS "response_status", '
    'NULL AS "error", "next_attempt_at" AS "at", "next_attempt_at" FROM "webhook_delivery" '
    'WHERE "subscription_id" = {} AND "status" = \'pending\' AND "attempts" = "round_start"'
)
_REQUEUE = (
    'UPDATE "webhook_delivery" SET "status" = \'pending\', "next_attempt_at" = {}, '
    '"round_start" = "attempts" WHERE "subscription_id" = {} AND "event_id" = {} '
    'AND "status" = \'failed\' RETURNING "event_id"'
)
_DELIVERY_EXISTS = (
    'SELECT "status" FROM "webhook_delivery" WHERE "subscription_id" = {} AND "event_id" = {}'
)


def subscription_from_row(row: Mapping[str, Any]) -> Subscription:
    until = row["previous_secret_until"]
    return Subscription(
        id=as_uuid(row["id"]),
        user_id=as_uuid(row["user_id"]),
        url=row["url"],
        events=tuple(EventType(e) for e in str(row["events"]).split()),
        instrument=row["instrument"],
        enabled=bool(row["enabled"]),
        secret=row["secret"],
        previous_secret=row["previous_secret"],
        previous_secret_until=as_utc(until) if until is not None else None,
        created_at=as_utc(row["created_at"]),
    )


def _attempt_from_row(row: Mapping[str, Any]) -> AttemptRecord:
    following = row["next_attempt_at"]
    return AttemptRecord(
        event_id=int(row["event_id"]),
        attempt=int(row["attempt"]),
        status=DeliveryStatus(row["status"]),
        response_status=None if row["response_status"] is None else int(row["response_status"]),
        error=row["error"],
        at=as_utc(row["at"]),
        next_attempt_at=as_utc(following) if following is not None else None,
    )


class PiccoloSubscriptionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, subscription: Subscription, cursor: int, limit: int) -> bool:
        s = subscription
        async with self._db.write_transaction():
            if self._db.dialect == "postgres":
                # The user's row serialises the count-then-insert of concurrent requests
                # (SQLite: BEGIN IMMEDIATE already does).
                await self._db.run(_LOCK_USER, s.user_id)
            rows = await self._db.run(_COUNT, s.user_id)
            if int(rows[0]["n"]) >= limit:
                return False
            await self._db.run(
                _INSERT,
                s.id,
                s.user_id,
                s.url,
                " ".join(e.value for e in s.events),
                s.instrument,
                s.enabled,
                s.secret,
                s.previous_secret,
                s.previous_secret_until,
                s.created_at,
                cursor,
            )
        return True

    async def get(self, user_id: UUID, subscription_id: UUID) -> Subscription | None:
        rows = await self._db.run(_GET, subscription_id, user_id)
        return subscription_from_row(rows[0]) if rows else None

    async def list_for(self, user_id: UUID) -> Sequence[Subscription]:
        return [subscription_from_row(r) for r in await self._db.run(_LIST, user_id)]

    async def delete(self, user_id: UUID, subscription_id: UUID) -> bool:
        async with self._db.write_transaction():
            if not await self._db.run(_GET, subscription_id, user_id):
                return False
            for sql in _DELETE:
                await self._db.run(sql, subscription_id)
            return bool(await self._db.run(_DELETE_SUBSCRIPTION, subscription_id, user_id))

    async def rotate(
        self, user_id: UUID, subscription_id: UUID, secret: str, previous_until: datetime
    ) -> Subscription | None:
        rows = await self._db.run(_ROTATE, secret, previous_until, subscription_id, user_id)
        return subscription_from_row(rows[0]) if rows else None

    async def attempts(
        self, subscription_id: UUID, status: DeliveryStatus | None, limit: int
    ) -> Sequence[AttemptRecord]:
        # No status: the history, every attempt. A status: the deliveries in that state now,
        # each by its latest line.
        args: list[Any]
        if status is None:
            sql, args = _ATTEMPT_ROWS, [subscription_id]
        else:
            sql, args = _LATEST_ROWS, [subscription_id, status.value]
        if status in (None, DeliveryStatus.PENDING):
            sql = f"{sql} UNION ALL {_WAITING_ROWS}"
            args.append(subscription_id)
        rows = await self._db.run(
            f'SELECT * FROM ({sql}) AS "lines" ORDER BY "event_id", "attempt" LIMIT {{}}',
            *args,
            limit,
        )
        return [_attempt_from_row(r) for r in rows]

    async def requeue(self, subscription_id: UUID, event_id: int, now: datetime) -> Requeued:
        if await self._db.run(_REQUEUE, now, subscription_id, event_id):
            return Requeued.REQUEUED
        rows = await self._db.run(_DELIVERY_EXISTS, subscription_id, event_id)
        return Requeued.NOT_FAILED if rows else Requeued.NOT_FOUND
