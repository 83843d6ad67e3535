-- Written by hand: ent cannot describe triggers, functions or operator
-- classes. See internal/db/migrations/search.go for what these are and how
-- the application reads them.

-- customer_versions counts the writes to each environment's customers, in
-- the same transaction as the write (statement-level triggers), so that a
-- cached totalCount is reused only while its environment's version is
-- unchanged, whichever replica wrote.
CREATE TABLE "customer_versions" ("environment_id" uuid NOT NULL PRIMARY KEY, "version" bigint NOT NULL);
CREATE FUNCTION "customers_bump_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_versions (environment_id, version)
    SELECT DISTINCT environment_id, 1 FROM changed
    ON CONFLICT (environment_id) DO UPDATE SET version = customer_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "customers_version_insert" AFTER INSERT ON "customers" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customers_bump_version"();
CREATE TRIGGER "customers_version_update" AFTER UPDATE ON "customers" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customers_bump_version"();
CREATE TRIGGER "customers_version_delete" AFTER DELETE ON "customers" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customers_bump_version"();

-- customer_email_trgm: a trigram GIN index on email, which PostgreSQL uses
-- for ILIKE '%term%' by itself. pg_trgm ships with PostgreSQL (contrib) and
-- is a trusted extension (a database owner may create it); it goes into
-- public so that dropping some other schema never takes it away. Where it
-- cannot be created the migration goes on without the index and searches
-- scan, as before.
DO $$
DECLARE
  ext_schema name;
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
  EXCEPTION
    WHEN unique_violation OR duplicate_object THEN NULL; -- created concurrently
    WHEN insufficient_privilege OR undefined_file OR invalid_schema_name THEN
      RAISE NOTICE 'pg_trgm is not available (%): email search will scan', SQLERRM;
  END;
  SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX customer_email_trgm ON customers USING gin (email %I.gin_trgm_ops)', ext_schema);
  END IF;
END
$$;
