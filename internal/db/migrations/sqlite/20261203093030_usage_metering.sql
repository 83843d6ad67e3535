-- Add column "meter" to table: "features"
ALTER TABLE `features` ADD COLUMN `meter` json NULL;
-- Create "entitlement_checks" table
CREATE TABLE `entitlement_checks` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `customer_ref_id` text NOT NULL, `feature_ref_id` text NOT NULL, `resource_id` text NOT NULL DEFAULT (''), `has_access` bool NOT NULL, `access_denied_reason` text NULL, `requested_usage` real NULL, `requested_values` json NULL, PRIMARY KEY (`id`));
-- Create index "entitlementcheck_environment_id_e70474e0441ee95f82937acd5b0f5562" to table: "entitlement_checks"
CREATE INDEX `entitlementcheck_environment_id_e70474e0441ee95f82937acd5b0f5562` ON `entitlement_checks` (`environment_id`, `customer_ref_id`, `feature_ref_id`, `created_at`);
-- Create "usage_counters" table
CREATE TABLE `usage_counters` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `resource_id` text NOT NULL DEFAULT (''), `period_start` datetime NOT NULL, `value` real NOT NULL DEFAULT (0), `customer_id` uuid NOT NULL, `feature_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `usage_counters_customers_usage_counters` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `usage_counters_features_usage_counters` FOREIGN KEY (`feature_id`) REFERENCES `features` (`id`) ON DELETE CASCADE);
-- Create index "usagecounter_customer_id_feature_id_resource_id_period_start" to table: "usage_counters"
CREATE UNIQUE INDEX `usagecounter_customer_id_feature_id_resource_id_period_start` ON `usage_counters` (`customer_id`, `feature_id`, `resource_id`, `period_start`);
-- Create index "usagecounter_feature_id" to table: "usage_counters"
CREATE INDEX `usagecounter_feature_id` ON `usage_counters` (`feature_id`);
-- Create "usage_events" table
CREATE TABLE `usage_events` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `resource_id` text NOT NULL DEFAULT (''), `event_name` text NOT NULL, `idempotency_key` text NOT NULL, `timestamp` datetime NOT NULL, `dimensions` json NULL, `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `usage_events_customers_usage_events` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- Create index "usageevent_environment_id_idempotency_key" to table: "usage_events"
CREATE UNIQUE INDEX `usageevent_environment_id_idempotency_key` ON `usage_events` (`environment_id`, `idempotency_key`);
-- Create index "usageevent_customer_id_resource_id_timestamp" to table: "usage_events"
CREATE INDEX `usageevent_customer_id_resource_id_timestamp` ON `usage_events` (`customer_id`, `resource_id`, `timestamp`);
-- Create "usage_measurements" table
CREATE TABLE `usage_measurements` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `resource_id` text NOT NULL DEFAULT (''), `value` real NOT NULL, `update_behavior` text NOT NULL DEFAULT ('DELTA'), `delta` real NOT NULL, `current_usage` real NOT NULL, `period_start` datetime NOT NULL, `timestamp` datetime NOT NULL, `dimensions` json NULL, `customer_id` uuid NOT NULL, `feature_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `usage_measurements_customers_usage_measurements` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `usage_measurements_features_usage_measurements` FOREIGN KEY (`feature_id`) REFERENCES `features` (`id`) ON DELETE CASCADE);
-- Create index "usagemeasurement_customer_id_feature_id_resource_id_timestamp" to table: "usage_measurements"
CREATE INDEX `usagemeasurement_customer_id_feature_id_resource_id_timestamp` ON `usage_measurements` (`customer_id`, `feature_id`, `resource_id`, `timestamp`);
-- Create index "usagemeasurement_feature_id" to table: "usage_measurements"
CREATE INDEX `usagemeasurement_feature_id` ON `usage_measurements` (`feature_id`);
