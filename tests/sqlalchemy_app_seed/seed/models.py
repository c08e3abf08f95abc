"""The seed's "before" schema (examples/seed-before.*.sql) as SQLAlchemy 2.0 models."""

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AgentExecutions(Base):
    __tablename__ = "agent_executions"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.CHAR(36))
    agent_id: Mapped[str] = mapped_column(
        sa.CHAR(36),
        sa.ForeignKey("agents.id", name="agent_executions_agent_id_foreign", ondelete="CASCADE"),
    )
    status: Mapped[str] = mapped_column(sa.String(50))
    input_summary: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    completed_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Agents(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(
        sa.CHAR(36),
        sa.ForeignKey("tenants.id", name="agents_tenant_id_foreign", ondelete="CASCADE"),
    )
    created_by_user_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    marketplace_listing_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    model: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(50))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class ApiKeys(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.CHAR(36))
    created_by_user_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    key_prefix: Mapped[str] = mapped_column(sa.String(16))
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    last_used_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    expires_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Branches(Base):
    __tablename__ = "branches"
    __table_args__ = (
        sa.Index("branches_organization_id_index", "organization_id"),
    )

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    city: Mapped[str | None] = mapped_column(sa.String(255))
    branch_manager_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Departments(Base):
    __tablename__ = "departments"
    __table_args__ = (
        sa.Index("departments_branch_id_index", "branch_id"),
    )

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    branch_id: Mapped[str] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    department_head_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class HitlApprovals(Base):
    __tablename__ = "hitl_approvals"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.CHAR(36))
    agent_id: Mapped[str] = mapped_column(
        sa.CHAR(36),
        sa.ForeignKey("agents.id", name="hitl_approvals_agent_id_foreign", ondelete="CASCADE"),
    )
    execution_id: Mapped[str] = mapped_column(sa.CHAR(36))
    status: Mapped[str] = mapped_column(sa.String(50))
    assigned_to_user_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class MarketplaceListings(Base):
    __tablename__ = "marketplace_listings"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    slug: Mapped[str] = mapped_column(sa.String(255))
    price_cents: Mapped[int] = mapped_column(sa.Integer)
    published_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Organizations(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        sa.Index("organizations_tenant_id_index", "tenant_id"),
    )

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Projects(Base):
    __tablename__ = "projects"
    __table_args__ = (
        sa.Index("projects_department_id_index", "department_id"),
    )

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    department_id: Mapped[str] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(50))
    project_manager_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class TeamMembers(Base):
    __tablename__ = "team_members"

    team_id: Mapped[str] = mapped_column(
        sa.CHAR(36),
        sa.ForeignKey("teams.id", name="team_members_team_id_foreign", ondelete="CASCADE"),
        primary_key=True,
    )
    user_id: Mapped[str] = mapped_column(
        sa.CHAR(36),
        sa.ForeignKey("users.id", name="team_members_user_id_foreign", ondelete="CASCADE"),
        primary_key=True,
    )
    role: Mapped[str] = mapped_column(sa.String(50))
    joined_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime)


class Teams(Base):
    __tablename__ = "teams"
    __table_args__ = (
        sa.Index("teams_department_id_index", "department_id"),
    )

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    department_id: Mapped[str] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    team_lead_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Tenants(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    slug: Mapped[str] = mapped_column(sa.String(255))
    plan: Mapped[str] = mapped_column(sa.String(50))
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Users(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(
        sa.CHAR(36),
        sa.ForeignKey("tenants.id", name="users_tenant_id_foreign", ondelete="CASCADE"),
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str] = mapped_column(sa.String(255))
    password: Mapped[str] = mapped_column(sa.String(255))
    email_verified_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Webhooks(Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.CHAR(36))
    created_by_user_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    url: Mapped[str] = mapped_column(sa.String(2048))
    secret: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class WorkflowExecutions(Base):
    __tablename__ = "workflow_executions"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(sa.CHAR(36))
    triggered_by_user_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    tenant_id: Mapped[str] = mapped_column(sa.CHAR(36))
    status: Mapped[str] = mapped_column(sa.String(50))
    started_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    completed_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)


class Workflows(Base):
    __tablename__ = "workflows"

    id: Mapped[str] = mapped_column(sa.CHAR(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(sa.CHAR(36))
    department_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    project_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    created_by_user_id: Mapped[str | None] = mapped_column(sa.CHAR(36))
    name: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime)

