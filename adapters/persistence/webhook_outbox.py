"""The outbox of outbound webhooks on both engines (SPEC §15, docs/webhooks.md).

Derived from the events table: each subscription keeps a cursor (the last event id of its
user it has looked at); a worker that holds the subscription's lease turns the events past
the cursor into delivery rows and moves the cursor in one transaction, then sends the due
rows. The lease (`claimed_until`, `claim_token` on the subscription) is taken by one
UPDATE whose candidates are picked `FOR UPDATE SKIP LOCKED` on PostgreSQL: two workers never
hold one subscription, and every later write checks the token.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.persistence.engine import Database
from adapters.persistence.webhook_subscriptions import SUBSCRIPTION_COLUMNS, subscription_from_row
from domain.webhooks.model import (
    ERROR_MAX_LENGTH,
    AttemptOutcome,
    DueDelivery,
    SendResult,
)
from domain.webhooks.ports import Claimed, NewDelivery

# Work: a due delivery, or an event of the user past the cursor (PostgreSQL: an event not
# numbered yet counts too; numbering happens when the worker reads the feed).
_HAS_DUE = (
    'EXISTS (SELECT 1 FROM "webhook_delivery" d WHERE d."subscription_id" = s."id" '
    'AND d."status" = \'pending\' AND d."next_attempt_at" <= {})'
)
_HAS_EVENTS = {
    "postgres": 'EXISTS (SELECT 1 FROM "signal_event" e WHERE e."user_id" = s."user_id" '
    'AND e."id" > s."event_cursor") OR EXISTS (SELECT 1 FROM "signal_event" e '
    'WHERE e."user_id" = s."user_id" AND e."id" IS NULL)',
    "sqlite": 'EXISTS (SELECT 1 FROM "signal_event" e WHERE e."user_id" = s."user_id" '
    'AND e."id" > s."event_cursor")',
}
_FREE = '(s."claimed_until" IS NULL OR s."claimed_until" < {})'
# A held subscription (its receiver failing as a whole) is not even extended: its cursor
# waits in the events table, which is the outbox, until the hold ends.
_NOT_HELD = '(s."held_until" IS NULL OR s."held_until" <= {})'


def _claim_sql(dialect: str) -> str:
    """Lease the least recently served subscriptions with work first (every subscription
    gets its turn); parameters: lease end, token, now, now, now, limit, now."""
    lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgres" else ""
    candidates = (
        f'SELECT s."id" FROM "webhook_subscription" s WHERE s."enabled" AND {_FREE} '
        f"AND {_NOT_HELD} AND ({_HAS_DUE} OR {_HAS_EVENTS[dialect]}) "
        f'ORDER BY s."claimed_until" ASC NULLS FIRST LIMIT {{}}{lock}'
    )
    return (
        'UPDATE "webhook_subscription" SET "claimed_until" = {}, "claim_token" = {} '
        f'WHERE "id" IN ({candidates}) '
        # Re-checked on the row as committed: a lease taken meanwhile is not taken again.
        'AND ("claimed_until" IS NULL OR "claimed_until" < {}) '
        f'RETURNING {SUBSCRIPTION_COLUMNS}, "event_cursor"'
    )


_MOVE_CURSOR = (
    'UPDATE "webhook_subscription" SET "event_cursor" = {} WHERE "id" = {} '
    'AND "event_cursor" = {} AND "claim_token" = {} RETURNING "id"'
)
_DELIVERY_COLUMNS = (
    '"subscription_id", "event_id", "event_type", "body", "status", "attempts", '
    '"round_start", "next_attempt_at", "created_at"'
)
_ROW = "({}, {}, {}, {}, 'pending', 0, 0, {}, {})"
_INSERT_ROWS = 100  # 6 parameters a row: within SQLite's oldest limit of 999
# Nothing is due while the subscription is held (its receiver failing as a whole).
_DUE = (
    'SELECT "event_id", "event_type", "body", "attempts", "round_start" '
    'FROM "webhook_delivery" WHERE "subscription_id" = {} '
    'AND "status" = \'pending\' AND "next_attempt_at" <= {} AND NOT EXISTS (SELECT 1 '
    'FROM "webhook_subscription" s WHERE s."id" = "subscription_id" AND s."held_until" > {}) '
    'ORDER BY "event_id" LIMIT {}'
)
_RENEW = (
    'UPDATE "webhook_subscription" SET "claimed_until" = {} WHERE "id" = {} '
    'AND "claim_token" = {} AND "enabled" RETURNING "id"'
)
_HOLDS = 'SELECT "id" FROM "webhook_subscription" WHERE "id" = {} AND "claim_token" = {}'
_ADVANCE = (
    'UPDATE "webhook_delivery" SET "status" = {}, "attempts" = "attempts" + 1, '
    '"next_attempt_at" = {} WHERE "subscription_id" = {} AND "event_id" = {} '
    'AND "attempts" = {} AND "status" = \'pending\' RETURNING "attempts"'
)
_INSERT_ATTEMPT = (
    'INSERT INTO "webhook_attempt" ("subscription_id", "event_id", "attempt", "status", '
    '"response_status", "error", "at", "next_attempt_at") VALUES ({}, {}, {}, {}, {}, {}, {}, {})'
)
# The hold (set, or lifted by any other outcome) and, on 410, the subscription disabled.
_AFTER = (
    'UPDATE "webhook_subscription" SET "held_until" = {}, '
    '"enabled" = CASE WHEN {} THEN FALSE ELSE "enabled" END, '
    '"disabled_reason" = COALESCE({}, "disabled_reason") WHERE "id" = {}'
)
_RELEASE = (
    'UPDATE "webhook_subscription" SET "claimed_until" = {}, "claim_token" = NULL '
    'WHERE "id" = {} AND "claim_token" = {}'
)
# PostgreSQL: each of extend and record in one statement (one round trip, one implicit
# transaction) instead of BEGIN / 2-4 statements / COMMIT; SQLite runs the statements above in
# one write transaction. A data-modifying CTE runs once whether or not the outer query reads it.
_PG_EXTEND = """
WITH moved AS (
    UPDATE webhook_subscription SET event_cursor = $2
     WHERE id = $1 AND event_cursor = $3 AND claim_token = $4 RETURNING id
), added AS (
    INSERT INTO webhook_delivery (subscription_id, event_id, event_type, body, status,
                                  attempts, round_start, next_attempt_at, created_at)
    SELECT $1, u.event_id, u.event_type, u.body, 'pending', 0, 0, $8, $8
      FROM unnest($5::bigint[], $6::text[], $7::text[]) AS u(event_id, event_type, body)
     WHERE EXISTS (SELECT 1 FROM moved)
    ON CONFLICT (subscription_id, event_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM moved"""
_PG_RECORD = """
WITH advanced AS (
    UPDATE webhook_delivery SET status = $3, attempts = attempts + 1, next_attempt_at = $4
     WHERE subscription_id = $1 AND event_id = $2 AND attempts = $5 AND status = 'pending'
       AND EXISTS (SELECT 1 FROM webhook_subscription WHERE id = $1 AND claim_token = $6)
    RETURNING attempts
), logged AS (
    INSERT INTO webhook_attempt (subscription_id, event_id, attempt, status, response_status,
                                 error, at, next_attempt_at)
    SELECT $1, $2, attempts, $3, $7, $8, $9, $4 FROM advanced
    RETURNING 1
), after AS (
    UPDATE webhook_subscription SET held_until = $11,
           enabled = CASE WHEN $10::text IS NOT NULL THEN FALSE ELSE enabled END,
           disabled_reason = COALESCE($10, disabled_reason)
     WHERE id = $1 AND EXISTS (SELECT 1 FROM advanced)
    RETURNING 1
)
SELECT count(*) FROM advanced"""
_GONE = "the receiver answered 410 Gone"
_PENDING = 'SELECT COUNT(*) AS "n" FROM "webhook_delivery" WHERE "status" = \'pending\''


class PiccoloOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._claim = _claim_sql(db.dialect)

    async def claim(
        self, token: str, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[Claimed]:
        rows = await self._db.run(self._claim, lease_until, token, now, now, now, limit, now)
        return [Claimed(subscription_from_row(r), int(r["event_cursor"])) for r in rows]

    async def extend(
        self,
        token: str,
        subscription_id: UUID,
        cursor: int,
        new_cursor: int,
        deliveries: Sequence[NewDelivery],
        now: datetime,
    ) -> bool:
        if self._db.dialect == "postgres":
            moved = await self._db.pool.fetchval(
                _PG_EXTEND,
                subscription_id,
                new_cursor,
                cursor,
                token,
                [d.event_id for d in deliveries],
                [d.event_type for d in deliveries],
                [d.body.decode() for d in deliveries],
                now,
            )
            return bool(moved)
        async with self._db.write_transaction():
            moved = await self._db.run(_MOVE_CURSOR, new_cursor, subscription_id, cursor, token)
            if not moved:
                return False
            for start in range(0, len(deliveries), _INSERT_ROWS):
                chunk = deliveries[start : start + _INSERT_ROWS]
                args: list[Any] = []
                for d in chunk:
                    args += [subscription_id, d.event_id, d.event_type, d.body.decode(), now, now]
                await self._db.run(
                    f'INSERT INTO "webhook_delivery" ({_DELIVERY_COLUMNS}) VALUES '
                    + ", ".join([_ROW] * len(chunk))
                    + ' ON CONFLICT ("subscription_id", "event_id") DO NOTHING',
                    *args,
                )
        return True

    async def due(self, subscription_id: UUID, now: datetime, limit: int) -> Sequence[DueDelivery]:
        rows = await self._db.run(_DUE, subscription_id, now, now, limit)
        return [
            DueDelivery(
                subscription_id=subscription_id,
                event_id=int(r["event_id"]),
                attempts=int(r["attempts"]),
                round_start=int(r["round_start"]),
                body=str(r["body"]).encode(),
                event_type=r["event_type"],
            )
            for r in rows
        ]

    async def renew(self, token: str, subscription_id: UUID, lease_until: datetime) -> bool:
        return bool(await self._db.run(_RENEW, lease_until, subscription_id, token))

    async def record(
        self,
        token: str,
        delivery: DueDelivery,
        result: SendResult,
        outcome: AttemptOutcome,
        now: datetime,
    ) -> bool:
        d = delivery
        error = result.error[:ERROR_MAX_LENGTH] if result.error is not None else None
        if self._db.dialect == "postgres":
            advanced = await self._db.pool.fetchval(
                _PG_RECORD,
                d.subscription_id,
                d.event_id,
                outcome.status.value,
                outcome.next_attempt_at,
                d.attempts,
                token,
                result.response_status,
                error,
                now,
                _GONE if outcome.disable_subscription else None,
                outcome.hold_until,
            )
            return bool(advanced)
        async with self._db.write_transaction():
            if not await self._db.run(_HOLDS, d.subscription_id, token):
                return False  # the lease went to another worker: it owns the delivery now
            advanced = await self._db.run(
                _ADVANCE,
                outcome.status.value,
                outcome.next_attempt_at,
                d.subscription_id,
                d.event_id,
                d.attempts,
            )
            if not advanced:
                return False
            await self._db.run(
                _INSERT_ATTEMPT,
                d.subscription_id,
                d.event_id,
                d.attempts + 1,
                outcome.status.value,
                result.response_status,
                error,
                now,
                outcome.next_attempt_at,
            )
            gone = outcome.disable_subscription
            await self._db.run(
                _AFTER, outcome.hold_until, gone, _GONE if gone else None, d.subscription_id
            )
        return True

    async def release(self, token: str, subscription_id: UUID, now: datetime) -> None:
        # claimed_until becomes "last served" (now, in the past): the claim's fairness order.
        await self._db.run(_RELEASE, now, subscription_id, token)

    async def pending_count(self) -> int:
        rows = await self._db.run(_PENDING)
        return int(rows[0]["n"]) if rows else 0
