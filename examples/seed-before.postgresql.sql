-- fixgen example: "before" schema for PostgreSQL.
--
-- Reconstructs the state described in database-migration-analysis.md before
-- the 2025_11_19_120000_fix_migration_inconsistencies migration ran, with a few
-- rows of consistent sample data (no orphan ids). The issues in
-- examples/seed-fixes.yaml apply to this schema.
--
-- Load into an empty database:
--   psql -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d DB -f examples/seed-before.postgresql.sql

BEGIN;

-- ------------------------------------------------------------ schema

CREATE TABLE tenants (
    id uuid NOT NULL,
    name varchar(255) NOT NULL,
    slug varchar(255) NOT NULL,
    plan varchar(50) NOT NULL DEFAULT 'standard',
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id),
    CONSTRAINT tenants_slug_unique UNIQUE (slug)
);

-- users: users.tenant_id has a foreign key (add_missing_fields_to_users_table)
CREATE TABLE users (
    id uuid NOT NULL,
    tenant_id uuid NULL,
    name varchar(255) NOT NULL,
    email varchar(255) NOT NULL,
    password varchar(255) NOT NULL,
    email_verified_at timestamp(0) without time zone NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id),
    CONSTRAINT users_email_unique UNIQUE (email),
    CONSTRAINT users_tenant_id_foreign FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE organizations (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(255) NOT NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);
CREATE INDEX organizations_tenant_id_index ON organizations (tenant_id);

-- branches: branch_manager_id: no foreign key (seed §4)
CREATE TABLE branches (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    name varchar(255) NOT NULL,
    city varchar(255) NULL,
    branch_manager_id uuid NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);
CREATE INDEX branches_organization_id_index ON branches (organization_id);

-- departments: department_head_id: no foreign key (seed §4)
CREATE TABLE departments (
    id uuid NOT NULL,
    branch_id uuid NOT NULL,
    name varchar(255) NOT NULL,
    department_head_id uuid NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);
CREATE INDEX departments_branch_id_index ON departments (branch_id);

-- projects: project_manager_id: no foreign key (seed §4)
CREATE TABLE projects (
    id uuid NOT NULL,
    department_id uuid NOT NULL,
    name varchar(255) NOT NULL,
    status varchar(50) NOT NULL DEFAULT 'active',
    project_manager_id uuid NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);
CREATE INDEX projects_department_id_index ON projects (department_id);

-- teams: team_lead_id: no foreign key (seed §4)
CREATE TABLE teams (
    id uuid NOT NULL,
    department_id uuid NOT NULL,
    name varchar(255) NOT NULL,
    team_lead_id uuid NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);
CREATE INDEX teams_department_id_index ON teams (department_id);

-- team_members: pivot table: only joined_at, no created_at/updated_at (seed §3)
CREATE TABLE team_members (
    team_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role varchar(50) NOT NULL DEFAULT 'member',
    joined_at timestamp(0) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (team_id, user_id),
    CONSTRAINT team_members_team_id_foreign FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
    CONSTRAINT team_members_user_id_foreign FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE marketplace_listings (
    id uuid NOT NULL,
    title varchar(255) NOT NULL,
    slug varchar(255) NOT NULL,
    price_cents integer NOT NULL DEFAULT 0,
    published_at timestamp(0) without time zone NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id),
    CONSTRAINT marketplace_listings_slug_unique UNIQUE (slug)
);

-- agents: created_by_user_id, marketplace_listing_id: no index, no foreign key (seed §5)
CREATE TABLE agents (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    created_by_user_id uuid NULL,
    marketplace_listing_id uuid NULL,
    name varchar(255) NOT NULL,
    model varchar(100) NOT NULL,
    status varchar(50) NOT NULL DEFAULT 'draft',
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id),
    CONSTRAINT agents_tenant_id_foreign FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);

-- workflows: organization_id, department_id, project_id, created_by_user_id: no indexes (seed §5)
CREATE TABLE workflows (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    department_id uuid NULL,
    project_id uuid NULL,
    created_by_user_id uuid NULL,
    name varchar(255) NOT NULL,
    is_active boolean NOT NULL DEFAULT TRUE,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);

