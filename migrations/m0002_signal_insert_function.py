"""PostgreSQL: store a signal unless it duplicates one, in one round trip (SPEC §3 dedup).

The function takes a transaction-level advisory lock on the dedup key, looks for a signal
in the time window, and inserts; an equal external_id is caught by the UNIQUE
(user_id, external_id) index as the conflict arbiter of the insert (no planner choice). Each statement of a VOLATILE plpgsql function takes a fresh snapshot
under READ COMMITTED, so the checks see whatever a concurrent holder of the same lock has
committed. Called as a single autocommitted statement, the lock is held until the insert is
committed. SQLite needs nothing here: BEGIN IMMEDIATE serialises writers there.
"""

from __future__ import annotations

ID = "0002_signal_insert_function"

_FUNCTION = """CREATE OR REPLACE FUNCTION signal_insert_unless_duplicate(
    p_id UUID, p_user_id UUID, p_producer_id VARCHAR, p_instrument VARCHAR, p_side VARCHAR,
    p_price DOUBLE PRECISION, p_time TIMESTAMPTZ, p_version VARCHAR, p_external_id VARCHAR,
    p_status VARCHAR, p_payload JSON, p_now TIMESTAMPTZ,
    p_window_start TIMESTAMPTZ, p_window_end TIMESTAMPTZ, p_lock_key INTEGER,
    OUT existing_id UUID, OUT reason TEXT
) LANGUAGE plpgsql VOLATILE
-- Re-plan with the current table size on every call: a plan cached while the table was
-- empty can pick a user_id-prefix index and scan all of a user's signals.
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
    END IF;
END
$fn$"""


def forwards(engine: str) -> list[str]:
    return [] if engine == "sqlite" else [_FUNCTION]


def backwards(engine: str) -> list[str]:
    if engine == "sqlite":
        return []
    return [
        "DROP FUNCTION IF EXISTS signal_insert_unless_duplicate("
        "UUID, UUID, VARCHAR, VARCHAR, VARCHAR, DOUBLE PRECISION, TIMESTAMPTZ, VARCHAR, "
        "VARCHAR, VARCHAR, JSON, TIMESTAMPTZ, TIMESTAMPTZ, TIMESTAMPTZ, INTEGER)"
    ]
