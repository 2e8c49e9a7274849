"""Share links (SPEC §12): the keys that sign them, and an index for the reports.

`media_link_key`: one row per key, `generation` 1, 2, … (the highest is the key that signs
new links; its `valid_until` is null). A rotation gives the current key a `valid_until`
(now + grace) and inserts the next generation; every key whose `valid_until` is null or in
the future still verifies. The first key is inserted as generation 1 with ON CONFLICT DO
NOTHING, so instances that need one at the same moment end up with the same key.
The HMAC needs the key itself, so it is stored as is (like producer secrets).

`signal_closed`: the reports read a user's closed signals by `closed_at` (partial: only
closed signals are in it).
"""

from __future__ import annotations

ID = "0006_share_link_keys"


def forwards(engine: str) -> list[str]:
    return [
        """CREATE TABLE "media_link_key" (
            "generation" INTEGER PRIMARY KEY NOT NULL,
            "secret" VARCHAR(128) NOT NULL,
            "created_at" TIMESTAMPTZ NOT NULL,
            "valid_until" TIMESTAMPTZ NULL
        )""",
        """CREATE INDEX "signal_closed" ON "signal" ("user_id", "closed_at")
            WHERE "status" = 'closed'""",
    ]


def backwards(engine: str) -> list[str]:
    return ['DROP INDEX "signal_closed"', 'DROP TABLE "media_link_key"']
