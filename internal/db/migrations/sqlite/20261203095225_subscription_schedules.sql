-- Add column "feature_group_ids" to table: "promotional_entitlements"
ALTER TABLE `promotional_entitlements` ADD COLUMN `feature_group_ids` json NULL;
-- Create "subscription_schedules" table
CREATE TABLE `subscription_schedules` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `environment_id` uuid NOT NULL, `schedule_type` text NOT NULL, `status` text NOT NULL DEFAULT ('Scheduled'), `execute_at` datetime NOT NULL, `change` json NOT NULL, `error` text NULL, `subscription_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `subscription_schedules_customer_subscriptions_schedules` FOREIGN KEY (`subscription_id`) REFERENCES `customer_subscriptions` (`id`) ON DELETE CASCADE);
-- Create index "subscriptionschedule_status_execute_at" to table: "subscription_schedules"
CREATE INDEX `subscriptionschedule_status_execute_at` ON `subscription_schedules` (`status`, `execute_at`);
-- Create index "subscriptionschedule_subscription_id_status" to table: "subscription_schedules"
CREATE INDEX `subscriptionschedule_subscription_id_status` ON `subscription_schedules` (`subscription_id`, `status`);