-- workflow_executions: workflow_id, triggered_by_user_id, tenant_id: no indexes (seed §5)
CREATE TABLE workflow_executions (
    id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    triggered_by_user_id uuid NULL,
    tenant_id uuid NOT NULL,
    status varchar(50) NOT NULL DEFAULT 'pending',
    started_at timestamp(0) without time zone NULL,
    completed_at timestamp(0) without time zone NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);

-- agent_executions: no composite (tenant_id, agent_id, status) index (seed §6)
CREATE TABLE agent_executions (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    status varchar(50) NOT NULL DEFAULT 'pending',
    input_summary text NULL,
    started_at timestamp(0) without time zone NULL,
    completed_at timestamp(0) without time zone NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id),
    CONSTRAINT agent_executions_agent_id_foreign FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE
);

-- hitl_approvals: execution_id has no foreign key (seed §2); no composite (tenant_id, status, assigned_to_user_id) index (seed §6)
CREATE TABLE hitl_approvals (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    execution_id uuid NOT NULL,
    status varchar(50) NOT NULL DEFAULT 'pending',
    assigned_to_user_id uuid NULL,
    reason text NULL,
    decided_at timestamp(0) without time zone NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id),
    CONSTRAINT hitl_approvals_agent_id_foreign FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE
);

-- webhooks: still has created_by_user_id (renamed to user_id by the fix, seed §1/§7); no indexes (seed §5)
CREATE TABLE webhooks (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    created_by_user_id uuid NULL,
    name varchar(255) NOT NULL,
    url varchar(2048) NOT NULL,
    secret varchar(255) NULL,
    is_active boolean NOT NULL DEFAULT TRUE,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id)
);

-- api_keys: still has created_by_user_id (renamed to user_id by the fix, seed §1/§7); no indexes on tenant_id/created_by_user_id (seed §5)
CREATE TABLE api_keys (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    created_by_user_id uuid NULL,
    name varchar(255) NOT NULL,
    key_prefix varchar(16) NOT NULL,
    key_hash varchar(64) NOT NULL,
    last_used_at timestamp(0) without time zone NULL,
    expires_at timestamp(0) without time zone NULL,
    created_at timestamp(0) without time zone NULL,
    updated_at timestamp(0) without time zone NULL,
    PRIMARY KEY (id),
    CONSTRAINT api_keys_key_hash_unique UNIQUE (key_hash)
);

-- ------------------------------------------------------------ data

