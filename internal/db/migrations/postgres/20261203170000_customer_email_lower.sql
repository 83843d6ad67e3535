-- Written by hand: ent cannot describe an index on an expression or an
-- operator class. See internal/db/migrations/search.go.
--
-- The email filter's iLike runs on PostgreSQL as
-- lower(email) LIKE lower(pattern), which is what ILIKE computes in a UTF-8
-- database, so both indexes that serve it hold lower(email):
--
-- customer_env_created_email_lower replaces ent's
-- customer_env_created_covering: the same columns, plus lower(email), so
-- that the page of an email search matching many customers (walked newest
-- first in this index alone) reads each entry's lower(email) instead of
-- lowering its email. PostgreSQL would keep using the narrower index if it
-- stayed (and lower email from it). INCLUDE cannot hold an expression, so
-- lower(email) is a key column, the last.
CREATE INDEX "customer_env_created_email_lower" ON "customers" ("environment_id", "created_at", "id", "deleted_at", "email", lower("email"));
DROP INDEX "customer_env_created_covering";

-- customer_email_trgm is built again on lower(email), for the same
-- condition (the trigrams are the same: pg_trgm folds case itself), where
-- pg_trgm is installed (*_customer_search.sql).
DO $$
DECLARE
  ext_schema name;
BEGIN
  SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NOT NULL THEN
    DROP INDEX IF EXISTS customer_email_trgm;
    EXECUTE format('CREATE INDEX customer_email_trgm ON customers USING gin (lower(email) %I.gin_trgm_ops)', ext_schema);
  END IF;
END
$$;

-- Statistics for lower(email), which the planner reads from the new
-- indexes' expression columns: without them it misjudges how many customers
-- a term matches and takes the trigram index for frequent terms too (about
-- 3x PostgreSQL's CPU per search page at 100 000 customers, measured), until
-- autovacuum analyzes the table, which a table that changes little may not
-- need for a long time. ANALYZE reads a bounded sample of the table.
ANALYZE "customers";
