-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_environments" table
CREATE TABLE `new_environments` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `display_name` text NOT NULL, `description` text NULL, `is_sandbox` bool NOT NULL DEFAULT (false), `signing_secret` text NULL, `hardened_client_access` bool NOT NULL DEFAULT (false), PRIMARY KEY (`id`));
-- Copy rows from old table "environments" to new temporary table "new_environments"
INSERT INTO `new_environments` (`id`, `created_at`, `updated_at`, `slug`, `display_name`, `description`, `is_sandbox`) SELECT `id`, `created_at`, `updated_at`, `slug`, `display_name`, `description`, `is_sandbox` FROM `environments`;
-- Drop "environments" table after copying rows
DROP TABLE `environments`;
-- Rename temporary table "new_environments" to "environments"
ALTER TABLE `new_environments` RENAME TO `environments`;
-- Create index "environments_slug_key" to table: "environments"
CREATE UNIQUE INDEX `environments_slug_key` ON `environments` (`slug`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
