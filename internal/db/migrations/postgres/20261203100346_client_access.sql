-- Modify "environments" table
ALTER TABLE "environments" ADD COLUMN "signing_secret" character varying NULL, ADD COLUMN "hardened_client_access" boolean NOT NULL DEFAULT false;
