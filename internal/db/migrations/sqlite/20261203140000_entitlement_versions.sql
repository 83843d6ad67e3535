-- Written by hand: ent cannot describe triggers. See
-- internal/db/migrations/search.go for what this is and how the application
-- reads it.

-- entitlement_versions counts the writes that change what one customer
-- (environment and customerId) may use: to the customer row itself, its
-- subscriptions, their add-ons and prices, and its promotional grants, in
-- the same transaction as the write (row triggers), so that a customer's
-- entitlements cached across requests (internal/entitlements/cache.go) are
-- reused only while its version (and its environment's catalog version) is
-- unchanged, whichever process or replica wrote. An update bumps the
-- customer before and after it (a subscription transferred to another
-- customer changes both).
CREATE TABLE `entitlement_versions` (`environment_id` uuid NOT NULL, `customer_ref` text NOT NULL, `version` integer NOT NULL, PRIMARY KEY (`environment_id`, `customer_ref`));
CREATE TRIGGER `customers_entitlement_version_insert` AFTER INSERT ON `customers` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT NEW.`environment_id`, NEW.`customer_id`, 1 WHERE true
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `customers_entitlement_version_update` AFTER UPDATE ON `customers` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT OLD.`environment_id`, OLD.`customer_id`, 1 WHERE true
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT NEW.`environment_id`, NEW.`customer_id`, 1 WHERE true
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `customers_entitlement_version_delete` AFTER DELETE ON `customers` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT OLD.`environment_id`, OLD.`customer_id`, 1 WHERE true
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `customer_subscriptions_entitlement_version_insert` AFTER INSERT ON `customer_subscriptions` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = NEW.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `customer_subscriptions_entitlement_version_update` AFTER UPDATE ON `customer_subscriptions` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = OLD.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = NEW.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `customer_subscriptions_entitlement_version_delete` AFTER DELETE ON `customer_subscriptions` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = OLD.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_addons_entitlement_version_insert` AFTER INSERT ON `subscription_addons` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = NEW.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_addons_entitlement_version_update` AFTER UPDATE ON `subscription_addons` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = OLD.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = NEW.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_addons_entitlement_version_delete` AFTER DELETE ON `subscription_addons` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = OLD.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_prices_entitlement_version_insert` AFTER INSERT ON `subscription_prices` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = NEW.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_prices_entitlement_version_update` AFTER UPDATE ON `subscription_prices` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = OLD.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = NEW.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `subscription_prices_entitlement_version_delete` AFTER DELETE ON `subscription_prices` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customer_subscriptions` s JOIN `customers` c ON c.`id` = s.`customer_id` WHERE s.`id` = OLD.`subscription_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `promotional_entitlements_entitlement_version_insert` AFTER INSERT ON `promotional_entitlements` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = NEW.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `promotional_entitlements_entitlement_version_update` AFTER UPDATE ON `promotional_entitlements` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = OLD.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = NEW.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `promotional_entitlements_entitlement_version_delete` AFTER DELETE ON `promotional_entitlements` BEGIN
  INSERT INTO `entitlement_versions` (`environment_id`, `customer_ref`, `version`)
    SELECT c.`environment_id`, c.`customer_id`, 1 FROM `customers` c WHERE c.`id` = OLD.`customer_id`
    ON CONFLICT (`environment_id`, `customer_ref`) DO UPDATE SET `version` = `version` + 1;
END;
