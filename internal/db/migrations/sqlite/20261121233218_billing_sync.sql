-- Add column "billing_info" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `billing_info` json NULL;
-- Create "outbox_events" table
CREATE TABLE `outbox_events` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `kind` text NOT NULL, `entity_id` uuid NOT NULL, `customer_id` uuid NOT NULL, `vendor_identifier` text NOT NULL DEFAULT ('STRIPE'), `idempotency_key` text NOT NULL, `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `claimed_until` datetime NULL, `claim_token` uuid NULL, `last_error` text NULL, `delivered_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "outbox_events_idempotency_key_key" to table: "outbox_events"
CREATE UNIQUE INDEX `outbox_events_idempotency_key_key` ON `outbox_events` (`idempotency_key`);
-- Create index "outboxevent_pending_due" to table: "outbox_events"
CREATE INDEX `outboxevent_pending_due` ON `outbox_events` (`next_attempt_at`) WHERE delivered_at IS NULL;
-- Create index "outboxevent_entity_id_vendor_identifier" to table: "outbox_events"
CREATE INDEX `outboxevent_entity_id_vendor_identifier` ON `outbox_events` (`entity_id`, `vendor_identifier`);
-- Create index "outboxevent_delivered_at" to table: "outbox_events"
CREATE INDEX `outboxevent_delivered_at` ON `outbox_events` (`delivered_at`);
