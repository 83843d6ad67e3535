-- Create "products" table
CREATE TABLE "products" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "ref_id" character varying NOT NULL, "source_hash" character varying NULL, "display_name" character varying NULL, "description" character varying NULL, "additional_meta_data" jsonb NULL, "is_default_product" boolean NOT NULL DEFAULT false, "multiple_subscriptions" boolean NOT NULL DEFAULT false, "status" character varying NOT NULL DEFAULT 'PUBLISHED', "downgrade_plan_id" uuid NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "products_environments_products" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "product_environment_id_created_at_id" to table: "products"
CREATE INDEX "product_environment_id_created_at_id" ON "products" ("environment_id", "created_at", "id");
-- Create index "product_environment_id_ref_id" to table: "products"
CREATE UNIQUE INDEX "product_environment_id_ref_id" ON "products" ("environment_id", "ref_id");
-- Create "addons" table
CREATE TABLE "addons" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "ref_id" character varying NOT NULL, "source_hash" character varying NULL, "display_name" character varying NOT NULL, "description" character varying NULL, "additional_meta_data" jsonb NULL, "billing_id" character varying NULL, "pricing_type" character varying NOT NULL DEFAULT 'FREE', "version_number" bigint NOT NULL DEFAULT 1, "status" character varying NOT NULL DEFAULT 'PUBLISHED', "hidden_from_widgets" jsonb NULL, "max_quantity" double precision NULL, "environment_id" uuid NOT NULL, "product_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "addons_environments_addons" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "addons_products_addons" FOREIGN KEY ("product_id") REFERENCES "products" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "addon_environment_id_created_at_id" to table: "addons"
CREATE INDEX "addon_environment_id_created_at_id" ON "addons" ("environment_id", "created_at", "id");
-- Create index "addon_environment_id_ref_id" to table: "addons"
CREATE UNIQUE INDEX "addon_environment_id_ref_id" ON "addons" ("environment_id", "ref_id");
-- Create index "addon_product_id" to table: "addons"
CREATE INDEX "addon_product_id" ON "addons" ("product_id");
-- Create "addon_dependencies" table
CREATE TABLE "addon_dependencies" ("addon_id" uuid NOT NULL, "dependent_id" uuid NOT NULL, PRIMARY KEY ("addon_id", "dependent_id"), CONSTRAINT "addon_dependencies_addon_id" FOREIGN KEY ("addon_id") REFERENCES "addons" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "addon_dependencies_dependent_id" FOREIGN KEY ("dependent_id") REFERENCES "addons" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create "coupons" table
CREATE TABLE "coupons" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "ref_id" character varying NOT NULL, "source_hash" character varying NULL, "name" character varying NOT NULL, "description" character varying NULL, "additional_meta_data" jsonb NULL, "type" character varying NOT NULL, "discount_value" double precision NOT NULL, "percent_off" double precision NULL, "amounts_off" jsonb NULL, "duration_in_months" bigint NULL, "status" character varying NOT NULL DEFAULT 'ACTIVE', "source" character varying NOT NULL DEFAULT 'STIGG', "billing_id" character varying NULL, "billing_link_url" character varying NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "coupons_environments_coupons" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "coupon_environment_id_created_at_id" to table: "coupons"
CREATE INDEX "coupon_environment_id_created_at_id" ON "coupons" ("environment_id", "created_at", "id");
-- Create index "coupon_environment_id_ref_id" to table: "coupons"
CREATE UNIQUE INDEX "coupon_environment_id_ref_id" ON "coupons" ("environment_id", "ref_id");
-- Create "plans" table
CREATE TABLE "plans" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "ref_id" character varying NOT NULL, "source_hash" character varying NULL, "display_name" character varying NOT NULL, "description" character varying NULL, "additional_meta_data" jsonb NULL, "billing_id" character varying NULL, "pricing_type" character varying NOT NULL DEFAULT 'FREE', "version_number" bigint NOT NULL DEFAULT 1, "status" character varying NOT NULL DEFAULT 'PUBLISHED', "hidden_from_widgets" jsonb NULL, "trial_duration" bigint NULL, "trial_units" character varying NULL, "trial_end_behavior" character varying NULL, "environment_id" uuid NOT NULL, "base_plan_id" uuid NULL, "product_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "plans_environments_plans" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "plans_plans_children" FOREIGN KEY ("base_plan_id") REFERENCES "plans" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "plans_products_plans" FOREIGN KEY ("product_id") REFERENCES "products" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "plan_environment_id_created_at_id" to table: "plans"
CREATE INDEX "plan_environment_id_created_at_id" ON "plans" ("environment_id", "created_at", "id");
-- Create index "plan_environment_id_ref_id" to table: "plans"
CREATE UNIQUE INDEX "plan_environment_id_ref_id" ON "plans" ("environment_id", "ref_id");
-- Create index "plan_product_id" to table: "plans"
CREATE INDEX "plan_product_id" ON "plans" ("product_id");
-- Modify "customer_subscriptions" table
ALTER TABLE "customer_subscriptions" DROP COLUMN "plan_ref_id", ADD COLUMN "trial_end_behavior" character varying NULL, ADD COLUMN "coupon_id" uuid NULL, ADD COLUMN "plan_id" uuid NOT NULL, ADD CONSTRAINT "customer_subscriptions_coupons_subscriptions" FOREIGN KEY ("coupon_id") REFERENCES "coupons" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "customer_subscriptions_plans_subscriptions" FOREIGN KEY ("plan_id") REFERENCES "plans" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Create index "customersubscription_plan_id" to table: "customer_subscriptions"
CREATE INDEX "customersubscription_plan_id" ON "customer_subscriptions" ("plan_id");
-- Modify "customers" table
ALTER TABLE "customers" ADD COLUMN "coupon_id" uuid NULL, ADD CONSTRAINT "customers_coupons_customers" FOREIGN KEY ("coupon_id") REFERENCES "coupons" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Create "features" table
CREATE TABLE "features" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "ref_id" character varying NOT NULL, "source_hash" character varying NULL, "display_name" character varying NOT NULL, "description" character varying NULL, "additional_meta_data" jsonb NULL, "feature_type" character varying NOT NULL, "meter_type" character varying NOT NULL DEFAULT 'None', "feature_status" character varying NOT NULL DEFAULT 'ACTIVE', "feature_units" character varying NULL, "feature_units_plural" character varying NULL, "enum_configuration" jsonb NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "features_environments_features" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "feature_environment_id_created_at_id" to table: "features"
CREATE INDEX "feature_environment_id_created_at_id" ON "features" ("environment_id", "created_at", "id");
-- Create index "feature_environment_id_ref_id" to table: "features"
CREATE UNIQUE INDEX "feature_environment_id_ref_id" ON "features" ("environment_id", "ref_id");
-- Create "package_entitlements" table
CREATE TABLE "package_entitlements" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "usage_limit" double precision NULL, "has_unlimited_usage" boolean NOT NULL DEFAULT false, "has_soft_limit" boolean NOT NULL DEFAULT false, "reset_period" character varying NULL, "enum_values" jsonb NULL, "display_name_override" character varying NULL, "description" character varying NULL, "hidden_from_widgets" jsonb NULL, "is_custom" boolean NOT NULL DEFAULT false, "behavior" character varying NOT NULL DEFAULT 'Increment', "position" bigint NOT NULL DEFAULT 0, "addon_id" uuid NULL, "environment_id" uuid NOT NULL, "feature_id" uuid NOT NULL, "plan_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "package_entitlements_addons_entitlements" FOREIGN KEY ("addon_id") REFERENCES "addons" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "package_entitlements_environments_package_entitlements" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "package_entitlements_features_entitlements" FOREIGN KEY ("feature_id") REFERENCES "features" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "package_entitlements_plans_entitlements" FOREIGN KEY ("plan_id") REFERENCES "plans" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "packageentitlement_addon_id_feature_id" to table: "package_entitlements"
CREATE UNIQUE INDEX "packageentitlement_addon_id_feature_id" ON "package_entitlements" ("addon_id", "feature_id");
-- Create index "packageentitlement_feature_id" to table: "package_entitlements"
CREATE INDEX "packageentitlement_feature_id" ON "package_entitlements" ("feature_id");
-- Create index "packageentitlement_plan_id_feature_id" to table: "package_entitlements"
CREATE UNIQUE INDEX "packageentitlement_plan_id_feature_id" ON "package_entitlements" ("plan_id", "feature_id");
-- Create "plan_compatible_addons" table
CREATE TABLE "plan_compatible_addons" ("plan_id" uuid NOT NULL, "addon_id" uuid NOT NULL, PRIMARY KEY ("plan_id", "addon_id"), CONSTRAINT "plan_compatible_addons_addon_id" FOREIGN KEY ("addon_id") REFERENCES "addons" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "plan_compatible_addons_plan_id" FOREIGN KEY ("plan_id") REFERENCES "plans" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create "prices" table
CREATE TABLE "prices" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "key" character varying NOT NULL, "billing_model" character varying NOT NULL, "billing_period" character varying NOT NULL, "billing_cadence" character varying NOT NULL DEFAULT 'RECURRING', "amount" double precision NULL, "currency" character varying NOT NULL DEFAULT 'USD', "tiers" jsonb NULL, "tiers_mode" character varying NULL, "min_unit_quantity" double precision NULL, "max_unit_quantity" double precision NULL, "block_size" double precision NULL, "billing_country_code" character varying NULL, "billing_id" character varying NULL, "position" bigint NOT NULL DEFAULT 0, "archived" boolean NOT NULL DEFAULT false, "addon_id" uuid NULL, "environment_id" uuid NOT NULL, "feature_id" uuid NULL, "plan_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "prices_addons_prices" FOREIGN KEY ("addon_id") REFERENCES "addons" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "prices_environments_prices" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "prices_features_prices" FOREIGN KEY ("feature_id") REFERENCES "features" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "prices_plans_prices" FOREIGN KEY ("plan_id") REFERENCES "plans" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "price_addon_id_key" to table: "prices"
CREATE UNIQUE INDEX "price_addon_id_key" ON "prices" ("addon_id", "key");
-- Create index "price_feature_id" to table: "prices"
CREATE INDEX "price_feature_id" ON "prices" ("feature_id");
-- Create index "price_plan_id_key" to table: "prices"
CREATE UNIQUE INDEX "price_plan_id_key" ON "prices" ("plan_id", "key");
-- Create "subscription_addons" table
CREATE TABLE "subscription_addons" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "quantity" double precision NOT NULL DEFAULT 1, "addon_id" uuid NOT NULL, "subscription_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "subscription_addons_addons_subscription_addons" FOREIGN KEY ("addon_id") REFERENCES "addons" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "subscription_addons_customer_subscriptions_addons" FOREIGN KEY ("subscription_id") REFERENCES "customer_subscriptions" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "subscriptionaddon_addon_id" to table: "subscription_addons"
CREATE INDEX "subscriptionaddon_addon_id" ON "subscription_addons" ("addon_id");
-- Create index "subscriptionaddon_subscription_id_addon_id" to table: "subscription_addons"
CREATE UNIQUE INDEX "subscriptionaddon_subscription_id_addon_id" ON "subscription_addons" ("subscription_id", "addon_id");
-- Create "subscription_prices" table
CREATE TABLE "subscription_prices" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "usage_limit" double precision NULL, "subscription_id" uuid NOT NULL, "price_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "subscription_prices_customer_subscriptions_prices" FOREIGN KEY ("subscription_id") REFERENCES "customer_subscriptions" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "subscription_prices_prices_subscription_prices" FOREIGN KEY ("price_id") REFERENCES "prices" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "subscriptionprice_price_id" to table: "subscription_prices"
CREATE INDEX "subscriptionprice_price_id" ON "subscription_prices" ("price_id");
-- Create index "subscriptionprice_subscription_id_price_id" to table: "subscription_prices"
CREATE UNIQUE INDEX "subscriptionprice_subscription_id_price_id" ON "subscription_prices" ("subscription_id", "price_id");
