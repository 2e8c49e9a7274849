"""PostgreSQL: m0008's batch insert with less to send and less to run per signal
(docs/ingest-performance.md, "The flush's own cost").

- `signal_insert_batch` gets a second form, 13 arrays instead of 16: the dedup window in
  seconds instead of its two bounds, and no advisory lock keys. The function derives both:
  the bounds as m0008's callers did (clamped to 0001-01-01 .. 9999-12-31 23:59:59.999999),
  the keys with `hashtext` of the same texts ("user|instrument|side|version" and
  "user|external_id"; any deterministic hash does: every ingestion takes its locks here).
  It returns a row only for a refused signal; a signal without a row was stored.
- The signals' `signal.created` events are written by one statement after the loop, in the
  batch's order (so `seq`, and the ids given later, follow it as before).
- m0005's per-row NOTIFY trigger becomes a statement-level one over the inserted rows (a
  transition table): one `pg_notify('signal_event', user_id)` per user and statement, still
  delivered only if the transaction commits — the stream's wake-up contract is unchanged.
- m0008's 16-array form stays for a server of the previous build during a deploy, as a shim
  onto the new form (its bounds give back the window: the unclamped side is time ± window),
  so both builds take the same locks and dedup stays exact across them.

SQLite: nothing (its group is one BEGIN IMMEDIATE transaction; its streams poll).
"""

from __future__ import annotations

from migrations import m0005_stream_notify as m0005
from migrations import m0008_signal_insert_batch as m0008

ID = "0009_signal_insert_keys_in_sql"

ARGUMENTS = (
    "UUID[], UUID[], VARCHAR[], VARCHAR[], VARCHAR[], DOUBLE PRECISION[], TIMESTAMPTZ[], "
    "VARCHAR[], VARCHAR[], VARCHAR[], TIMESTAMPTZ[], JSON[], INTEGER[]"
)

FUNCTION = f"""CREATE FUNCTION signal_insert_batch(
    p_ids UUID[], p_user_ids UUID[], p_producer_ids VARCHAR[], p_instruments VARCHAR[],
    p_sides VARCHAR[], p_prices DOUBLE PRECISION[], p_times TIMESTAMPTZ[], p_versions VARCHAR[],
    p_external_ids VARCHAR[], p_statuses VARCHAR[], p_nows TIMESTAMPTZ[], p_payloads JSON[],
    p_windows INTEGER[]
) RETURNS TABLE (ord INTEGER, existing_id UUID, reason TEXT)
LANGUAGE plpgsql VOLATILE
-- Plans as in m0008: cached, but the external_id lookup planned afresh (EXECUTE).
AS $fn$
DECLARE
    v_lock RECORD;
    v_span INTERVAL;
    v_stored INTEGER[] := ARRAY[]::INTEGER[];  -- no braces: the migrator's QueryString
BEGIN
    -- All the batch's locks first, in one order (class, key): no deadlock between batches.
    FOR v_lock IN
        SELECT DISTINCT l.c, l.k FROM (
            SELECT {m0008.KEY_CLASS} AS c,
                   hashtext(u::text || '|' || i || '|' || s || '|' || v) AS k
              FROM unnest(p_user_ids, p_instruments, p_sides, p_versions) AS d(u, i, s, v)
            UNION ALL
            SELECT {m0008.EXTERNAL_ID_CLASS}, hashtext(u::text || '|' || e)
              FROM unnest(p_user_ids, p_external_ids) AS x(u, e) WHERE e IS NOT NULL
        ) l ORDER BY l.c, l.k
    LOOP
        PERFORM pg_advisory_xact_lock(v_lock.c, v_lock.k);
    END LOOP;
    FOR i IN 1 .. coalesce(cardinality(p_ids), 0) LOOP
        IF p_windows[i] > 0 THEN
            v_span := make_interval(secs => p_windows[i]);
            SELECT s.id INTO existing_id FROM signal s
             WHERE s.user_id = p_user_ids[i] AND s.instrument = p_instruments[i]
               AND s.side = p_sides[i] AND s.version = p_versions[i]
               AND s.time > greatest(p_times[i] - v_span, '0001-01-01 00:00:00+00'::timestamptz)
               AND s.time < least(p_times[i] + v_span,
                                  '9999-12-31 23:59:59.999999+00'::timestamptz)
             LIMIT 1;
            IF FOUND THEN
                ord := i;
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
            ord := i;
            reason := 'external_id';
            RETURN NEXT;
            CONTINUE;
        END IF;
        v_stored := v_stored || i;
    END LOOP;
    -- The stored signals' events, in the batch's order; ids null (docs/lifecycle.md).
    INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, from_status,
                              to_status, note)
    SELECT p_user_ids[o], NULL, p_ids[o], 'signal.created', p_nows[o],
           'producer:' || p_producer_ids[o], NULL, p_statuses[o], NULL
      FROM unnest(v_stored) WITH ORDINALITY AS t(o, n) ORDER BY t.n;
END
$fn$"""

# m0008's form for the previous build: a row per signal, as it expects.
_SHIM = """CREATE OR REPLACE FUNCTION signal_insert_batch(
    p_ids UUID[], p_user_ids UUID[], p_producer_ids VARCHAR[], p_instruments VARCHAR[],
    p_sides VARCHAR[], p_prices DOUBLE PRECISION[], p_times TIMESTAMPTZ[], p_versions VARCHAR[],
    p_external_ids VARCHAR[], p_statuses VARCHAR[], p_payloads JSON[], p_nows TIMESTAMPTZ[],
    p_window_starts TIMESTAMPTZ[], p_window_ends TIMESTAMPTZ[], p_lock_keys INTEGER[],
    p_external_keys INTEGER[]
) RETURNS TABLE (ord INTEGER, existing_id UUID, reason TEXT)
LANGUAGE sql VOLATILE
AS $fn$
    SELECT g.i, r.existing_id, r.reason
      FROM generate_series(1, coalesce(cardinality(p_ids), 0)) AS g(i)
      LEFT JOIN signal_insert_batch(
          p_ids, p_user_ids, p_producer_ids, p_instruments, p_sides, p_prices, p_times,
          p_versions, p_external_ids, p_statuses, p_nows, p_payloads,
          ARRAY(SELECT greatest(extract(epoch FROM e - t), extract(epoch FROM t - s))::int
                  FROM unnest(p_times, p_window_starts, p_window_ends) WITH ORDINALITY
                       AS w(t, s, e, n) ORDER BY w.n)
      ) AS r ON r.ord = g.i
     ORDER BY g.i
$fn$"""

_NOTIFY_FUNCTION = f"""CREATE FUNCTION signal_event_notify_users() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('{m0005.CHANNEL}', u.user_id::text)
       FROM (SELECT DISTINCT user_id FROM inserted) AS u;
    RETURN NULL;
END
$fn$"""

_STATEMENT_TRIGGER = """CREATE TRIGGER signal_event_notify AFTER INSERT ON signal_event
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION signal_event_notify_users()"""


def forwards(engine: str) -> list[str]:
    if engine != "postgres":
        return []
    return [
        FUNCTION,
        _SHIM,
        _NOTIFY_FUNCTION,
        "DROP TRIGGER signal_event_notify ON signal_event",
        _STATEMENT_TRIGGER,
    ]


def backwards(engine: str) -> list[str]:
    if engine != "postgres":
        return []
    return [
        "DROP TRIGGER signal_event_notify ON signal_event",
        "DROP FUNCTION signal_event_notify_users()",
        m0005.TRIGGER,
        m0008.FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
        f"DROP FUNCTION signal_insert_batch({ARGUMENTS})",
    ]
