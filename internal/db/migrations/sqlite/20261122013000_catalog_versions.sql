-- Written by hand: ent cannot describe triggers. See
-- internal/db/migrations/search.go for what this is and how the application
-- reads it.

-- catalog_versions counts the writes to each environment's catalog (its
-- products, features, plans, add-ons, entitlements, prices, coupons and the
-- links between them), in the same transaction as the write (triggers), so
-- that a catalog cached across requests is reused only while its
-- environment's version is unchanged, whichever process or replica wrote.

CREATE TABLE `catalog_versions` (`environment_id` uuid NOT NULL PRIMARY KEY, `version` integer NOT NULL);
CREATE TRIGGER `products_catalog_version_insert` AFTER INSERT ON `products` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `products_catalog_version_update` AFTER UPDATE ON `products` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `products_catalog_version_delete` AFTER DELETE ON `products` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `features_catalog_version_insert` AFTER INSERT ON `features` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `features_catalog_version_update` AFTER UPDATE ON `features` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `features_catalog_version_delete` AFTER DELETE ON `features` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `plans_catalog_version_insert` AFTER INSERT ON `plans` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `plans_catalog_version_update` AFTER UPDATE ON `plans` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `plans_catalog_version_delete` AFTER DELETE ON `plans` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `addons_catalog_version_insert` AFTER INSERT ON `addons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `addons_catalog_version_update` AFTER UPDATE ON `addons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `addons_catalog_version_delete` AFTER DELETE ON `addons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `package_entitlements_catalog_version_insert` AFTER INSERT ON `package_entitlements` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `package_entitlements_catalog_version_update` AFTER UPDATE ON `package_entitlements` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `package_entitlements_catalog_version_delete` AFTER DELETE ON `package_entitlements` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `prices_catalog_version_insert` AFTER INSERT ON `prices` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `prices_catalog_version_update` AFTER UPDATE ON `prices` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `prices_catalog_version_delete` AFTER DELETE ON `prices` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `coupons_catalog_version_insert` AFTER INSERT ON `coupons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `coupons_catalog_version_update` AFTER UPDATE ON `coupons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `coupons_catalog_version_delete` AFTER DELETE ON `coupons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
-- The link tables carry no environment: it is their plan's or add-on's. A
-- link deleted with its plan or add-on finds no row here; the owner's own
-- delete trigger has bumped the version.
CREATE TRIGGER `plan_compatible_addons_catalog_version_insert` AFTER INSERT ON `plan_compatible_addons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) SELECT o.`environment_id`, 1 FROM `plans` o WHERE o.`id` = NEW.`plan_id`
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `plan_compatible_addons_catalog_version_update` AFTER UPDATE ON `plan_compatible_addons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) SELECT o.`environment_id`, 1 FROM `plans` o WHERE o.`id` = NEW.`plan_id`
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `plan_compatible_addons_catalog_version_delete` AFTER DELETE ON `plan_compatible_addons` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) SELECT o.`environment_id`, 1 FROM `plans` o WHERE o.`id` = OLD.`plan_id`
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `addon_dependencies_catalog_version_insert` AFTER INSERT ON `addon_dependencies` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) SELECT o.`environment_id`, 1 FROM `addons` o WHERE o.`id` = NEW.`addon_id`
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `addon_dependencies_catalog_version_update` AFTER UPDATE ON `addon_dependencies` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) SELECT o.`environment_id`, 1 FROM `addons` o WHERE o.`id` = NEW.`addon_id`
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `addon_dependencies_catalog_version_delete` AFTER DELETE ON `addon_dependencies` BEGIN
  INSERT INTO `catalog_versions` (`environment_id`, `version`) SELECT o.`environment_id`, 1 FROM `addons` o WHERE o.`id` = OLD.`addon_id`
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
