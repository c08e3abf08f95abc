-- Hand-written fix for examples/seed-before.postgresql.sql: unguarded, it runs once.
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS agents_created_by_idx ON public.agents USING btree (created_by_user_id);
CREATE INDEX ON workflows (organization_id);  -- unnamed: PostgreSQL calls it workflows_organization_id_idx
CREATE UNIQUE INDEX users_email_tenant_uq ON users (email, tenant_id);
BEGIN;
CREATE INDEX branches_branch_manager_id_idx ON branches (branch_manager_id);
ALTER TABLE branches ADD CONSTRAINT branches_manager_fk FOREIGN KEY (branch_manager_id)
    REFERENCES users (id) ON DELETE SET NULL NOT VALID;
ALTER TABLE branches VALIDATE CONSTRAINT branches_manager_fk;
ALTER TABLE projects ADD COLUMN priority integer NOT NULL DEFAULT 3, ADD COLUMN code varchar(20);
ALTER TABLE webhooks RENAME COLUMN created_by_user_id TO user_id;
DROP INDEX organizations_tenant_id_index;
COMMIT;