INSERT INTO tenants (id, name, slug, plan, created_at, updated_at) VALUES
    ('c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'Acme Logistics', 'acme-logistics', 'enterprise', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('a303e564-1f15-489b-85f2-e92117e52273', 'Northwind Health', 'northwind-health', 'standard', '2025-09-15 10:30:00', '2025-09-15 10:30:00');

INSERT INTO users (id, tenant_id, name, email, password, email_verified_at, created_at, updated_at) VALUES
    ('76b0d686-9d0e-499a-9866-9cf7716fe1cf', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'Amira Haddad', 'amira.haddad@acme-logistics.example', '$2y$12$placeholderhashAmira', '2025-09-01 08:00:00', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('cced16d9-5376-4a41-aea7-e6d12b7386f6', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'Ben Okafor', 'ben.okafor@acme-logistics.example', '$2y$12$placeholderhashBen', '2025-09-01 08:00:00', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('81eba221-d43c-49d9-849e-b5a95ca768a1', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'Chloe Martin', 'chloe.martin@acme-logistics.example', '$2y$12$placeholderhashChloe', NULL, '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('92538be1-530f-49d0-8842-6c42609b48cc', 'a303e564-1f15-489b-85f2-e92117e52273', 'Diego Alvarez', 'diego.alvarez@northwind-health.example', '$2y$12$placeholderhashDiego', '2025-09-15 10:30:00', '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('a05ae83e-3bab-48e7-9da0-a38939bfc411', 'a303e564-1f15-489b-85f2-e92117e52273', 'Priya Nair', 'priya.nair@northwind-health.example', '$2y$12$placeholderhashPriya', '2025-09-15 10:30:00', '2025-09-15 10:30:00', '2025-10-02 14:45:00'),
    ('4b69d936-43b9-408c-b392-d4aa5466da4f', 'a303e564-1f15-489b-85f2-e92117e52273', 'Sam Lee', 'sam.lee@northwind-health.example', '$2y$12$placeholderhashSam', NULL, '2025-10-02 14:45:00', '2025-10-02 14:45:00');

INSERT INTO organizations (id, tenant_id, name, created_at, updated_at) VALUES
    ('2e2c47cc-2dd2-48f5-9153-5179d7be7b07', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'Acme Operations', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('4e1d5960-26b1-44ef-921e-4131221cac1c', 'a303e564-1f15-489b-85f2-e92117e52273', 'Northwind Clinical Services', '2025-09-15 10:30:00', '2025-09-15 10:30:00');

INSERT INTO branches (id, organization_id, name, city, branch_manager_id, created_at, updated_at) VALUES
    ('4a1c4fb7-fb24-4cf4-ba0f-7b9f715f1c5c', '2e2c47cc-2dd2-48f5-9153-5179d7be7b07', 'Lyon Depot', 'Lyon', '76b0d686-9d0e-499a-9866-9cf7716fe1cf', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('0b524b26-a9a0-48da-b8de-dd065752f794', '2e2c47cc-2dd2-48f5-9153-5179d7be7b07', 'Rotterdam Hub', 'Rotterdam', NULL, '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('29a5a87a-40a2-4547-b2f6-217f3e67322c', '4e1d5960-26b1-44ef-921e-4131221cac1c', 'Boston Clinic', 'Boston', '92538be1-530f-49d0-8842-6c42609b48cc', '2025-09-15 10:30:00', '2025-09-15 10:30:00');

INSERT INTO departments (id, branch_id, name, department_head_id, created_at, updated_at) VALUES
    ('39bc5c51-565f-4197-96d5-395f5c3a0c20', '4a1c4fb7-fb24-4cf4-ba0f-7b9f715f1c5c', 'Fleet Management', 'cced16d9-5376-4a41-aea7-e6d12b7386f6', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('d1dbd408-38a9-44f8-812f-d766ccb7fea8', '0b524b26-a9a0-48da-b8de-dd065752f794', 'Dispatch', NULL, '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('142fc9fe-7031-4f0d-ac26-dfda199e3a5d', '29a5a87a-40a2-4547-b2f6-217f3e67322c', 'Cardiology', 'a05ae83e-3bab-48e7-9da0-a38939bfc411', '2025-09-15 10:30:00', '2025-09-15 10:30:00');

INSERT INTO projects (id, department_id, name, status, project_manager_id, created_at, updated_at) VALUES
    ('61a27274-5ad1-4fa5-9339-4a3495b5712d', '39bc5c51-565f-4197-96d5-395f5c3a0c20', 'Route Optimisation', 'active', '81eba221-d43c-49d9-849e-b5a95ca768a1', '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('861aa3ca-284b-495d-9ace-42acdaaa464b', '142fc9fe-7031-4f0d-ac26-dfda199e3a5d', 'Triage Assistant Pilot', 'planning', NULL, '2025-10-02 14:45:00', '2025-10-02 14:45:00');

INSERT INTO teams (id, department_id, name, team_lead_id, created_at, updated_at) VALUES
    ('cba1f029-6f2d-4af8-a80e-79f90e8c4ae1', '39bc5c51-565f-4197-96d5-395f5c3a0c20', 'Routing Squad', 'cced16d9-5376-4a41-aea7-e6d12b7386f6', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('cd8fbe49-aeaa-4aa1-a9fa-263eb4328c75', 'd1dbd408-38a9-44f8-812f-d766ccb7fea8', 'Dispatch Desk', NULL, '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('9ddae978-fd65-46c6-ad75-ed1078e79366', '142fc9fe-7031-4f0d-ac26-dfda199e3a5d', 'Triage Nurses', 'a05ae83e-3bab-48e7-9da0-a38939bfc411', '2025-09-15 10:30:00', '2025-09-15 10:30:00');

INSERT INTO team_members (team_id, user_id, role, joined_at) VALUES
    ('cba1f029-6f2d-4af8-a80e-79f90e8c4ae1', 'cced16d9-5376-4a41-aea7-e6d12b7386f6', 'lead', '2025-09-02 09:00:00'),
    ('cba1f029-6f2d-4af8-a80e-79f90e8c4ae1', '81eba221-d43c-49d9-849e-b5a95ca768a1', 'member', '2025-09-16 09:00:00'),
    ('cd8fbe49-aeaa-4aa1-a9fa-263eb4328c75', '76b0d686-9d0e-499a-9866-9cf7716fe1cf', 'member', '2025-09-20 11:00:00'),
    ('9ddae978-fd65-46c6-ad75-ed1078e79366', 'a05ae83e-3bab-48e7-9da0-a38939bfc411', 'lead', '2025-09-16 08:30:00'),
    ('9ddae978-fd65-46c6-ad75-ed1078e79366', '4b69d936-43b9-408c-b392-d4aa5466da4f', 'member', '2025-10-03 08:30:00');

INSERT INTO marketplace_listings (id, title, slug, price_cents, published_at, created_at, updated_at) VALUES
    ('3eb06f78-e617-4e3c-aa7f-38a6d5469b81', 'Invoice Extraction Agent', 'invoice-extraction-agent', 4900, '2025-09-01 08:00:00', '2025-09-01 08:00:00', '2025-09-01 08:00:00'),
    ('ffce8987-327b-4ab6-aef3-11d0713a7303', 'Clinical Triage Template', 'clinical-triage-template', 0, NULL, '2025-09-15 10:30:00', '2025-09-15 10:30:00');

INSERT INTO agents (id, tenant_id, created_by_user_id, marketplace_listing_id, name, model, status, created_at, updated_at) VALUES
    ('0b80dd66-02e9-47aa-9912-a6313dc05111', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '76b0d686-9d0e-499a-9866-9cf7716fe1cf', '3eb06f78-e617-4e3c-aa7f-38a6d5469b81', 'Invoice Reader', 'gpt-4o-mini', 'active', '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('58c8c2e0-df35-440d-a9ee-f27f12e9425a', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '81eba221-d43c-49d9-849e-b5a95ca768a1', NULL, 'Route Planner', 'claude-3-5-sonnet', 'active', '2025-09-15 10:30:00', '2025-10-02 14:45:00'),
    ('e95a8b17-55f9-4bdb-84e3-ae8b397fdd95', 'a303e564-1f15-489b-85f2-e92117e52273', '92538be1-530f-49d0-8842-6c42609b48cc', 'ffce8987-327b-4ab6-aef3-11d0713a7303', 'Triage Assistant', 'gpt-4o', 'draft', '2025-10-02 14:45:00', '2025-10-02 14:45:00');

INSERT INTO workflows (id, organization_id, department_id, project_id, created_by_user_id, name, is_active, created_at, updated_at) VALUES
    ('4d80237d-11b6-4c0e-9782-4e6658603402', '2e2c47cc-2dd2-48f5-9153-5179d7be7b07', '39bc5c51-565f-4197-96d5-395f5c3a0c20', '61a27274-5ad1-4fa5-9339-4a3495b5712d', '81eba221-d43c-49d9-849e-b5a95ca768a1', 'Nightly route rebuild', TRUE, '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('6561fc22-c481-4f7d-b13f-c7fb58b2a1b3', '2e2c47cc-2dd2-48f5-9153-5179d7be7b07', NULL, NULL, '76b0d686-9d0e-499a-9866-9cf7716fe1cf', 'Supplier invoice sync', TRUE, '2025-09-15 10:30:00', '2025-10-02 14:45:00'),
    ('abb555b7-f2fb-4257-a9be-bd5b2e706a27', '4e1d5960-26b1-44ef-921e-4131221cac1c', '142fc9fe-7031-4f0d-ac26-dfda199e3a5d', '861aa3ca-284b-495d-9ace-42acdaaa464b', 'a05ae83e-3bab-48e7-9da0-a38939bfc411', 'Patient intake triage', FALSE, '2025-10-02 14:45:00', '2025-10-02 14:45:00');

INSERT INTO workflow_executions (id, workflow_id, triggered_by_user_id, tenant_id, status, started_at, completed_at, created_at, updated_at) VALUES
    ('c714f824-4237-4d66-b7f9-73d503d18f9a', '4d80237d-11b6-4c0e-9782-4e6658603402', NULL, 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'completed', '2025-11-17 02:00:00', '2025-11-17 02:04:12', '2025-11-17 02:00:00', '2025-11-17 02:04:12'),
    ('1ddf9d5f-cb2e-4a83-bedd-c4ac47c12ffb', '4d80237d-11b6-4c0e-9782-4e6658603402', '81eba221-d43c-49d9-849e-b5a95ca768a1', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'failed', '2025-11-17 09:12:00', '2025-11-17 09:12:41', '2025-11-17 09:12:00', '2025-11-17 09:12:41'),
    ('22fc9672-3c59-460c-b71d-46ceaf9a8c53', '6561fc22-c481-4f7d-b13f-c7fb58b2a1b3', '76b0d686-9d0e-499a-9866-9cf7716fe1cf', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', 'completed', '2025-11-18 07:30:00', '2025-11-18 07:31:05', '2025-11-18 07:30:00', '2025-11-18 07:31:05'),
    ('b3f45d3a-f6e2-4816-9f8c-54b20c0506a5', 'abb555b7-f2fb-4257-a9be-bd5b2e706a27', 'a05ae83e-3bab-48e7-9da0-a38939bfc411', 'a303e564-1f15-489b-85f2-e92117e52273', 'running', '2025-11-18 15:20:00', NULL, '2025-11-18 15:20:00', '2025-11-18 15:20:00');

INSERT INTO agent_executions (id, tenant_id, agent_id, status, input_summary, started_at, completed_at, created_at, updated_at) VALUES
    ('010b6b19-2a44-408a-91de-ebc82c694261', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '0b80dd66-02e9-47aa-9912-a6313dc05111', 'completed', 'Extract totals from INV-2025-0931', '2025-11-18 07:30:10', '2025-11-18 07:30:52', '2025-11-18 07:30:10', '2025-11-18 07:30:52'),
    ('0190c396-0a7d-48c5-b060-e7ed987dc41c', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '0b80dd66-02e9-47aa-9912-a6313dc05111', 'awaiting_approval', 'Extract totals from INV-2025-0932 (amount over limit)', '2025-11-18 07:31:00', NULL, '2025-11-18 07:31:00', '2025-11-18 07:31:02'),
    ('1681a406-d4f6-4973-8f52-94f6e1bb846a', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '58c8c2e0-df35-440d-a9ee-f27f12e9425a', 'completed', 'Rebuild Lyon delivery routes', '2025-11-17 02:00:05', '2025-11-17 02:03:58', '2025-11-17 02:00:05', '2025-11-17 02:03:58'),
    ('97bd710d-230d-4724-9946-eefef30c3ead', 'a303e564-1f15-489b-85f2-e92117e52273', 'e95a8b17-55f9-4bdb-84e3-ae8b397fdd95', 'awaiting_approval', 'Intake form #4471', '2025-11-18 15:20:03', NULL, '2025-11-18 15:20:03', '2025-11-18 15:20:09'),
    ('5c00f20d-03f7-4ae8-a660-101b14470f48', 'a303e564-1f15-489b-85f2-e92117e52273', 'e95a8b17-55f9-4bdb-84e3-ae8b397fdd95', 'failed', 'Intake form #4472', '2025-11-18 15:25:00', '2025-11-18 15:25:02', '2025-11-18 15:25:00', '2025-11-18 15:25:02');

INSERT INTO hitl_approvals (id, tenant_id, agent_id, execution_id, status, assigned_to_user_id, reason, decided_at, created_at, updated_at) VALUES
    ('9236615b-ef31-4280-bdd4-7f3f8882b2fd', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '0b80dd66-02e9-47aa-9912-a6313dc05111', '0190c396-0a7d-48c5-b060-e7ed987dc41c', 'pending', 'cced16d9-5376-4a41-aea7-e6d12b7386f6', 'Invoice total 18,400.00 EUR exceeds auto-approve limit', NULL, '2025-11-18 07:31:02', '2025-11-18 07:31:02'),
    ('156f5d88-f0d1-450e-afa2-aee93d0ff1eb', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '0b80dd66-02e9-47aa-9912-a6313dc05111', '010b6b19-2a44-408a-91de-ebc82c694261', 'approved', '76b0d686-9d0e-499a-9866-9cf7716fe1cf', 'First invoice from new supplier', '2025-11-18 08:02:00', '2025-11-18 07:30:50', '2025-11-18 08:02:00'),
    ('e94cdcbf-14fa-4d57-b651-1d6d3e8f4452', 'a303e564-1f15-489b-85f2-e92117e52273', 'e95a8b17-55f9-4bdb-84e3-ae8b397fdd95', '97bd710d-230d-4724-9946-eefef30c3ead', 'pending', NULL, 'Low confidence urgency score', NULL, '2025-11-18 15:20:09', '2025-11-18 15:20:09');

INSERT INTO webhooks (id, tenant_id, created_by_user_id, name, url, secret, is_active, created_at, updated_at) VALUES
    ('6bf36249-abf4-4635-a08b-303edae597b1', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '76b0d686-9d0e-499a-9866-9cf7716fe1cf', 'ERP invoice events', 'https://erp.acme-logistics.example/hooks/agents', 'whsec_3f9a1c', TRUE, '2025-09-15 10:30:00', '2025-09-15 10:30:00'),
    ('a8f7a66c-6f04-4d7b-892a-a892f2e37b9c', 'a303e564-1f15-489b-85f2-e92117e52273', '92538be1-530f-49d0-8842-6c42609b48cc', 'Triage alerts', 'https://alerts.northwind-health.example/ingest', NULL, FALSE, '2025-10-02 14:45:00', '2025-10-02 14:45:00');

INSERT INTO api_keys (id, tenant_id, created_by_user_id, name, key_prefix, key_hash, last_used_at, expires_at, created_at, updated_at) VALUES
    ('64f88619-418d-4153-b406-eff8577dc39b', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '76b0d686-9d0e-499a-9866-9cf7716fe1cf', 'ERP integration', 'sk_live_a1b2', '9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f', '2025-11-18 07:30:00', NULL, '2025-09-15 10:30:00', '2025-11-18 07:30:00'),
    ('ba3e177f-b920-450d-aa14-10c80370d8cc', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', '81eba221-d43c-49d9-849e-b5a95ca768a1', 'Routing CLI', 'sk_live_c3d4', '1a3c5e7b9d0f2e4a6c8b0d2f4e6a8c0b1d3f5e7a9c2e4b6d8f0a2c4e6b8d0f1a', NULL, '2026-03-31 23:59:59', '2025-10-02 14:45:00', '2025-10-02 14:45:00'),
    ('9d4cc71b-dfe8-4140-942c-65f168f6a472', 'a303e564-1f15-489b-85f2-e92117e52273', NULL, 'Legacy import job', 'sk_live_e5f6', '7e9a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f2a4c6e8b0d2f4a6c8e0b1d3f5a', '2025-10-30 04:00:00', NULL, '2025-09-15 10:30:00', '2025-09-15 10:30:00');

COMMIT;
