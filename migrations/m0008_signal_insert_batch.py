"""PostgreSQL: store a batch of signals in one statement, one transaction, one commit (group
commit, docs/signals.md), each with its own outcome.

`signal_insert_batch` takes the batch as parallel arrays (element i of every array is signal
i) and returns one row per signal, in the batch's order: `existing_id` null when it was
stored, else the stored signal it duplicates and why (`window` or `external_id`).

Locks: every advisory lock the batch needs — one per dedup key (owner, instrument, side,
version), one per (owner, external_id) — is taken first, all of them, in one sorted order,
before anything is written. Every caller (a batch of one included) does the same, so no
transaction waits for a lock while holding a larger one, and none ever waits on an
uncommitted row: whoever inserted an equal external_id still holds its lock. No deadlock.
Then each signal in turn: the window check, the insert (ON CONFLICT on the unique
(user_id, external_id) index is still the arbiter), its `signal.created` event with a null
id (numbered later, docs/lifecycle.md). Every statement of the VOLATILE function sees the
rows the earlier ones wrote, so two duplicates in the same batch are told apart exactly as
two calls one after the other would be: the first is stored, the second names it.
m0003's one-signal function stays (nothing calls it any more); SQLite needs nothing here.
"""

from __future__ import annotations

ID = "0008_signal_insert_batch"

# The first key of the two-key advisory lock: m0002's class for dedup keys, one more for
# external ids (the stream's slots use the one-bigint form, which is another lock space).
KEY_CLASS = 1365724673
EXTERNAL_ID_CLASS = 1365724674

_ARGUMENTS = (
    "UUID[], UUID[], VARCHAR[], VARCHAR[], VARCHAR[], DOUBLE PRECISION[], TIMESTAMPTZ[], "
    "VARCHAR[], VARCHAR[], VARCHAR[], JSON[], TIMESTAMPTZ[], TIMESTAMPTZ[], TIMESTAMPTZ[], "
    "INTEGER[], INTEGER[]"
)

FUNCTION = f"""CREATE FUNCTION signal_insert_batch(
    p_ids UUID[], p_user_ids UUID[], p_producer_ids VARCHAR[], p_instruments VARCHAR[],
    p_sides VARCHAR[], p_prices DOUBLE PRECISION[], p_times TIMESTAMPTZ[], p_versions VARCHAR[],
    p_external_ids VARCHAR[], p_statuses VARCHAR[], p_payloads JSON[], p_nows TIMESTAMPTZ[],
    p_window_starts TIMESTAMPTZ[], p_window_ends TIMESTAMPTZ[], p_lock_keys INTEGER[],
    p_external_keys INTEGER[]
) RETURNS TABLE (ord INTEGER, existing_id UUID, reason TEXT)
LANGUAGE plpgsql VOLATILE
-- No plan_cache_mode = force_custom_plan (m0002/m0003): re-planning every statement of every
-- signal cost ~40 % of the batch's time. The window check's cached plan always uses
-- signal_dedup_window (it matches all six conditions); only the external_id lookup can get a
-- bad cached plan (made on an empty table it scans a user's signals by user_id), so it is
-- planned afresh with EXECUTE, on the duplicate path only.
AS $fn$
DECLARE
    v_lock RECORD;
BEGIN
    -- All the batch's locks first, in one order (class, key): no deadlock between batches.
    FOR v_lock IN
        SELECT DISTINCT l.c, l.k FROM (
            SELECT {KEY_CLASS} AS c, k FROM unnest(p_lock_keys) AS k
            UNION ALL
            SELECT {EXTERNAL_ID_CLASS}, k FROM unnest(p_external_keys) AS k
        ) l WHERE l.k IS NOT NULL ORDER BY l.c, l.k
    LOOP
        PERFORM pg_advisory_xact_lock(v_lock.c, v_lock.k);
    END LOOP;
    FOR i IN 1 .. coalesce(cardinality(p_ids), 0) LOOP
        ord := i;
        existing_id := NULL;
        reason := NULL;
        IF p_window_starts[i] < p_window_ends[i] THEN
            SELECT s.id INTO existing_id FROM signal s
             WHERE s.user_id = p_user_ids[i] AND s.instrument = p_instruments[i]
               AND s.side = p_sides[i] AND s.version = p_versions[i]
               AND s.time > p_window_starts[i] AND s.time < p_window_ends[i]
             LIMIT 1;
            IF FOUND THEN
                reason := 'window';
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;
        INSERT INTO signal (id, user_id, producer_id, instrument, side, price, time, version,
                            external_id, status, payload, created_at, updated_at)
        VALUES (p_ids[i], p_user_ids[i], p_producer_ids[i], p_instruments[i], p_sides[i],
                p_prices[i], p_times[i], p_versions[i], p_external_ids[i], p_statuses[i],
                p_payloads[i], p_nows[i], p_nows[i])
        ON CONFLICT (user_id, external_id) DO NOTHING;
        IF NOT FOUND THEN
            EXECUTE 'SELECT s.id FROM signal s WHERE s.user_id = $1 AND s.external_id = $2'
               INTO existing_id USING p_user_ids[i], p_external_ids[i];
            reason := 'external_id';
            RETURN NEXT;
            CONTINUE;
        END IF;
        INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, from_status,
                                  to_status, note)
        VALUES (p_user_ids[i], NULL, p_ids[i], 'signal.created', p_nows[i],
                'producer:' || p_producer_ids[i], NULL, p_statuses[i], NULL);
        RETURN NEXT;
    END LOOP;
END
$fn$"""


def forwards(engine: str) -> list[str]:
    return [] if engine == "sqlite" else [FUNCTION]


def backwards(engine: str) -> list[str]:
    if engine == "sqlite":
        return []
    return [f"DROP FUNCTION signal_insert_batch({_ARGUMENTS})"]
