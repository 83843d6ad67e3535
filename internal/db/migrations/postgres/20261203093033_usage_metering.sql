-- Create "entitlement_checks" table
CREATE TABLE "entitlement_checks" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "customer_ref_id" character varying NOT NULL, "feature_ref_id" character varying NOT NULL, "resource_id" character varying NOT NULL DEFAULT '', "has_access" boolean NOT NULL, "access_denied_reason" character varying NULL, "requested_usage" double precision NULL, "requested_values" jsonb NULL, PRIMARY KEY ("id"));
-- Create index "entitlementcheck_environment_i_797d5edf7b6897827a7e5303231ab7bb" to table: "entitlement_checks"
CREATE INDEX "entitlementcheck_environment_i_797d5edf7b6897827a7e5303231ab7bb" ON "entitlement_checks" ("environment_id", "customer_ref_id", "feature_ref_id", "created_at");
-- Modify "features" table
ALTER TABLE "features" ADD COLUMN "meter" jsonb NULL;
-- Create "usage_counters" table
CREATE TABLE "usage_counters" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "resource_id" character varying NOT NULL DEFAULT '', "period_start" timestamptz NOT NULL, "value" double precision NOT NULL DEFAULT 0, "customer_id" uuid NOT NULL, "feature_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "usage_counters_customers_usage_counters" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "usage_counters_features_usage_counters" FOREIGN KEY ("feature_id") REFERENCES "features" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "usagecounter_customer_id_feature_id_resource_id_period_start" to table: "usage_counters"
CREATE UNIQUE INDEX "usagecounter_customer_id_feature_id_resource_id_period_start" ON "usage_counters" ("customer_id", "feature_id", "resource_id", "period_start");
-- Create index "usagecounter_feature_id" to table: "usage_counters"
CREATE INDEX "usagecounter_feature_id" ON "usage_counters" ("feature_id");
-- Create "usage_events" table
CREATE TABLE "usage_events" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "resource_id" character varying NOT NULL DEFAULT '', "event_name" character varying NOT NULL, "idempotency_key" character varying NOT NULL, "timestamp" timestamptz NOT NULL, "dimensions" jsonb NULL, "customer_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "usage_events_customers_usage_events" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "usageevent_customer_id_resource_id_timestamp" to table: "usage_events"
CREATE INDEX "usageevent_customer_id_resource_id_timestamp" ON "usage_events" ("customer_id", "resource_id", "timestamp");
-- Create index "usageevent_environment_id_idempotency_key" to table: "usage_events"
CREATE UNIQUE INDEX "usageevent_environment_id_idempotency_key" ON "usage_events" ("environment_id", "idempotency_key");
-- Create "usage_measurements" table
CREATE TABLE "usage_measurements" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "resource_id" character varying NOT NULL DEFAULT '', "value" double precision NOT NULL, "update_behavior" character varying NOT NULL DEFAULT 'DELTA', "delta" double precision NOT NULL, "current_usage" double precision NOT NULL, "period_start" timestamptz NOT NULL, "timestamp" timestamptz NOT NULL, "dimensions" jsonb NULL, "customer_id" uuid NOT NULL, "feature_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "usage_measurements_customers_usage_measurements" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "usage_measurements_features_usage_measurements" FOREIGN KEY ("feature_id") REFERENCES "features" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "usagemeasurement_customer_id_feature_id_resource_id_timestamp" to table: "usage_measurements"
CREATE INDEX "usagemeasurement_customer_id_feature_id_resource_id_timestamp" ON "usage_measurements" ("customer_id", "feature_id", "resource_id", "timestamp");
-- Create index "usagemeasurement_feature_id" to table: "usage_measurements"
CREATE INDEX "usagemeasurement_feature_id" ON "usage_measurements" ("feature_id");
