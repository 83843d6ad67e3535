-- Drop index "customer_environment_id_created_at_id" from table: "customers"
DROP INDEX `customer_environment_id_created_at_id`;
-- Create index "customer_env_created_covering" to table: "customers"
CREATE INDEX `customer_env_created_covering` ON `customers` (`environment_id`, `created_at`, `id`, `deleted_at`, `email`);
