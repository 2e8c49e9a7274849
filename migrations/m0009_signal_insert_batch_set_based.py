"""PostgreSQL: `signal_insert_batch` (m0008) gets a set-based path for a batch without any
duplicate, which is what a busy producer's batch almost always is (docs/signals.md, "Group
commit").

m0008 runs three statements per signal (the window check, the insert, the event); each one's
executor set-up is most of PostgreSQL's CPU per signal. After taking the same locks in the same
order, the function now asks two set-based questions: does any signal of the batch duplicate a
stored one (either rule, each signal with its own window), and does any duplicate an earlier
signal of the same batch (the rules a one-by-one run would apply, with the later signal's
window)? When neither does, a one-by-one run would store every signal, so the batch is stored
with one INSERT of the signals and one of their events (in the batch's order, so `seq` keeps
it). Otherwise the batch takes m0008's loop unchanged, signal by signal: every case with a
duplicate is decided exactly as before. The locks make the answer stable: whoever could insert
a conflicting row needs one of the locks this transaction holds until its commit. (Should an
equal external_id be committed meanwhile by a writer that takes no lock, ON CONFLICT and the
unique index still decide, as in the loop, and that signal gets the stored one's id.)
"""

from __future__ import annotations

from migrations import m0008_signal_insert_batch as m0008

ID = "0009_signal_insert_batch_set_based"

_LOOP = "    FOR i IN 1 .. coalesce(cardinality(p_ids), 0) LOOP"

_SET_BASED = """    -- No signal duplicates a stored one (either rule) ...
    IF NOT EXISTS (
        SELECT 1 FROM unnest(p_user_ids, p_instruments, p_sides, p_versions, p_external_ids,
                             p_window_starts, p_window_ends)
                      AS b(user_id, instrument, side, version, external_id, w_start, w_end)
         WHERE EXISTS (SELECT 1 FROM signal s
                        WHERE s.user_id = b.user_id AND s.external_id = b.external_id)
            OR (b.w_start < b.w_end AND EXISTS (
                    SELECT 1 FROM signal s
                     WHERE s.user_id = b.user_id AND s.instrument = b.instrument
                       AND s.side = b.side AND s.version = b.version
                       AND s.time > b.w_start AND s.time < b.w_end))
    -- ... nor an earlier signal of the batch (a before b, b's window):
    ) AND NOT EXISTS (
        SELECT 1
          FROM unnest(p_user_ids, p_instruments, p_sides, p_versions, p_external_ids, p_times)
               WITH ORDINALITY AS a(user_id, instrument, side, version, external_id, time, i)
          JOIN unnest(p_user_ids, p_instruments, p_sides, p_versions, p_external_ids,
                      p_window_starts, p_window_ends)
               WITH ORDINALITY AS b(user_id, instrument, side, version, external_id, w_start,
                                    w_end, j)
            ON a.i < b.j AND a.user_id = b.user_id
         WHERE a.external_id = b.external_id
            OR (b.w_start < b.w_end AND a.instrument = b.instrument AND a.side = b.side
                AND a.version = b.version AND a.time > b.w_start AND a.time < b.w_end)
    ) THEN
        -- Then every signal is stored, as one by one would: one statement stores the batch
        -- and its events (in the batch's order, so `seq` keeps it).
        WITH stored AS (
            INSERT INTO signal (id, user_id, producer_id, instrument, side, price, time,
                                version, external_id, status, payload, created_at, updated_at)
            SELECT n.*, n.created_at
              FROM unnest(p_ids, p_user_ids, p_producer_ids, p_instruments, p_sides, p_prices,
                          p_times, p_versions, p_external_ids, p_statuses, p_payloads, p_nows)
                   AS n(id, user_id, producer_id, instrument, side, price, time, version,
                        external_id, status, payload, created_at)
            ON CONFLICT (user_id, external_id) DO NOTHING
            RETURNING id
        ), events AS (
            INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, from_status,
                                      to_status, note)
            SELECT e.user_id, NULL, e.signal_id, 'signal.created', e.at,
                   'producer:' || e.producer_id, NULL, e.status, NULL
              FROM unnest(p_user_ids, p_ids, p_nows, p_producer_ids, p_statuses)
                   WITH ORDINALITY AS e(user_id, signal_id, at, producer_id, status, i)
             WHERE e.signal_id IN (SELECT id FROM stored)
             ORDER BY e.i
        )
        SELECT array_agg(id) INTO v_stored FROM stored;
        IF coalesce(cardinality(v_stored), 0) = coalesce(cardinality(p_ids), 0) THEN
            RETURN QUERY SELECT g, NULL::UUID, NULL::TEXT
                           FROM generate_series(1, cardinality(p_ids)) AS g;
            RETURN;
        END IF;
        -- Not all stored: a writer that takes no locks committed an equal external_id
        -- meanwhile (none does). The unique index decided, as in the loop below.
        FOR i IN 1 .. cardinality(p_ids) LOOP
            ord := i;
            existing_id := NULL;
            reason := NULL;
            IF NOT (p_ids[i] = ANY (coalesce(v_stored, ARRAY[]::UUID[]))) THEN
                EXECUTE 'SELECT s.id FROM signal s WHERE s.user_id = $1 AND s.external_id = $2'
                   INTO existing_id USING p_user_ids[i], p_external_ids[i];
                reason := 'external_id';
            END IF;
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;
    -- A duplicate somewhere: m0008's loop, signal by signal.
"""

_DECLARE = "    v_lock RECORD;\n"

assert m0008._FUNCTION.count(_LOOP) == 1 and m0008._FUNCTION.count(_DECLARE) == 1
_REPLACE = "CREATE OR REPLACE FUNCTION"
_FUNCTION = (
    m0008._FUNCTION.replace(_LOOP, _SET_BASED + _LOOP)
    .replace(_DECLARE, _DECLARE + "    v_stored UUID[];\n")
    .replace("CREATE FUNCTION", _REPLACE)
)


def forwards(engine: str) -> list[str]:
    return [] if engine == "sqlite" else [_FUNCTION]


def backwards(engine: str) -> list[str]:
    if engine == "sqlite":
        return []
    return [m0008._FUNCTION.replace("CREATE FUNCTION", _REPLACE)]
