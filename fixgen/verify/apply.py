"""Apply and roll back the spec's indexes with fixgen's own migration, the Alembic revision emit writes.

The revision is rendered like `fixgen emit --target alembic` renders it, loaded from a temporary file and
run in-process through Alembic's `MigrationContext`/`Operations` on one connection, as an `env.py` runs it
(fixgen/dbcheck.py runs the preflight the same way). So what verify measures is the migration that will
run in production: its guards, its online builds, its ledger, and its downgrade as the way back, with no
client program (psql, mariadb) needed.
"""

from __future__ import annotations

import importlib.util
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

from fixgen import __version__
from fixgen.errors import FixgenError
from fixgen.spec import Spec

NAME = "fixgen_verify"


def index_plan(spec: Spec):  # -> fixgen.planner.Plan
    """The plan of the spec's index fixes, with the object names the Alembic target gives them."""
    from fixgen.dialects import PORTABLE
    from fixgen.targets import get_target, plan_for

    return plan_for(spec, get_target("alembic"), PORTABLE, NAME)


@contextmanager
def revision_module(spec: Spec, plan, online: bool) -> Iterator[ModuleType]:  # plan: fixgen.planner.Plan
    """The plan's Alembic revision, rendered as `fixgen emit --target alembic` would, as a loaded module."""
    from fixgen.dialects import PORTABLE
    from fixgen.targets import fingerprint, get_target
    from fixgen.targets.context import Context

    target = get_target("alembic")
    # a revision id of its own for each run: the ledger keys its steps by it, so a run's downgrade undoes only
    # what this run made (never what an earlier `verify --keep` left); alembic_version is never written
    revision = "verify_" + secrets.token_hex(6)
    ctx = Context(created=datetime.now(timezone.utc).replace(microsecond=0), name=NAME,
                  source=Path(spec.file or "-").name, version=__version__, online=online,
                  revision=revision, down_revision=None)
    ctx = replace(ctx, fingerprint=fingerprint(plan, target, PORTABLE, ctx))
    [text] = target.render(plan, PORTABLE, ctx).files.values()
    with tempfile.TemporaryDirectory(prefix="fixgen_verify_") as tmp:
        path = Path(tmp) / "fixgen_verify_revision.py"
        path.write_text(text, encoding="utf-8")
        loader = importlib.util.spec_from_file_location("fixgen_verify_revision", path)
        assert loader is not None and loader.loader is not None
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        yield module


def run_step(engine, module: ModuleType, step: str) -> None:  # engine: sqlalchemy.Engine
    """Run the revision's `upgrade` or `downgrade` on a connection of its own, as env.py would."""
    import sqlalchemy as sa

    try:
        from alembic.migration import MigrationContext
        from alembic.operations import Operations
        from alembic.util import CommandError
    except ImportError:
        raise FixgenError("verify applies the indexes through Alembic: pip install 'fixgen[db]'") from None
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            # as Alembic's run_migrations: the outer transaction (real where DDL is transactional), and one per
            # migration where it is not (SQLite, MySQL), committed when the step is done
            with Operations.context(context), context.begin_transaction(), context.begin_transaction(_per_migration=True):
                getattr(module, step)()
    except CommandError as e:  # the revision's own refusals: the preflight's problems, a lock not granted
        raise FixgenError(f"the migration's {step}() refused: {e}") from None
    except sa.exc.DBAPIError as e:
        raise FixgenError(f"the migration's {step}() failed: {str(e.orig).strip() or e}") from None
