-- Written by hand: ent cannot describe triggers. A subscription's
-- entitlement overrides (subscription_entitlement_overrides) change what
-- its customer may use, so their writes bump the customer's
-- entitlement_versions in the same transaction, like the writes of
-- 20261203140000_entitlement_versions.sql (the cached entitlements of
-- internal/entitlements/cache.go are reused only while it is unchanged).
-- The row names its subscription as the add-on rows do, so the add-ons'
-- function serves it.
CREATE TRIGGER "subscription_entitlement_overrides_entitlement_version_insert" AFTER INSERT ON "subscription_entitlement_overrides" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
CREATE TRIGGER "subscription_entitlement_overrides_entitlement_version_update_old" AFTER UPDATE ON "subscription_entitlement_overrides" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
CREATE TRIGGER "subscription_entitlement_overrides_entitlement_version_update_new" AFTER UPDATE ON "subscription_entitlement_overrides" REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
CREATE TRIGGER "subscription_entitlement_overrides_entitlement_version_delete" AFTER DELETE ON "subscription_entitlement_overrides" REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "subscription_addons_bump_entitlement_version"();
