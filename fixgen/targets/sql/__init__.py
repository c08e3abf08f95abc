"""Target `sql`: dispatch to the dialect's renderer."""

from __future__ import annotations

from fixgen.dialects import Dialect
from fixgen.planner import Plan
from fixgen.targets.context import Context
from fixgen.targets.sql.base import SqlMigration, SqlRenderer


def renderer_for(dialect: Dialect, online: bool = False) -> type[SqlRenderer]:
    from fixgen.targets.sql.mysql import MySQLRenderer
    from fixgen.targets.sql.postgresql import PostgresRenderer
    from fixgen.targets.sql.postgresql_online import PostgresOnlineRenderer
    from fixgen.targets.sql.sqlite import SQLiteRenderer

    if online and dialect.name == "postgresql":
        return PostgresOnlineRenderer
    return {"postgresql": PostgresRenderer, "mysql": MySQLRenderer, "sqlite": SQLiteRenderer}[dialect.name]


def render_sql(plan: Plan, dialect: Dialect, ctx: Context) -> SqlMigration:
    """Render a plan made by fixgen.targets.plan_for, which has refused what the dialect cannot guard."""
    return renderer_for(dialect, ctx.online)(plan, ctx).render()
