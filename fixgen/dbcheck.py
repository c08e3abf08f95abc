"""`fixgen validate SPEC --db URL`: the migration's preflight, run read-only against a live database.

The checks are the ones a generated Alembic revision runs before any change (fixgen/targets/preflight.py
decides them from the plan; the Alembic runtime spells them), executed here in-process through Alembic's
operation context on one connection, inside a transaction that is rolled back: the orphan counts and
catalog reads change nothing. So what `validate --db` reports is what every target's preflight would
refuse, before anyone runs a migration.
"""

from __future__ import annotations

from fixgen.dbschema import engine_for
from fixgen.errors import FixgenError
from fixgen.planner import Plan


def problems_in(plan: Plan, url: str, online: bool = True) -> list[str]:
    """Every reason the database at `url` cannot take the plan's fixes (empty: it can)."""
    engine = engine_for(url)  # says what to install if SQLAlchemy or the driver is missing
    import sqlalchemy as sa

    try:
        from alembic.migration import MigrationContext
        from alembic.operations import Operations
    except ImportError:
        raise FixgenError("validate --db runs the preflight through Alembic: pip install 'fixgen[db]'") from None

    from fixgen.targets.alembic import runtime
    from fixgen.targets.alembic.render import _preflight_calls

    problems: list[str] = []
    saved = runtime.ONLINE
    runtime.ONLINE = online  # the checks that tell an interrupted online run's leftovers from a clash
    try:
        with engine.connect() as conn:
            try:
                with Operations.context(MigrationContext.configure(conn)):
                    for call in _preflight_calls(plan):
                        getattr(runtime, call.fn)(problems, *call.args[1:])
            finally:
                conn.rollback()
    except sa.exc.DBAPIError as e:
        raise FixgenError(f"cannot check against the database: {str(e.orig).strip() or e}") from None
    finally:
        runtime.ONLINE = saved
        engine.dispose()
    return list(dict.fromkeys(problems))
