-- Hand-written fix for examples/seed-before.sqlite.sql: unguarded, it runs once.
-- (fixgen's plain-SQL target for SQLite takes indexes only: no ALTER TABLE ADD CONSTRAINT there.)
BEGIN;
CREATE INDEX IF NOT EXISTS agents_created_by_idx ON agents (created_by_user_id);
CREATE UNIQUE INDEX users_email_tenant_uq ON "users" ("email", "tenant_id");
DROP INDEX IF EXISTS organizations_tenant_id_index;
COMMIT;
