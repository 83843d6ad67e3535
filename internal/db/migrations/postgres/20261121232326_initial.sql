-- Create "environments" table
CREATE TABLE "environments" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "slug" character varying NOT NULL, "display_name" character varying NOT NULL, "description" character varying NULL, "is_sandbox" boolean NOT NULL DEFAULT false, PRIMARY KEY ("id"));
-- Create index "environments_slug_key" to table: "environments"
CREATE UNIQUE INDEX "environments_slug_key" ON "environments" ("slug");
-- Create "api_keys" table
CREATE TABLE "api_keys" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "display_name" character varying NOT NULL, "key_type" character varying NOT NULL DEFAULT 'SERVER', "secret_hash" character varying NOT NULL, "prefix" character varying NOT NULL, "expire_at" timestamptz NULL, "revoked_at" timestamptz NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "api_keys_environments_api_keys" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "api_keys_secret_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX "api_keys_secret_hash_key" ON "api_keys" ("secret_hash");
-- Create index "apikey_environment_id" to table: "api_keys"
CREATE INDEX "apikey_environment_id" ON "api_keys" ("environment_id");
-- Create "customers" table
CREATE TABLE "customers" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "customer_id" character varying NOT NULL, "name" character varying NULL, "email" character varying NULL, "billing_id" character varying NULL, "billing_currency" character varying NULL, "billing_link_url" character varying NULL, "additional_meta_data" jsonb NULL, "crm_id" character varying NULL, "crm_hubspot_company_id" character varying NULL, "crm_hubspot_company_url" character varying NULL, "salesforce_id" character varying NULL, "aws_marketplace_customer_id" character varying NULL, "default_payment_method_id" character varying NULL, "default_payment_method_type" character varying NULL, "default_payment_method_last4_digits" character varying NULL, "default_payment_expiration_month" bigint NULL, "default_payment_expiration_year" bigint NULL, "exclude_from_experiment" boolean NULL, "deleted_at" timestamptz NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "customers_environments_customers" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "customer_env_customer_id" to table: "customers"
CREATE INDEX "customer_env_customer_id" ON "customers" ("environment_id", "customer_id");
-- Create index "customer_env_customer_id_live" to table: "customers"
CREATE UNIQUE INDEX "customer_env_customer_id_live" ON "customers" ("environment_id", "customer_id") WHERE (deleted_at IS NULL);
-- Create index "customer_environment_id_billing_id" to table: "customers"
CREATE INDEX "customer_environment_id_billing_id" ON "customers" ("environment_id", "billing_id");
-- Create index "customer_environment_id_created_at_id" to table: "customers"
CREATE INDEX "customer_environment_id_created_at_id" ON "customers" ("environment_id", "created_at", "id");
-- Create index "customer_environment_id_email" to table: "customers"
CREATE INDEX "customer_environment_id_email" ON "customers" ("environment_id", "email");
-- Create index "customer_environment_id_updated_at_id" to table: "customers"
CREATE INDEX "customer_environment_id_updated_at_id" ON "customers" ("environment_id", "updated_at", "id");
-- Create "customer_subscriptions" table
CREATE TABLE "customer_subscriptions" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "ref_id" character varying NOT NULL, "resource_id" character varying NULL, "plan_ref_id" character varying NULL, "status" character varying NOT NULL DEFAULT 'ACTIVE', "pricing_type" character varying NOT NULL DEFAULT 'FREE', "payment_collection" character varying NOT NULL DEFAULT 'NOT_REQUIRED', "billing_period" character varying NULL, "start_date" timestamptz NOT NULL, "end_date" timestamptz NULL, "trial_end_date" timestamptz NULL, "cancellation_date" timestamptz NULL, "effective_end_date" timestamptz NULL, "cancel_reason" character varying NULL, "current_billing_period_start" timestamptz NULL, "current_billing_period_end" timestamptz NULL, "billing_id" character varying NULL, "billing_link_url" character varying NULL, "previous_billing_id" character varying NULL, "crm_id" character varying NULL, "crm_link_url" character varying NULL, "salesforce_id" character varying NULL, "additional_meta_data" jsonb NULL, "was_in_trial" boolean NOT NULL DEFAULT false, "customer_id" uuid NOT NULL, "paying_customer_id" uuid NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "customer_subscriptions_customers_paid_subscriptions" FOREIGN KEY ("paying_customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "customer_subscriptions_customers_subscriptions" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "customer_subscriptions_environments_subscriptions" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "customersubscription_customer_id_status" to table: "customer_subscriptions"
CREATE INDEX "customersubscription_customer_id_status" ON "customer_subscriptions" ("customer_id", "status");
-- Create index "customersubscription_environment_id_created_at_id" to table: "customer_subscriptions"
CREATE INDEX "customersubscription_environment_id_created_at_id" ON "customer_subscriptions" ("environment_id", "created_at", "id");
-- Create index "customersubscription_environment_id_ref_id" to table: "customer_subscriptions"
CREATE UNIQUE INDEX "customersubscription_environment_id_ref_id" ON "customer_subscriptions" ("environment_id", "ref_id");
-- Create "promotional_entitlements" table
CREATE TABLE "promotional_entitlements" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "feature_ref_id" character varying NOT NULL, "grant_period" character varying NOT NULL, "start_date" timestamptz NOT NULL, "end_date" timestamptz NULL, "usage_limit" double precision NULL, "has_unlimited_usage" boolean NULL, "has_soft_limit" boolean NULL, "reset_period" character varying NULL, "reset_period_configuration" jsonb NULL, "enum_values" jsonb NULL, "is_visible" boolean NOT NULL DEFAULT true, "description" character varying NULL, "customer_id" uuid NOT NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "promotional_entitlements_customers_promotional_entitlements" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "promotional_entitlements_environments_promotional_entitlements" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "promotionalentitlement_customer_id_feature_ref_id" to table: "promotional_entitlements"
CREATE UNIQUE INDEX "promotionalentitlement_customer_id_feature_ref_id" ON "promotional_entitlements" ("customer_id", "feature_ref_id");
-- Create index "promotionalentitlement_environment_id_created_at_id" to table: "promotional_entitlements"
CREATE INDEX "promotionalentitlement_environment_id_created_at_id" ON "promotional_entitlements" ("environment_id", "created_at", "id");
-- Create "sync_states" table
CREATE TABLE "sync_states" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "entity_type" character varying NOT NULL, "entity_id" uuid NOT NULL, "vendor_identifier" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "error" character varying NULL, "synced_entity_id" character varying NULL, "customer_id" uuid NOT NULL, "environment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sync_states_customers_sync_states" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "sync_states_environments_sync_states" FOREIGN KEY ("environment_id") REFERENCES "environments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "syncstate_customer_id" to table: "sync_states"
CREATE INDEX "syncstate_customer_id" ON "sync_states" ("customer_id");
-- Create index "syncstate_entity_id_vendor_identifier" to table: "sync_states"
CREATE UNIQUE INDEX "syncstate_entity_id_vendor_identifier" ON "sync_states" ("entity_id", "vendor_identifier");
