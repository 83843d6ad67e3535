-- Written by hand: ent cannot describe triggers or virtual tables. See
-- internal/db/migrations/search.go for what these are and how the
-- application reads them.

-- customer_versions counts the writes to each environment's customers, in
-- the same transaction as the write (a trigger), so that a cached
-- totalCount is reused only while its environment's version is unchanged.
CREATE TABLE `customer_versions` (`environment_id` uuid NOT NULL PRIMARY KEY, `version` integer NOT NULL);
CREATE TRIGGER `customers_version_insert` AFTER INSERT ON `customers` BEGIN
  INSERT INTO `customer_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `customers_version_update` AFTER UPDATE ON `customers` BEGIN
  INSERT INTO `customer_versions` (`environment_id`, `version`) VALUES (NEW.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;
CREATE TRIGGER `customers_version_delete` AFTER DELETE ON `customers` BEGIN
  INSERT INTO `customer_versions` (`environment_id`, `version`) VALUES (OLD.`environment_id`, 1)
    ON CONFLICT (`environment_id`) DO UPDATE SET `version` = `version` + 1;
END;

-- search_positions holds 1..4096: trigger bodies cannot use recursive
-- common table expressions, so the trigram windows of an email are cut
-- by joining with it.
CREATE TABLE `search_positions` (`n` integer NOT NULL PRIMARY KEY);
INSERT INTO `search_positions` (`n`) WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 4096) SELECT n FROM p;

-- customer_email_grams indexes every customer's email by trigram, for
-- case-insensitive substring search. One FTS4 document per customer with an
-- email, docid = the customer's rowid: the hex of each 3-character window
-- of lower(email), in order, so a phrase query of a term's windows matches
-- exactly the emails containing the term. Emails longer than the positions
-- table covers also carry the token "long" (hex never spells it), so a
-- search can include them and check them by LIKE.
CREATE VIRTUAL TABLE `customer_email_grams` USING fts4(`grams`);
INSERT INTO `customer_email_grams` (`docid`, `grams`)
  SELECT c.rowid, (SELECT group_concat(hex(substr(lower(c.`email`), p.`n`, 3)), ' ' ORDER BY p.`n`) FROM `search_positions` p WHERE p.`n` <= length(c.`email`) - 2)
    || CASE WHEN length(c.`email`) > 4098 THEN ' long' ELSE '' END
  FROM `customers` c WHERE c.`email` IS NOT NULL;
CREATE TRIGGER `customers_email_grams_insert` AFTER INSERT ON `customers` WHEN NEW.`email` IS NOT NULL BEGIN
  INSERT INTO `customer_email_grams` (`docid`, `grams`) VALUES (NEW.rowid,
    (SELECT group_concat(hex(substr(lower(NEW.`email`), p.`n`, 3)), ' ' ORDER BY p.`n`) FROM `search_positions` p WHERE p.`n` <= length(NEW.`email`) - 2)
    || CASE WHEN length(NEW.`email`) > 4098 THEN ' long' ELSE '' END);
END;
CREATE TRIGGER `customers_email_grams_update` AFTER UPDATE OF `email` ON `customers` WHEN OLD.`email` IS NOT NEW.`email` BEGIN
  DELETE FROM `customer_email_grams` WHERE `docid` = OLD.rowid;
  INSERT INTO `customer_email_grams` (`docid`, `grams`) SELECT NEW.rowid,
    (SELECT group_concat(hex(substr(lower(NEW.`email`), p.`n`, 3)), ' ' ORDER BY p.`n`) FROM `search_positions` p WHERE p.`n` <= length(NEW.`email`) - 2)
    || CASE WHEN length(NEW.`email`) > 4098 THEN ' long' ELSE '' END
    WHERE NEW.`email` IS NOT NULL;
END;
CREATE TRIGGER `customers_email_grams_delete` AFTER DELETE ON `customers` WHEN OLD.`email` IS NOT NULL BEGIN
  DELETE FROM `customer_email_grams` WHERE `docid` = OLD.rowid;
END;
