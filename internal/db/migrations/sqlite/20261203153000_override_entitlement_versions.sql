-- Written by hand: ent cannot describe triggers. A subscription's
-- entitlement overrides (subscription_entitlement_overrides) change what
-- its customer may use, so their writes bump the customer's
-- entitlement_versions in the same transaction, like the writes of
-- 20261203140000_entitlement_versions.sql (the cached entitlements of
-- internal/entitlements/cache.go are reused only while it is unchanged).
CREATE TRIGGER `subscription_entitlement_overrides_entitlement_version_insert` AFTER INSERT ON `subscription_entitlement_overrides` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = NEW.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_entitlement_overrides_entitlement_version_update` AFTER UPDATE ON `subscription_entitlement_overrides` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = OLD.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = NEW.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_entitlement_overrides_entitlement_version_delete` AFTER DELETE ON `subscription_entitlement_overrides` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = OLD.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
