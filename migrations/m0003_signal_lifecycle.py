"""The signal lifecycle (SPEC §9): revision, fill/exit, PnL columns; the audit trail.

- signal grows revision (1 for every existing signal), executed_*/closed_*, pnl and
  return_ratio (the wire's `return`), all null until that state.
- signal_event is the trail; `id` is per user, dense and visible in order, assigned under the
  user's event_counter row (docs/lifecycle.md); `seq` only keeps insertion order.
- Existing signals get their `signal.created` event, numbered per user in creation order.
- PostgreSQL: the insert function of m0002 also appends the `signal.created` event (its id
  still null: ingestion never waits for the counter), still one autocommitted statement;
  signal_event_assign_ids numbers a user's waiting events; signal_transition is one
  transition (conditional update, earlier events numbered, its own event) in one call.
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


def _tables(engine: str) -> list[str]:
    seq = "INTEGER PRIMARY KEY" if engine == "sqlite" else "BIGSERIAL PRIMARY KEY"
    statements = [
        """CREATE TABLE "event_counter" (
            "user_id" UUID PRIMARY KEY NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
            "last_id" BIGINT NOT NULL
        )""",
        f"""CREATE TABLE "signal_event" (
            "seq" {seq} NOT NULL,
            "user_id" UUID NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
            "id" BIGINT NULL,
            "signal_id" UUID NOT NULL REFERENCES "signal" ("id") ON DELETE CASCADE,
            "type" VARCHAR(32) NOT NULL,
            "at" TIMESTAMPTZ NOT NULL,
            "actor" VARCHAR(80) NOT NULL,
            "from_status" VARCHAR(16) NULL,
            "to_status" VARCHAR(16) NOT NULL,
            "note" TEXT NULL
        )""",
        """CREATE UNIQUE INDEX "signal_event_user_id" ON "signal_event" ("user_id", "id")""",
        """CREATE INDEX "signal_event_signal" ON "signal_event" ("signal_id", "seq")""",
    ]
    if engine == "postgres":
        statements.append(
            """CREATE INDEX "signal_event_waiting" ON "signal_event" ("user_id", "seq")
                WHERE "id" IS NULL"""
        )
    return statements


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

_INSERT_FUNCTION = """CREATE OR REPLACE FUNCTION signal_insert_unless_duplicate(
    p_id UUID, p_user_id UUID, p_producer_id VARCHAR, p_instrument VARCHAR, p_side VARCHAR,
    p_price DOUBLE PRECISION, p_time TIMESTAMPTZ, p_version VARCHAR, p_external_id VARCHAR,
    p_status VARCHAR, p_payload JSON, p_now TIMESTAMPTZ,
    p_window_start TIMESTAMPTZ, p_window_end TIMESTAMPTZ, p_lock_key INTEGER,
    OUT existing_id UUID, OUT reason TEXT
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
    -- Its id is given later by signal_event_assign_ids: ingestion never waits for the
    -- user's counter row (docs/lifecycle.md).
    INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, from_status, to_status,
                              note)
    VALUES (p_user_id, NULL, p_id, 'signal.created', p_now, 'producer:' || p_producer_id,
            NULL, p_status, NULL);
END
$fn$"""

_ASSIGN_FUNCTION = """CREATE FUNCTION signal_event_assign_ids(p_user_id UUID)
RETURNS BIGINT LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    v_last BIGINT;
    v_count BIGINT;
BEGIN
    -- The user's counter row, locked until this transaction ends: one numberer at a time.
    INSERT INTO event_counter AS c (user_id, last_id) VALUES (p_user_id, 0)
    ON CONFLICT (user_id) DO UPDATE SET last_id = c.last_id
    RETURNING c.last_id INTO v_last;
    -- A fresh snapshot (VOLATILE): every event committed before the lock was granted.
    WITH waiting AS (
        SELECT seq, row_number() OVER (ORDER BY seq) AS rn FROM signal_event
         WHERE user_id = p_user_id AND id IS NULL
    )
    UPDATE signal_event e SET id = v_last + w.rn FROM waiting w WHERE e.seq = w.seq;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count > 0 THEN
        UPDATE event_counter SET last_id = v_last + v_count WHERE user_id = p_user_id;
    END IF;
    RETURN v_last + v_count;
END
$fn$"""

_TRANSITION_FUNCTION = """CREATE FUNCTION signal_transition(
    p_id UUID, p_from VARCHAR, p_revision INTEGER, p_to VARCHAR, p_new_revision INTEGER,
    p_executed_price DOUBLE PRECISION, p_executed_at TIMESTAMPTZ,
    p_closed_price DOUBLE PRECISION, p_closed_at TIMESTAMPTZ,
    p_pnl DOUBLE PRECISION, p_return_ratio DOUBLE PRECISION, p_at TIMESTAMPTZ,
    p_actor VARCHAR, p_note TEXT
) RETURNS BIGINT LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    v_user UUID;
    v_id BIGINT;
BEGIN
    UPDATE signal SET status = p_to, revision = p_new_revision,
           executed_price = p_executed_price, executed_at = p_executed_at,
           closed_price = p_closed_price, closed_at = p_closed_at,
           pnl = p_pnl, return_ratio = p_return_ratio, updated_at = p_at
     WHERE id = p_id AND status = p_from AND revision = p_revision
    RETURNING user_id INTO v_user;
    IF NOT FOUND THEN
        RETURN NULL;  -- not as read: nothing written
    END IF;
    -- Earlier events first (this signal's creation may still wait for its id), then ours.
    v_id := signal_event_assign_ids(v_user) + 1;
    UPDATE event_counter SET last_id = v_id WHERE user_id = v_user;
    INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, from_status,
                              to_status, note)
    VALUES (v_user, v_id, p_id, 'signal.transitioned', p_at, p_actor, p_from, p_to, p_note);
    RETURN v_id;
END
$fn$"""


def forwards(engine: str) -> list[str]:
    statements = [f'ALTER TABLE "signal" ADD COLUMN {name} {kind}' for name, kind in _COLUMNS]
    statements += _tables(engine) + _BACKFILL
    if engine == "postgres":
        statements += [_INSERT_FUNCTION, _ASSIGN_FUNCTION, _TRANSITION_FUNCTION]
    return statements


def backwards(engine: str) -> list[str]:
    statements: list[str] = []
    if engine == "postgres":
        statements += [
            "DROP FUNCTION signal_transition(UUID, VARCHAR, INTEGER, VARCHAR, INTEGER, "
            "DOUBLE PRECISION, TIMESTAMPTZ, DOUBLE PRECISION, TIMESTAMPTZ, DOUBLE PRECISION, "
            "DOUBLE PRECISION, TIMESTAMPTZ, VARCHAR, TEXT)",
            "DROP FUNCTION signal_event_assign_ids(UUID)",
            *m0002.forwards(engine),  # CREATE OR REPLACE: the function without the event
        ]
    statements += ['DROP TABLE "signal_event"', 'DROP TABLE "event_counter"']
    statements += [f'ALTER TABLE "signal" DROP COLUMN {name}' for name, _ in reversed(_COLUMNS)]
    return statements
