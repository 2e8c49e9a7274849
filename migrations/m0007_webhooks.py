"""Outbound webhooks (SPEC §15, docs/webhooks.md).

- webhook_subscription: the user's subscriptions, their secrets (stored as issued: signing
  needs them), the outbox cursor (`event_cursor`: the last event id of the user turned into
  deliveries or skipped), the worker lease (`claimed_until`, `claim_token`) and
  `held_until`: while the receiver fails as a whole, nothing of the subscription is sent
  before the failing delivery's next attempt.
- webhook_delivery: one row per (subscription, event) that matched, with the body to send
  (fixed when the row is made, so every attempt sends the same bytes), its state and when
  the next attempt is due.
- webhook_attempt: one row per attempt made.
Deleting a user or a subscription deletes the rest with it.
"""

from __future__ import annotations

ID = "0007_webhooks"


def forwards(engine: str) -> list[str]:
    return [
        """CREATE TABLE "webhook_subscription" (
            "id" UUID PRIMARY KEY NOT NULL,
            "user_id" UUID NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE,
            "url" TEXT NOT NULL,
            "events" VARCHAR(200) NOT NULL,
            "instrument" VARCHAR(32) NULL,
            "enabled" BOOLEAN NOT NULL,
            "disabled_reason" VARCHAR(200) NULL,
            "secret" VARCHAR(100) NOT NULL,
            "previous_secret" VARCHAR(100) NULL,
            "previous_secret_until" TIMESTAMPTZ NULL,
            "created_at" TIMESTAMPTZ NOT NULL,
            "event_cursor" BIGINT NOT NULL,
            "claimed_until" TIMESTAMPTZ NULL,
            "claim_token" VARCHAR(64) NULL,
            "held_until" TIMESTAMPTZ NULL
        )""",
        'CREATE INDEX "webhook_subscription_user" ON "webhook_subscription" ("user_id")',
        """CREATE TABLE "webhook_delivery" (
            "subscription_id" UUID NOT NULL
                REFERENCES "webhook_subscription" ("id") ON DELETE CASCADE,
            "event_id" BIGINT NOT NULL,
            "event_type" VARCHAR(32) NOT NULL,
            "body" TEXT NOT NULL,
            "status" VARCHAR(16) NOT NULL,
            "attempts" INTEGER NOT NULL,
            "round_start" INTEGER NOT NULL,
            "next_attempt_at" TIMESTAMPTZ NULL,
            "created_at" TIMESTAMPTZ NOT NULL,
            PRIMARY KEY ("subscription_id", "event_id")
        )""",
        """CREATE INDEX "webhook_delivery_due" ON "webhook_delivery"
            ("subscription_id", "next_attempt_at") WHERE "status" = 'pending'""",
        """CREATE TABLE "webhook_attempt" (
            "subscription_id" UUID NOT NULL,
            "event_id" BIGINT NOT NULL,
            "attempt" INTEGER NOT NULL,
            "status" VARCHAR(16) NOT NULL,
            "response_status" INTEGER NULL,
            "error" TEXT NULL,
            "at" TIMESTAMPTZ NOT NULL,
            "next_attempt_at" TIMESTAMPTZ NULL,
            PRIMARY KEY ("subscription_id", "event_id", "attempt"),
            FOREIGN KEY ("subscription_id", "event_id")
                REFERENCES "webhook_delivery" ("subscription_id", "event_id") ON DELETE CASCADE
        )""",
    ]


def backwards(engine: str) -> list[str]:
    return [
        'DROP TABLE "webhook_attempt"',
        'DROP TABLE "webhook_delivery"',
        'DROP TABLE "webhook_subscription"',
    ]
