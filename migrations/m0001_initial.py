"""Users, API tokens, producers and signals.

Each migration is data: the SQL to go forwards and backwards, per engine ("sqlite" or
"postgres"). Column types follow what Piccolo's own DDL emits for the tables in
adapters/persistence/tables.py, so the ORM reads them back with the right types.
"""

from __future__ import annotations

ID = "0001_initial"


def forwards(engine: str) -> list[str]:
    uuid_default = "" if engine == "sqlite" else " DEFAULT gen_random_uuid()"
    return [
        f"""CREATE TABLE "app_user" (
            "id" UUID PRIMARY KEY NOT NULL{uuid_default},
            "name" VARCHAR(200) NOT NULL,
            "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
        )""",
        f"""CREATE TABLE "api_token" (
            "id" UUID PRIMARY KEY NOT NULL{uuid_default},
            "user_id" UUID NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
            "token_hash" VARCHAR(64) NOT NULL UNIQUE,
            "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
            "revoked_at" TIMESTAMPTZ NULL
        )""",
        """CREATE INDEX "api_token_user_id" ON "api_token" ("user_id")""",
        """CREATE TABLE "producer" (
            "id" VARCHAR(64) PRIMARY KEY NOT NULL,
            "user_id" UUID NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
            "enabled" BOOLEAN NOT NULL DEFAULT true,
            "dedup_window_seconds" INTEGER NOT NULL,
            "secret" VARCHAR(128) NOT NULL,
            "previous_secret" VARCHAR(128) NULL,
            "previous_secret_valid_until" TIMESTAMPTZ NULL,
            "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
        )""",
        f"""CREATE TABLE "signal" (
            "id" UUID PRIMARY KEY NOT NULL{uuid_default},
            "user_id" UUID NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
            "producer_id" VARCHAR(64) NOT NULL,
            "instrument" VARCHAR(32) NOT NULL,
            "side" VARCHAR(4) NOT NULL,
            "price" DOUBLE PRECISION NOT NULL,
            "time" TIMESTAMPTZ NOT NULL,
            "version" VARCHAR(32) NOT NULL,
            "external_id" VARCHAR(128) NULL,
            "status" VARCHAR(16) NOT NULL DEFAULT 'new',
            "payload" JSON NOT NULL,
            "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
            "updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
        )""",
        """CREATE INDEX "signal_user_created" ON "signal" ("user_id", "created_at")""",
        """CREATE INDEX "signal_instrument_status" ON "signal" ("instrument", "status")""",
        """CREATE UNIQUE INDEX "signal_user_external_id" ON "signal" ("user_id", "external_id")""",
        """CREATE INDEX "signal_dedup_window" ON "signal"
            ("user_id", "instrument", "side", "version", "time")""",
    ]


def backwards(engine: str) -> list[str]:
    return [
        'DROP TABLE "signal"',
        'DROP TABLE "producer"',
        'DROP TABLE "api_token"',
        'DROP TABLE "app_user"',
    ]
