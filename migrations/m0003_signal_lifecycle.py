"""The signal lifecycle (SPEC §9): revision, fill/exit, PnL columns; the audit trail.

- signal grows revision (1 for every existing signal), executed_*/closed_*, pnl and
  return_ratio (the wire's `return`), all null until that state.
- signal_event is the trail; its id is per user, assigned from event_counter inside the
  transaction that writes the event, so ids are dense and commit-ordered (docs/lifecycle.md).
- Existing signals get their `signal.created` event, numbered per user in creation order.
- PostgreSQL: the insert function of m0002 also appends the `signal.created` event, still one
  autocommitted statement.
"""

from __future__ import annotations

from migrations import m0002_signal_insert_function as m0002

ID = "0003_signal_lifecycle"

_COLUMNS = (
    ('"revision"', "INTEGER NOT NULL DEFAULT 1"),
    ('"executed_price"', "DOUBLE PRECISION NULL"),
    ('"executed_at"', "TIMESTAMPTZ NULL"),
    ('"closed_price"', "DOUBLE PRECISION NULL"),
    ('"closed_at"', "TIMESTAMPTZ NULL"),
    ('"pnl"', "DOUBLE PRECISION NULL"),
    ('"return_ratio"', "DOUBLE PRECISION NULL"),
)

_TABLES = [
    """CREATE TABLE "event_counter" (
        "user_id" UUID PRIMARY KEY NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
        "last_id" BIGINT NOT NULL
    )""",
    """CREATE TABLE "signal_event" (
        "user_id" UUID NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
        "id" BIGINT NOT NULL,
        "signal_id" UUID NOT NULL REFERENCES "signal" ("id") ON DELETE CASCADE,
        "type" VARCHAR(32) NOT NULL,
        "at" TIMESTAMPTZ NOT NULL,
        "actor" VARCHAR(80) NOT NULL,
        "from_status" VARCHAR(16) NULL,
        "to_status" VARCHAR(16) NOT NULL,
        "note" TEXT NULL,
        PRIMARY KEY ("user_id", "id")
    )""",
    """CREATE INDEX "signal_event_signal" ON "signal_event" ("signal_id", "id")""",
]

# Existing signals: their creation event, numbered per user in creation order.
_BACKFILL = [
    """INSERT INTO "signal_event"
        ("user_id", "id", "signal_id", "type", "at", "actor", "from_status", "to_status", "note")
       SELECT "user_id",
              ROW_NUMBER() OVER (PARTITION BY "user_id" ORDER BY "created_at", "id"),
              "id", 'signal.created', "created_at", 'producer:' || "producer_id",
              NULL, "status", NULL
         FROM "signal"
    """,
    """INSERT INTO "event_counter" ("user_id", "last_id")
       SELECT "user_id", MAX("id") FROM "signal_event" GROUP BY "user_id"
    """,
]

_FUNCTION = """CREATE FUNCTION signal_insert_unless_duplicate(
    p_id UUID, p_user_id UUID, p_producer_id VARCHAR, p_instrument VARCHAR, p_side VARCHAR,
    p_price DOUBLE PRECISION, p_time TIMESTAMPTZ, p_version VARCHAR, p_external_id VARCHAR,
    p_status VARCHAR, p_payload JSON, p_now TIMESTAMPTZ,
    p_window_start TIMESTAMPTZ, p_window_end TIMESTAMPTZ, p_lock_key INTEGER,
    OUT existing_id UUID, OUT reason TEXT, OUT event_id BIGINT
) LANGUAGE plpgsql VOLATILE
-- Re-plan with the current table size on every call (see m0002).
SET plan_cache_mode = force_custom_plan
AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(1365724673, p_lock_key);
    IF p_window_start < p_window_end THEN
        SELECT s.id INTO existing_id FROM signal s
         WHERE s.user_id = p_user_id AND s.instrument = p_instrument AND s.side = p_side
           AND s.version = p_version AND s.time > p_window_start AND s.time < p_window_end
         LIMIT 1;
        IF FOUND THEN
            reason := 'window';
            RETURN;
        END IF;
    END IF;
    INSERT INTO signal (id, user_id, producer_id, instrument, side, price, time, version,
                        external_id, status, payload, created_at, updated_at)
    VALUES (p_id, p_user_id, p_producer_id, p_instrument, p_side, p_price, p_time, p_version,
            p_external_id, p_status, p_payload, p_now, p_now)
    ON CONFLICT (user_id, external_id) DO NOTHING;
    IF NOT FOUND THEN
        -- The unique index found this external_id (it may have waited for its commit).
        SELECT s.id INTO existing_id FROM signal s
         WHERE s.user_id = p_user_id AND s.external_id = p_external_id;
        reason := 'external_id';
        RETURN;
    END IF;
    -- The last lock taken: the user's counter row, held until this statement commits, so
    -- event ids become visible in id order (docs/lifecycle.md).
    INSERT INTO event_counter AS c (user_id, last_id) VALUES (p_user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_id = c.last_id + 1
    RETURNING c.last_id INTO event_id;
    INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, from_status, to_status,
                              note)
    VALUES (p_user_id, event_id, p_id, 'signal.created', p_now, 'producer:' || p_producer_id,
            NULL, p_status, NULL);
END
$fn$"""


def forwards(engine: str) -> list[str]:
    statements = [f'ALTER TABLE "signal" ADD COLUMN {name} {kind}' for name, kind in _COLUMNS]
    statements += _TABLES + _BACKFILL
    if engine == "postgres":
        # The result columns change, which CREATE OR REPLACE cannot do.
        statements += [*m0002.backwards(engine), _FUNCTION]
    return statements


def backwards(engine: str) -> list[str]:
    statements: list[str] = []
    if engine == "postgres":
        statements += m0002.backwards(engine) + m0002.forwards(engine)
    statements += ['DROP TABLE "signal_event"', 'DROP TABLE "event_counter"']
    statements += [f'ALTER TABLE "signal" DROP COLUMN {name}' for name, _ in reversed(_COLUMNS)]
    return statements
