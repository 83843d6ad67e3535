-- Written by hand: ent cannot describe triggers. See
-- internal/db/migrations/search.go for what this is and how the application
-- reads it.

-- catalog_versions counts the writes to each environment's catalog (its
-- products, features, plans, add-ons, entitlements, prices, coupons and the
-- links between them), in the same transaction as the write (statement-level triggers), so
-- that a catalog cached across requests is reused only while its
-- environment's version is unchanged, whichever process or replica wrote.

CREATE TABLE "catalog_versions" ("environment_id" uuid NOT NULL PRIMARY KEY, "version" bigint NOT NULL);
CREATE FUNCTION "catalog_bump_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_versions (environment_id, version)
    SELECT DISTINCT environment_id, 1 FROM changed
    ON CONFLICT (environment_id) DO UPDATE SET version = catalog_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "products_catalog_version_insert" AFTER INSERT ON "products" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "products_catalog_version_update" AFTER UPDATE ON "products" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "products_catalog_version_delete" AFTER DELETE ON "products" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "features_catalog_version_insert" AFTER INSERT ON "features" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "features_catalog_version_update" AFTER UPDATE ON "features" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "features_catalog_version_delete" AFTER DELETE ON "features" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "plans_catalog_version_insert" AFTER INSERT ON "plans" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "plans_catalog_version_update" AFTER UPDATE ON "plans" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "plans_catalog_version_delete" AFTER DELETE ON "plans" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "addons_catalog_version_insert" AFTER INSERT ON "addons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "addons_catalog_version_update" AFTER UPDATE ON "addons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "addons_catalog_version_delete" AFTER DELETE ON "addons" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "package_entitlements_catalog_version_insert" AFTER INSERT ON "package_entitlements" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "package_entitlements_catalog_version_update" AFTER UPDATE ON "package_entitlements" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "package_entitlements_catalog_version_delete" AFTER DELETE ON "package_entitlements" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "prices_catalog_version_insert" AFTER INSERT ON "prices" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "prices_catalog_version_update" AFTER UPDATE ON "prices" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "prices_catalog_version_delete" AFTER DELETE ON "prices" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "coupons_catalog_version_insert" AFTER INSERT ON "coupons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "coupons_catalog_version_update" AFTER UPDATE ON "coupons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
CREATE TRIGGER "coupons_catalog_version_delete" AFTER DELETE ON "coupons" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "catalog_bump_version"();
-- The link tables carry no environment: it is their plan's or add-on's. A
-- link deleted with its plan or add-on finds no row here; the owner's own
-- delete trigger has bumped the version.
CREATE FUNCTION "plan_compatible_addons_bump_catalog_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_versions (environment_id, version)
    SELECT DISTINCT o.environment_id, 1 FROM changed c JOIN plans o ON o.id = c.plan_id
    ON CONFLICT (environment_id) DO UPDATE SET version = catalog_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "plan_compatible_addons_catalog_version_insert" AFTER INSERT ON "plan_compatible_addons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "plan_compatible_addons_bump_catalog_version"();
CREATE TRIGGER "plan_compatible_addons_catalog_version_update" AFTER UPDATE ON "plan_compatible_addons" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "plan_compatible_addons_bump_catalog_version"();
CREATE TRIGGER "plan_compatible_addons_catalog_version_delete" AFTER DELETE ON "plan_compatible_addons" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "plan_compatible_addons_bump_catalog_version"();
CREATE FUNCTION "addon_dependencies_bump_catalog_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_versions (environment_id, version)
    SELECT DISTINCT o.environment_id, 1 FROM changed c JOIN addons o ON o.id = c.addon_id
    ON CONFLICT (environment_id) DO UPDATE SET version = catalog_versions.version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER "addon_dependencies_catalog_version_insert" AFTER INSERT ON "addon_dependencies" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "addon_dependencies_bump_catalog_version"();
CREATE TRIGGER "addon_dependencies_catalog_version_update" AFTER UPDATE ON "addon_dependencies" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "addon_dependencies_bump_catalog_version"();
CREATE TRIGGER "addon_dependencies_catalog_version_delete" AFTER DELETE ON "addon_dependencies" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "addon_dependencies_bump_catalog_version"();
