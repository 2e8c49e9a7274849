"""The live stream's wake-up (SPEC §10, docs/stream.md): on PostgreSQL every new row of
signal_event sends NOTIFY signal_event with the user's id, delivered when (and only if) the
inserting transaction commits, so every writer of events wakes the streams without knowing
of them. PostgreSQL folds identical notifications of one transaction into one.
SQLite: nothing (its streams poll).
"""

from __future__ import annotations

ID = "0005_stream_notify"

CHANNEL = "signal_event"

_FUNCTION = f"""CREATE FUNCTION signal_event_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.user_id::text);
    RETURN NULL;
END
$fn$"""

TRIGGER = """CREATE TRIGGER signal_event_notify AFTER INSERT ON signal_event
    FOR EACH ROW EXECUTE FUNCTION signal_event_notify()"""


def forwards(engine: str) -> list[str]:
    if engine != "postgres":
        return []
    return [_FUNCTION, TRIGGER]


def backwards(engine: str) -> list[str]:
    if engine != "postgres":
        return []
    return [
        "DROP TRIGGER signal_event_notify ON signal_event",
        "DROP FUNCTION signal_event_notify()",
    ]
