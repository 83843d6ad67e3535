-- Modify "customers" table
ALTER TABLE "customers" ADD COLUMN "billing_info" jsonb NULL;
-- Create "outbox_events" table
CREATE TABLE "outbox_events" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "kind" character varying NOT NULL, "entity_id" uuid NOT NULL, "customer_id" uuid NOT NULL, "vendor_identifier" character varying NOT NULL DEFAULT 'STRIPE', "idempotency_key" character varying NOT NULL, "attempts" bigint NOT NULL DEFAULT 0, "next_attempt_at" timestamptz NOT NULL, "claimed_until" timestamptz NULL, "claim_token" uuid NULL, "last_error" character varying NULL, "delivered_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create index "outbox_events_idempotency_key_key" to table: "outbox_events"
CREATE UNIQUE INDEX "outbox_events_idempotency_key_key" ON "outbox_events" ("idempotency_key");
-- Create index "outboxevent_delivered_at" to table: "outbox_events"
CREATE INDEX "outboxevent_delivered_at" ON "outbox_events" ("delivered_at");
-- Create index "outboxevent_entity_id_vendor_identifier" to table: "outbox_events"
CREATE INDEX "outboxevent_entity_id_vendor_identifier" ON "outbox_events" ("entity_id", "vendor_identifier");
-- Create index "outboxevent_pending_due" to table: "outbox_events"
CREATE INDEX "outboxevent_pending_due" ON "outbox_events" ("next_attempt_at") WHERE (delivered_at IS NULL);
