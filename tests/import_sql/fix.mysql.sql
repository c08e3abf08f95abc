-- Hand-written fix for examples/seed-before.mysql.sql: unguarded, it runs once.
SET SESSION lock_wait_timeout = 5;
ALTER TABLE `agents` ADD INDEX `agents_created_by_idx` (`created_by_user_id`), ALGORITHM=INPLACE, LOCK=NONE;
ALTER TABLE workflows ADD INDEX (organization_id);  -- unnamed: MySQL calls it organization_id
CREATE UNIQUE INDEX users_email_tenant_uq ON users (email, tenant_id);
ALTER TABLE branches ADD KEY branches_branch_manager_id_idx (branch_manager_id),
  ADD CONSTRAINT branches_manager_fk FOREIGN KEY (branch_manager_id) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE projects ADD COLUMN priority INT NOT NULL DEFAULT 3, ADD COLUMN code VARCHAR(20) NULL;
ALTER TABLE webhooks RENAME COLUMN created_by_user_id TO user_id;
DROP INDEX organizations_tenant_id_index ON organizations;
