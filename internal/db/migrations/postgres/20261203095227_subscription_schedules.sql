-- Modify "promotional_entitlements" table
ALTER TABLE "promotional_entitlements" ADD COLUMN "feature_group_ids" jsonb NULL;
-- Create "subscription_schedules" table
CREATE TABLE "subscription_schedules" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "environment_id" uuid NOT NULL, "schedule_type" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'Scheduled', "execute_at" timestamptz NOT NULL, "change" jsonb NOT NULL, "error" character varying NULL, "subscription_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "subscription_schedules_customer_subscriptions_schedules" FOREIGN KEY ("subscription_id") REFERENCES "customer_subscriptions" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "subscriptionschedule_status_execute_at" to table: "subscription_schedules"
CREATE INDEX "subscriptionschedule_status_execute_at" ON "subscription_schedules" ("status", "execute_at");
-- Create index "subscriptionschedule_subscription_id_status" to table: "subscription_schedules"
CREATE INDEX "subscriptionschedule_subscription_id_status" ON "subscription_schedules" ("subscription_id", "status");
