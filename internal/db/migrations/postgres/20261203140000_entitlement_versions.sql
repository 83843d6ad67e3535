-- Written by hand: ent cannot describe triggers. See
-- internal/db/migrations/search.go for what this is and how the application
-- reads it.

-- entitlement_versions counts the writes that change what one customer
-- (environment and customerId) may use: to the customer row itself, its
-- subscriptions, their add-ons and prices, and its promotional grants, in
-- the same transaction as the write (triggers), so that a customer's
-- entitlements cached across requests (internal/entitlements/cache.go) are
-- reused only while its version (and its environment's catalog version) is
-- unchanged, whichever process or replica wrote. An update bumps the
-- customer before and after it (a subscription transferred to another
-- customer changes both).
CREATE TABLE "entitlement_versions" ("environment_id" uuid NOT NULL, "customer_ref" character varying NOT NULL, "version" bigint NOT NULL, PRIMARY KEY ("environment_id", "customer_ref"));
CREATE FUNCTION "customers_bump_entitlement_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entitlement_versions (environment_id, customer_ref, version)
    SELECT DISTINCT environment_id, customer_id, 1 FROM changed
    ON CONFLICT (environment_id, customer_ref) DO UPDATE SET version = entitlement_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "customers_entitlement_version_insert" AFTER INSERT ON "customers" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customers_bump_entitlement_version"();
CREATE TRIGGER "customers_entitlement_version_update_old" AFTER UPDATE ON "customers" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customers_bump_entitlement_version"();
CREATE TRIGGER "customers_entitlement_version_update_new" AFTER UPDATE ON "customers" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customers_bump_entitlement_version"();
CREATE TRIGGER "customers_entitlement_version_delete" AFTER DELETE ON "customers" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customers_bump_entitlement_version"();
CREATE FUNCTION "customer_subscriptions_bump_entitlement_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entitlement_versions (environment_id, customer_ref, version)
    SELECT DISTINCT c.environment_id, c.customer_id, 1 FROM changed r JOIN customers c ON c.id = r.customer_id
    ON CONFLICT (environment_id, customer_ref) DO UPDATE SET version = entitlement_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "customer_subscriptions_entitlement_version_insert" AFTER INSERT ON "customer_subscriptions" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customer_subscriptions_bump_entitlement_version"();
CREATE TRIGGER "customer_subscriptions_entitlement_version_update_old" AFTER UPDATE ON "customer_subscriptions" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customer_subscriptions_bump_entitlement_version"();
CREATE TRIGGER "customer_subscriptions_entitlement_version_update_new" AFTER UPDATE ON "customer_subscriptions" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customer_subscriptions_bump_entitlement_version"();
CREATE TRIGGER "customer_subscriptions_entitlement_version_delete" AFTER DELETE ON "customer_subscriptions" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "customer_subscriptions_bump_entitlement_version"();
CREATE FUNCTION "subscription_addons_bump_entitlement_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entitlement_versions (environment_id, customer_ref, version)
    SELECT DISTINCT c.environment_id, c.customer_id, 1 FROM changed r JOIN customer_subscriptions s ON s.id = r.subscription_id JOIN customers c ON c.id = s.customer_id
    ON CONFLICT (environment_id, customer_ref) DO UPDATE SET version = entitlement_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "subscription_addons_entitlement_version_insert" AFTER INSERT ON "subscription_addons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
CREATE TRIGGER "subscription_addons_entitlement_version_update_old" AFTER UPDATE ON "subscription_addons" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
CREATE TRIGGER "subscription_addons_entitlement_version_update_new" AFTER UPDATE ON "subscription_addons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
CREATE TRIGGER "subscription_addons_entitlement_version_delete" AFTER DELETE ON "subscription_addons" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
CREATE FUNCTION "subscription_prices_bump_entitlement_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entitlement_versions (environment_id, customer_ref, version)
    SELECT DISTINCT c.environment_id, c.customer_id, 1 FROM changed r JOIN customer_subscriptions s ON s.id = r.subscription_id JOIN customers c ON c.id = s.customer_id
    ON CONFLICT (environment_id, customer_ref) DO UPDATE SET version = entitlement_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "subscription_prices_entitlement_version_insert" AFTER INSERT ON "subscription_prices" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_prices_bump_entitlement_version"();
CREATE TRIGGER "subscription_prices_entitlement_version_update_old" AFTER UPDATE ON "subscription_prices" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_prices_bump_entitlement_version"();
CREATE TRIGGER "subscription_prices_entitlement_version_update_new" AFTER UPDATE ON "subscription_prices" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_prices_bump_entitlement_version"();
CREATE TRIGGER "subscription_prices_entitlement_version_delete" AFTER DELETE ON "subscription_prices" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_prices_bump_entitlement_version"();
CREATE FUNCTION "promotional_entitlements_bump_entitlement_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entitlement_versions (environment_id, customer_ref, version)
    SELECT DISTINCT c.environment_id, c.customer_id, 1 FROM changed r JOIN customers c ON c.id = r.customer_id
    ON CONFLICT (environment_id, customer_ref) DO UPDATE SET version = entitlement_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "promotional_entitlements_entitlement_version_insert" AFTER INSERT ON "promotional_entitlements" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "promotional_entitlements_bump_entitlement_version"();
CREATE TRIGGER "promotional_entitlements_entitlement_version_update_old" AFTER UPDATE ON "promotional_entitlements" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "promotional_entitlements_bump_entitlement_version"();
CREATE TRIGGER "promotional_entitlements_entitlement_version_update_new" AFTER UPDATE ON "promotional_entitlements" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "promotional_entitlements_bump_entitlement_version"();
CREATE TRIGGER "promotional_entitlements_entitlement_version_delete" AFTER DELETE ON "promotional_entitlements" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "promotional_entitlements_bump_entitlement_version"();
