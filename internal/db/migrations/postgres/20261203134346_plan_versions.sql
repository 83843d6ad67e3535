-- Drop index "plan_environment_id_ref_id" from table: "plans"
DROP INDEX "plan_environment_id_ref_id";
-- Modify "plans" table
ALTER TABLE "plans" ADD COLUMN "is_latest" boolean NOT NULL DEFAULT true;
-- Create index "plan_environment_id_ref_id_version_number" to table: "plans"
CREATE UNIQUE INDEX "plan_environment_id_ref_id_version_number" ON "plans" ("environment_id", "ref_id", "version_number");
-- The plans of an existing database are their first version.
UPDATE "plans" SET "version_number" = 1;
