-- Plans are versioned (one row per version of a refId, see ent/schema/plan.go).
-- Written by hand rather than as ent's table rebuild, so that the plans
-- table keeps its catalog-version triggers.
-- Drop index "plan_environment_id_ref_id" from table: "plans"
DROP INDEX `plan_environment_id_ref_id`;
-- Add column "is_latest" to table: "plans"
ALTER TABLE `plans` ADD COLUMN `is_latest` bool NOT NULL DEFAULT (true);
-- Create index "plan_environment_id_ref_id_version_number" to table: "plans"
CREATE UNIQUE INDEX `plan_environment_id_ref_id_version_number` ON `plans` (`environment_id`, `ref_id`, `version_number`);
-- The plans of an existing database are their first version.
UPDATE `plans` SET `version_number` = 1;
