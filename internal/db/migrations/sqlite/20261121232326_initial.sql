-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `display_name` text NOT NULL, `key_type` text NOT NULL DEFAULT ('SERVER'), `secret_hash` text NOT NULL, `prefix` text NOT NULL, `expire_at` datetime NULL, `revoked_at` datetime NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `api_keys_environments_api_keys` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "api_keys_secret_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_secret_hash_key` ON `api_keys` (`secret_hash`);
-- Create index "apikey_environment_id" to table: "api_keys"
CREATE INDEX `apikey_environment_id` ON `api_keys` (`environment_id`);
-- Create "customers" table
CREATE TABLE `customers` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `customer_id` text NOT NULL, `name` text NULL, `email` text NULL, `billing_id` text NULL, `billing_currency` text NULL, `billing_link_url` text NULL, `additional_meta_data` json NULL, `crm_id` text NULL, `crm_hubspot_company_id` text NULL, `crm_hubspot_company_url` text NULL, `salesforce_id` text NULL, `aws_marketplace_customer_id` text NULL, `default_payment_method_id` text NULL, `default_payment_method_type` text NULL, `default_payment_method_last4_digits` text NULL, `default_payment_expiration_month` integer NULL, `default_payment_expiration_year` integer NULL, `exclude_from_experiment` bool NULL, `deleted_at` datetime NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `customers_environments_customers` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "customer_env_customer_id_live" to table: "customers"
CREATE UNIQUE INDEX `customer_env_customer_id_live` ON `customers` (`environment_id`, `customer_id`) WHERE deleted_at IS NULL;
-- Create index "customer_env_customer_id" to table: "customers"
CREATE INDEX `customer_env_customer_id` ON `customers` (`environment_id`, `customer_id`);
-- Create index "customer_environment_id_created_at_id" to table: "customers"
CREATE INDEX `customer_environment_id_created_at_id` ON `customers` (`environment_id`, `created_at`, `id`);
-- Create index "customer_environment_id_updated_at_id" to table: "customers"
CREATE INDEX `customer_environment_id_updated_at_id` ON `customers` (`environment_id`, `updated_at`, `id`);
-- Create index "customer_environment_id_email" to table: "customers"
CREATE INDEX `customer_environment_id_email` ON `customers` (`environment_id`, `email`);
-- Create index "customer_environment_id_billing_id" to table: "customers"
CREATE INDEX `customer_environment_id_billing_id` ON `customers` (`environment_id`, `billing_id`);
-- Create "customer_subscriptions" table
CREATE TABLE `customer_subscriptions` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ref_id` text NOT NULL, `resource_id` text NULL, `plan_ref_id` text NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `pricing_type` text NOT NULL DEFAULT ('FREE'), `payment_collection` text NOT NULL DEFAULT ('NOT_REQUIRED'), `billing_period` text NULL, `start_date` datetime NOT NULL, `end_date` datetime NULL, `trial_end_date` datetime NULL, `cancellation_date` datetime NULL, `effective_end_date` datetime NULL, `cancel_reason` text NULL, `current_billing_period_start` datetime NULL, `current_billing_period_end` datetime NULL, `billing_id` text NULL, `billing_link_url` text NULL, `previous_billing_id` text NULL, `crm_id` text NULL, `crm_link_url` text NULL, `salesforce_id` text NULL, `additional_meta_data` json NULL, `was_in_trial` bool NOT NULL DEFAULT (false), `customer_id` uuid NOT NULL, `paying_customer_id` uuid NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `customer_subscriptions_customers_subscriptions` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `customer_subscriptions_customers_paid_subscriptions` FOREIGN KEY (`paying_customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL, CONSTRAINT `customer_subscriptions_environments_subscriptions` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "customersubscription_environment_id_ref_id" to table: "customer_subscriptions"
CREATE UNIQUE INDEX `customersubscription_environment_id_ref_id` ON `customer_subscriptions` (`environment_id`, `ref_id`);
-- Create index "customersubscription_customer_id_status" to table: "customer_subscriptions"
CREATE INDEX `customersubscription_customer_id_status` ON `customer_subscriptions` (`customer_id`, `status`);
-- Create index "customersubscription_environment_id_created_at_id" to table: "customer_subscriptions"
CREATE INDEX `customersubscription_environment_id_created_at_id` ON `customer_subscriptions` (`environment_id`, `created_at`, `id`);
-- Create "environments" table
CREATE TABLE `environments` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `display_name` text NOT NULL, `description` text NULL, `is_sandbox` bool NOT NULL DEFAULT (false), PRIMARY KEY (`id`));
-- Create index "environments_slug_key" to table: "environments"
CREATE UNIQUE INDEX `environments_slug_key` ON `environments` (`slug`);
-- Create "promotional_entitlements" table
CREATE TABLE `promotional_entitlements` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `feature_ref_id` text NOT NULL, `grant_period` text NOT NULL, `start_date` datetime NOT NULL, `end_date` datetime NULL, `usage_limit` real NULL, `has_unlimited_usage` bool NULL, `has_soft_limit` bool NULL, `reset_period` text NULL, `reset_period_configuration` json NULL, `enum_values` json NULL, `is_visible` bool NOT NULL DEFAULT (true), `description` text NULL, `customer_id` uuid NOT NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `promotional_entitlements_customers_promotional_entitlements` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `promotional_entitlements_environments_promotional_entitlements` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "promotionalentitlement_customer_id_feature_ref_id" to table: "promotional_entitlements"
CREATE UNIQUE INDEX `promotionalentitlement_customer_id_feature_ref_id` ON `promotional_entitlements` (`customer_id`, `feature_ref_id`);
-- Create index "promotionalentitlement_environment_id_created_at_id" to table: "promotional_entitlements"
CREATE INDEX `promotionalentitlement_environment_id_created_at_id` ON `promotional_entitlements` (`environment_id`, `created_at`, `id`);
-- Create "sync_states" table
CREATE TABLE `sync_states` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `entity_type` text NOT NULL, `entity_id` uuid NOT NULL, `vendor_identifier` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `error` text NULL, `synced_entity_id` text NULL, `customer_id` uuid NOT NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sync_states_customers_sync_states` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `sync_states_environments_sync_states` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "syncstate_entity_id_vendor_identifier" to table: "sync_states"
CREATE UNIQUE INDEX `syncstate_entity_id_vendor_identifier` ON `sync_states` (`entity_id`, `vendor_identifier`);
-- Create index "syncstate_customer_id" to table: "sync_states"
CREATE INDEX `syncstate_customer_id` ON `sync_states` (`customer_id`);
