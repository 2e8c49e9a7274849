"""PostgreSQL: a group without any duplicate is stored set-based, and a signal's write touches
less (docs/ingest-performance.md, "Seventh pass: less for PostgreSQL to do per signal").

- `signal_insert_batch` (m0009's 13-array form), for a group of two or more, asks two
  set-based questions after taking the same locks in the same order: does any signal of the
  group duplicate a stored one (either rule, each signal with its own window), and does any
  duplicate an earlier signal of the group (the rules a one-by-one run applies, with the
  later signal's window and the same clamped bounds)? When neither, a one-by-one run would
  store every signal, so one statement stores the group and one its `signal.created` events
  (in the group's order, so `seq` follows it). Otherwise, and for a lone signal, m0009's
  loop runs unchanged, signal by signal, so every case with a duplicate is decided exactly
  as before. The locks keep the answer true until the commit: whoever could write a
  conflicting row needs a lock this transaction holds. A writer that takes no lock (none
  does) is still caught by ON CONFLICT and the unique index, as in the loop: that signal is
  refused naming the row it committed.
- The external_id question's subquery carries `OFFSET 0`: without it the planner turns the
  correlated EXISTS into a hashed subplan that reads every stored signal (measured: 185
  against 68 µs of PostgreSQL's CPU a signal).
- `signal_event`'s foreign key to `app_user` goes: an event's user is its signal's user
  (every writer takes it from the signal), and the key to `signal` (ON DELETE CASCADE) still
  removes the events with their signal, which `signal`'s own key removes with its user.
  Each key costs a lookup with a row lock per inserted event.
- `signal_event_user_id` (user_id, id) becomes partial, `WHERE id IS NOT NULL`: new events
  have a null id (numbered later), which the unique index never needed to hold; reads ask
  `id > N`, which implies it.
- `signal_instrument_status` (instrument, status) goes on both engines: every read of
  signals is one user's, and no query leads with the instrument.

SQLite: only the last (its group is one BEGIN IMMEDIATE transaction of one-by-one writes).
"""

from __future__ import annotations

from migrations import m0009_signal_insert_keys_in_sql as m0009

ID = "0010_signal_insert_set_based"

_LOOP = "    FOR i IN 1 .. coalesce(cardinality(p_ids), 0) LOOP"
_DECLARE = "    v_span INTERVAL;\n"

# The bounds of signal b's window, clamped as in the loop (m0009).
_LOW = "greatest(b.t - make_interval(secs => b.w), '0001-01-01 00:00:00+00'::timestamptz)"
_HIGH = "least(b.t + make_interval(secs => b.w), '9999-12-31 23:59:59.999999+00'::timestamptz)"

_SET_BASED = f"""    -- A lone signal keeps the loop (nothing to share; its statements are simpler). A plain
    -- test first: the questions below are one query, whose set-up a lone signal would pay.
    IF cardinality(p_ids) > 1 THEN
    -- A group in which no signal duplicates a stored one (either rule, its own window) ...
    IF NOT EXISTS (
        SELECT 1 FROM unnest(p_user_ids, p_instruments, p_sides, p_versions, p_external_ids,
                             p_times, p_windows)
                      AS b(user_id, instrument, side, version, external_id, t, w)
         WHERE EXISTS (SELECT 1 FROM signal s
                        WHERE s.user_id = b.user_id AND s.external_id = b.external_id
                       OFFSET 0)  -- one index probe per signal, not a hash of the table
            OR (b.w > 0 AND EXISTS (
                    SELECT 1 FROM signal s
                     WHERE s.user_id = b.user_id AND s.instrument = b.instrument
                       AND s.side = b.side AND s.version = b.version
                       AND s.time > {_LOW} AND s.time < {_HIGH}))
    -- ... nor an earlier signal of the group (a before b, b's window):
    ) AND NOT EXISTS (
        SELECT 1
          FROM unnest(p_user_ids, p_instruments, p_sides, p_versions, p_external_ids, p_times)
               WITH ORDINALITY AS a(user_id, instrument, side, version, external_id, t, i)
          JOIN unnest(p_user_ids, p_instruments, p_sides, p_versions, p_external_ids, p_times,
                      p_windows)
               WITH ORDINALITY AS b(user_id, instrument, side, version, external_id, t, w, j)
            ON a.i < b.j AND a.user_id = b.user_id
         WHERE a.external_id = b.external_id
            OR (b.w > 0 AND a.instrument = b.instrument AND a.side = b.side
                AND a.version = b.version AND a.t > {_LOW} AND a.t < {_HIGH})
    ) THEN
        -- Then one by one would store every signal: one statement for the signals, one for
        -- their events in the group's order; ids null (docs/lifecycle.md).
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
        SELECT coalesce(array_agg(id), ARRAY[]::UUID[]) INTO v_ids FROM stored;
        IF cardinality(v_ids) < cardinality(p_ids) THEN
            -- Not all stored: a writer that takes no locks committed an equal external_id
            -- meanwhile (none does). The unique index decided, as in the loop below.
            FOR i IN 1 .. cardinality(p_ids) LOOP
                IF p_ids[i] <> ALL (v_ids) THEN
                    EXECUTE 'SELECT s.id FROM signal s '
                            'WHERE s.user_id = $1 AND s.external_id = $2'
                       INTO existing_id USING p_user_ids[i], p_external_ids[i];
                    ord := i;
                    reason := 'external_id';
                    RETURN NEXT;
                END IF;
            END LOOP;
        END IF;
        RETURN;
    END IF;
    END IF;
    -- A lone signal, or a duplicate somewhere: m0009's loop, signal by signal.
"""

assert m0009.FUNCTION.count(_LOOP) == 1 and m0009.FUNCTION.count(_DECLARE) == 1
_REPLACE = "CREATE OR REPLACE FUNCTION"
_FUNCTION = (
    m0009.FUNCTION.replace(_LOOP, _SET_BASED + _LOOP)
    .replace(_DECLARE, _DECLARE + "    v_ids UUID[];\n")
    .replace("CREATE FUNCTION", _REPLACE, 1)
)

_INSTRUMENT_INDEX = 'CREATE INDEX "signal_instrument_status" ON "signal" ("instrument", "status")'


def forwards(engine: str) -> list[str]:
    drop_index = 'DROP INDEX "signal_instrument_status"'
    if engine != "postgres":
        return [drop_index]
    return [
        _FUNCTION,
        'ALTER TABLE "signal_event" DROP CONSTRAINT "signal_event_user_id_fkey"',
        'DROP INDEX "signal_event_user_id"',
        'CREATE UNIQUE INDEX "signal_event_user_id" ON "signal_event" ("user_id", "id") '
        'WHERE "id" IS NOT NULL',
        drop_index,
    ]


def backwards(engine: str) -> list[str]:
    if engine != "postgres":
        return [_INSTRUMENT_INDEX]
    return [
        _INSTRUMENT_INDEX,
        'DROP INDEX "signal_event_user_id"',
        'CREATE UNIQUE INDEX "signal_event_user_id" ON "signal_event" ("user_id", "id")',
        'ALTER TABLE "signal_event" ADD CONSTRAINT "signal_event_user_id_fkey" '
        'FOREIGN KEY ("user_id") REFERENCES "app_user" ("id") ON DELETE CASCADE',
        m0009.FUNCTION.replace("CREATE FUNCTION", _REPLACE, 1),
    ]
