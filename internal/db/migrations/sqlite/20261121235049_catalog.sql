-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_customers" table
CREATE TABLE `new_customers` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `customer_id` text NOT NULL, `name` text NULL, `email` text NULL, `billing_id` text NULL, `billing_currency` text NULL, `billing_link_url` text NULL, `additional_meta_data` json NULL, `billing_info` json NULL, `crm_id` text NULL, `crm_hubspot_company_id` text NULL, `crm_hubspot_company_url` text NULL, `salesforce_id` text NULL, `aws_marketplace_customer_id` text NULL, `default_payment_method_id` text NULL, `default_payment_method_type` text NULL, `default_payment_method_last4_digits` text NULL, `default_payment_expiration_month` integer NULL, `default_payment_expiration_year` integer NULL, `exclude_from_experiment` bool NULL, `deleted_at` datetime NULL, `coupon_id` uuid NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `customers_coupons_customers` FOREIGN KEY (`coupon_id`) REFERENCES `coupons` (`id`) ON DELETE SET NULL, CONSTRAINT `customers_environments_customers` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "customers" to new temporary table "new_customers"
INSERT INTO `new_customers` (`id`, `created_at`, `updated_at`, `customer_id`, `name`, `email`, `billing_id`, `billing_currency`, `billing_link_url`, `additional_meta_data`, `billing_info`, `crm_id`, `crm_hubspot_company_id`, `crm_hubspot_company_url`, `salesforce_id`, `aws_marketplace_customer_id`, `default_payment_method_id`, `default_payment_method_type`, `default_payment_method_last4_digits`, `default_payment_expiration_month`, `default_payment_expiration_year`, `exclude_from_experiment`, `deleted_at`, `environment_id`) SELECT `id`, `created_at`, `updated_at`, `customer_id`, `name`, `email`, `billing_id`, `billing_currency`, `billing_link_url`, `additional_meta_data`, `billing_info`, `crm_id`, `crm_hubspot_company_id`, `crm_hubspot_company_url`, `salesforce_id`, `aws_marketplace_customer_id`, `default_payment_method_id`, `default_payment_method_type`, `default_payment_method_last4_digits`, `default_payment_expiration_month`, `default_payment_expiration_year`, `exclude_from_experiment`, `deleted_at`, `environment_id` FROM `customers`;
-- Drop "customers" table after copying rows
DROP TABLE `customers`;
-- Rename temporary table "new_customers" to "customers"
ALTER TABLE `new_customers` RENAME TO `customers`;
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
-- Create "new_customer_subscriptions" table
CREATE TABLE `new_customer_subscriptions` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ref_id` text NOT NULL, `resource_id` text NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `pricing_type` text NOT NULL DEFAULT ('FREE'), `payment_collection` text NOT NULL DEFAULT ('NOT_REQUIRED'), `billing_period` text NULL, `start_date` datetime NOT NULL, `end_date` datetime NULL, `trial_end_date` datetime NULL, `cancellation_date` datetime NULL, `effective_end_date` datetime NULL, `cancel_reason` text NULL, `current_billing_period_start` datetime NULL, `current_billing_period_end` datetime NULL, `billing_id` text NULL, `billing_link_url` text NULL, `previous_billing_id` text NULL, `crm_id` text NULL, `crm_link_url` text NULL, `salesforce_id` text NULL, `additional_meta_data` json NULL, `was_in_trial` bool NOT NULL DEFAULT (false), `trial_end_behavior` text NULL, `coupon_id` uuid NULL, `customer_id` uuid NOT NULL, `paying_customer_id` uuid NULL, `environment_id` uuid NOT NULL, `plan_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `customer_subscriptions_coupons_subscriptions` FOREIGN KEY (`coupon_id`) REFERENCES `coupons` (`id`) ON DELETE SET NULL, CONSTRAINT `customer_subscriptions_customers_subscriptions` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `customer_subscriptions_customers_paid_subscriptions` FOREIGN KEY (`paying_customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL, CONSTRAINT `customer_subscriptions_environments_subscriptions` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE, CONSTRAINT `customer_subscriptions_plans_subscriptions` FOREIGN KEY (`plan_id`) REFERENCES `plans` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "customer_subscriptions" to new temporary table "new_customer_subscriptions"
INSERT INTO `new_customer_subscriptions` (`id`, `created_at`, `updated_at`, `ref_id`, `resource_id`, `status`, `pricing_type`, `payment_collection`, `billing_period`, `start_date`, `end_date`, `trial_end_date`, `cancellation_date`, `effective_end_date`, `cancel_reason`, `current_billing_period_start`, `current_billing_period_end`, `billing_id`, `billing_link_url`, `previous_billing_id`, `crm_id`, `crm_link_url`, `salesforce_id`, `additional_meta_data`, `was_in_trial`, `customer_id`, `paying_customer_id`, `environment_id`) SELECT `id`, `created_at`, `updated_at`, `ref_id`, `resource_id`, `status`, `pricing_type`, `payment_collection`, `billing_period`, `start_date`, `end_date`, `trial_end_date`, `cancellation_date`, `effective_end_date`, `cancel_reason`, `current_billing_period_start`, `current_billing_period_end`, `billing_id`, `billing_link_url`, `previous_billing_id`, `crm_id`, `crm_link_url`, `salesforce_id`, `additional_meta_data`, `was_in_trial`, `customer_id`, `paying_customer_id`, `environment_id` FROM `customer_subscriptions`;
-- Drop "customer_subscriptions" table after copying rows
DROP TABLE `customer_subscriptions`;
-- Rename temporary table "new_customer_subscriptions" to "customer_subscriptions"
ALTER TABLE `new_customer_subscriptions` RENAME TO `customer_subscriptions`;
-- Create index "customersubscription_environment_id_ref_id" to table: "customer_subscriptions"
CREATE UNIQUE INDEX `customersubscription_environment_id_ref_id` ON `customer_subscriptions` (`environment_id`, `ref_id`);
-- Create index "customersubscription_customer_id_status" to table: "customer_subscriptions"
CREATE INDEX `customersubscription_customer_id_status` ON `customer_subscriptions` (`customer_id`, `status`);
-- Create index "customersubscription_environment_id_created_at_id" to table: "customer_subscriptions"
CREATE INDEX `customersubscription_environment_id_created_at_id` ON `customer_subscriptions` (`environment_id`, `created_at`, `id`);
-- Create index "customersubscription_plan_id" to table: "customer_subscriptions"
CREATE INDEX `customersubscription_plan_id` ON `customer_subscriptions` (`plan_id`);
-- Create "addons" table
CREATE TABLE `addons` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ref_id` text NOT NULL, `source_hash` text NULL, `display_name` text NOT NULL, `description` text NULL, `additional_meta_data` json NULL, `billing_id` text NULL, `pricing_type` text NOT NULL DEFAULT ('FREE'), `version_number` integer NOT NULL DEFAULT (1), `status` text NOT NULL DEFAULT ('PUBLISHED'), `hidden_from_widgets` json NULL, `max_quantity` real NULL, `environment_id` uuid NOT NULL, `product_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `addons_environments_addons` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE, CONSTRAINT `addons_products_addons` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE CASCADE);
-- Create index "addon_environment_id_ref_id" to table: "addons"
CREATE UNIQUE INDEX `addon_environment_id_ref_id` ON `addons` (`environment_id`, `ref_id`);
-- Create index "addon_environment_id_created_at_id" to table: "addons"
CREATE INDEX `addon_environment_id_created_at_id` ON `addons` (`environment_id`, `created_at`, `id`);
-- Create index "addon_product_id" to table: "addons"
CREATE INDEX `addon_product_id` ON `addons` (`product_id`);
-- Create "coupons" table
CREATE TABLE `coupons` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ref_id` text NOT NULL, `source_hash` text NULL, `name` text NOT NULL, `description` text NULL, `additional_meta_data` json NULL, `type` text NOT NULL, `discount_value` real NOT NULL, `percent_off` real NULL, `amounts_off` json NULL, `duration_in_months` integer NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `source` text NOT NULL DEFAULT ('STIGG'), `billing_id` text NULL, `billing_link_url` text NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `coupons_environments_coupons` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "coupon_environment_id_ref_id" to table: "coupons"
CREATE UNIQUE INDEX `coupon_environment_id_ref_id` ON `coupons` (`environment_id`, `ref_id`);
-- Create index "coupon_environment_id_created_at_id" to table: "coupons"
CREATE INDEX `coupon_environment_id_created_at_id` ON `coupons` (`environment_id`, `created_at`, `id`);
-- Create "features" table
CREATE TABLE `features` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ref_id` text NOT NULL, `source_hash` text NULL, `display_name` text NOT NULL, `description` text NULL, `additional_meta_data` json NULL, `feature_type` text NOT NULL, `meter_type` text NOT NULL DEFAULT ('None'), `feature_status` text NOT NULL DEFAULT ('ACTIVE'), `feature_units` text NULL, `feature_units_plural` text NULL, `enum_configuration` json NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `features_environments_features` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "feature_environment_id_ref_id" to table: "features"
CREATE UNIQUE INDEX `feature_environment_id_ref_id` ON `features` (`environment_id`, `ref_id`);
-- Create index "feature_environment_id_created_at_id" to table: "features"
CREATE INDEX `feature_environment_id_created_at_id` ON `features` (`environment_id`, `created_at`, `id`);
-- Create "package_entitlements" table
CREATE TABLE `package_entitlements` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `usage_limit` real NULL, `has_unlimited_usage` bool NOT NULL DEFAULT (false), `has_soft_limit` bool NOT NULL DEFAULT (false), `reset_period` text NULL, `enum_values` json NULL, `display_name_override` text NULL, `description` text NULL, `hidden_from_widgets` json NULL, `is_custom` bool NOT NULL DEFAULT (false), `behavior` text NOT NULL DEFAULT ('Increment'), `position` integer NOT NULL DEFAULT (0), `addon_id` uuid NULL, `environment_id` uuid NOT NULL, `feature_id` uuid NOT NULL, `plan_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `package_entitlements_addons_entitlements` FOREIGN KEY (`addon_id`) REFERENCES `addons` (`id`) ON DELETE CASCADE, CONSTRAINT `package_entitlements_environments_package_entitlements` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE, CONSTRAINT `package_entitlements_features_entitlements` FOREIGN KEY (`feature_id`) REFERENCES `features` (`id`) ON DELETE NO ACTION, CONSTRAINT `package_entitlements_plans_entitlements` FOREIGN KEY (`plan_id`) REFERENCES `plans` (`id`) ON DELETE CASCADE);
-- Create index "packageentitlement_plan_id_feature_id" to table: "package_entitlements"
CREATE UNIQUE INDEX `packageentitlement_plan_id_feature_id` ON `package_entitlements` (`plan_id`, `feature_id`);
-- Create index "packageentitlement_addon_id_feature_id" to table: "package_entitlements"
CREATE UNIQUE INDEX `packageentitlement_addon_id_feature_id` ON `package_entitlements` (`addon_id`, `feature_id`);
-- Create index "packageentitlement_feature_id" to table: "package_entitlements"
CREATE INDEX `packageentitlement_feature_id` ON `package_entitlements` (`feature_id`);
-- Create "plans" table
CREATE TABLE `plans` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ref_id` text NOT NULL, `source_hash` text NULL, `display_name` text NOT NULL, `description` text NULL, `additional_meta_data` json NULL, `billing_id` text NULL, `pricing_type` text NOT NULL DEFAULT ('FREE'), `version_number` integer NOT NULL DEFAULT (1), `status` text NOT NULL DEFAULT ('PUBLISHED'), `hidden_from_widgets` json NULL, `trial_duration` integer NULL, `trial_units` text NULL, `trial_end_behavior` text NULL, `environment_id` uuid NOT NULL, `base_plan_id` uuid NULL, `product_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `plans_environments_plans` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE, CONSTRAINT `plans_plans_children` FOREIGN KEY (`base_plan_id`) REFERENCES `plans` (`id`) ON DELETE SET NULL, CONSTRAINT `plans_products_plans` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE CASCADE);
-- Create index "plan_environment_id_ref_id" to table: "plans"
CREATE UNIQUE INDEX `plan_environment_id_ref_id` ON `plans` (`environment_id`, `ref_id`);
-- Create index "plan_environment_id_created_at_id" to table: "plans"
CREATE INDEX `plan_environment_id_created_at_id` ON `plans` (`environment_id`, `created_at`, `id`);
-- Create index "plan_product_id" to table: "plans"
CREATE INDEX `plan_product_id` ON `plans` (`product_id`);
-- Create "prices" table
CREATE TABLE `prices` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `billing_model` text NOT NULL, `billing_period` text NOT NULL, `billing_cadence` text NOT NULL DEFAULT ('RECURRING'), `amount` real NULL, `currency` text NOT NULL DEFAULT ('USD'), `tiers` json NULL, `tiers_mode` text NULL, `min_unit_quantity` real NULL, `max_unit_quantity` real NULL, `block_size` real NULL, `billing_country_code` text NULL, `billing_id` text NULL, `position` integer NOT NULL DEFAULT (0), `archived` bool NOT NULL DEFAULT (false), `addon_id` uuid NULL, `environment_id` uuid NOT NULL, `feature_id` uuid NULL, `plan_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `prices_addons_prices` FOREIGN KEY (`addon_id`) REFERENCES `addons` (`id`) ON DELETE CASCADE, CONSTRAINT `prices_environments_prices` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE, CONSTRAINT `prices_features_prices` FOREIGN KEY (`feature_id`) REFERENCES `features` (`id`) ON DELETE SET NULL, CONSTRAINT `prices_plans_prices` FOREIGN KEY (`plan_id`) REFERENCES `plans` (`id`) ON DELETE CASCADE);
-- Create index "price_plan_id_key" to table: "prices"
CREATE UNIQUE INDEX `price_plan_id_key` ON `prices` (`plan_id`, `key`);
-- Create index "price_addon_id_key" to table: "prices"
CREATE UNIQUE INDEX `price_addon_id_key` ON `prices` (`addon_id`, `key`);
-- Create index "price_feature_id" to table: "prices"
CREATE INDEX `price_feature_id` ON `prices` (`feature_id`);
-- Create "products" table
CREATE TABLE `products` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `ref_id` text NOT NULL, `source_hash` text NULL, `display_name` text NULL, `description` text NULL, `additional_meta_data` json NULL, `is_default_product` bool NOT NULL DEFAULT (false), `multiple_subscriptions` bool NOT NULL DEFAULT (false), `status` text NOT NULL DEFAULT ('PUBLISHED'), `downgrade_plan_id` uuid NULL, `environment_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `products_environments_products` FOREIGN KEY (`environment_id`) REFERENCES `environments` (`id`) ON DELETE CASCADE);
-- Create index "product_environment_id_ref_id" to table: "products"
CREATE UNIQUE INDEX `product_environment_id_ref_id` ON `products` (`environment_id`, `ref_id`);
-- Create index "product_environment_id_created_at_id" to table: "products"
CREATE INDEX `product_environment_id_created_at_id` ON `products` (`environment_id`, `created_at`, `id`);
-- Create "subscription_addons" table
CREATE TABLE `subscription_addons` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `quantity` real NOT NULL DEFAULT (1), `addon_id` uuid NOT NULL, `subscription_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `subscription_addons_addons_subscription_addons` FOREIGN KEY (`addon_id`) REFERENCES `addons` (`id`) ON DELETE NO ACTION, CONSTRAINT `subscription_addons_customer_subscriptions_addons` FOREIGN KEY (`subscription_id`) REFERENCES `customer_subscriptions` (`id`) ON DELETE CASCADE);
-- Create index "subscriptionaddon_subscription_id_addon_id" to table: "subscription_addons"
CREATE UNIQUE INDEX `subscriptionaddon_subscription_id_addon_id` ON `subscription_addons` (`subscription_id`, `addon_id`);
-- Create index "subscriptionaddon_addon_id" to table: "subscription_addons"
CREATE INDEX `subscriptionaddon_addon_id` ON `subscription_addons` (`addon_id`);
-- Create "subscription_prices" table
CREATE TABLE `subscription_prices` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `usage_limit` real NULL, `subscription_id` uuid NOT NULL, `price_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `subscription_prices_customer_subscriptions_prices` FOREIGN KEY (`subscription_id`) REFERENCES `customer_subscriptions` (`id`) ON DELETE CASCADE, CONSTRAINT `subscription_prices_prices_subscription_prices` FOREIGN KEY (`price_id`) REFERENCES `prices` (`id`) ON DELETE NO ACTION);
-- Create index "subscriptionprice_subscription_id_price_id" to table: "subscription_prices"
CREATE UNIQUE INDEX `subscriptionprice_subscription_id_price_id` ON `subscription_prices` (`subscription_id`, `price_id`);
-- Create index "subscriptionprice_price_id" to table: "subscription_prices"
CREATE INDEX `subscriptionprice_price_id` ON `subscription_prices` (`price_id`);
-- Create "addon_dependencies" table
CREATE TABLE `addon_dependencies` (`addon_id` uuid NOT NULL, `dependent_id` uuid NOT NULL, PRIMARY KEY (`addon_id`, `dependent_id`), CONSTRAINT `addon_dependencies_addon_id` FOREIGN KEY (`addon_id`) REFERENCES `addons` (`id`) ON DELETE CASCADE, CONSTRAINT `addon_dependencies_dependent_id` FOREIGN KEY (`dependent_id`) REFERENCES `addons` (`id`) ON DELETE CASCADE);
-- Create "plan_compatible_addons" table
CREATE TABLE `plan_compatible_addons` (`plan_id` uuid NOT NULL, `addon_id` uuid NOT NULL, PRIMARY KEY (`plan_id`, `addon_id`), CONSTRAINT `plan_compatible_addons_plan_id` FOREIGN KEY (`plan_id`) REFERENCES `plans` (`id`) ON DELETE CASCADE, CONSTRAINT `plan_compatible_addons_addon_id` FOREIGN KEY (`addon_id`) REFERENCES `addons` (`id`) ON DELETE CASCADE);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
