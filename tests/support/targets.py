"""One migration's first up, through any target: for tests of what every target refuses the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.alembic import emit_alembic, project
from support.dbs import Database
from support.laravel import emit_laravel
from support.laravel import run_fails as laravel_fails
from support.sql import emit, run_fails


def failed_up(target: str, db: Database, tmp_path: Path, issues: list[dict[str, Any]], *flags: str) -> str:
    """Emit `issues` for `target` ("sql", "sql-plain", "laravel" or "alembic"), run up, which must fail:
    the client's, PHP's or Alembic's whole message."""
    if target.startswith("sql"):
        plain = ("--no-online",) if target == "sql-plain" else ()
        return run_fails(db, emit(issues, db.dialect, tmp_path, *plain, *flags).up)
    spec = {"version": 1, "name": "refused", "issues": issues}
    if target == "laravel":
        return laravel_fails(db, emit_laravel(spec, tmp_path, *flags))
    proj = project(tmp_path, db)
    emit_alembic(spec, proj.versions, *flags)
    with pytest.raises(Exception) as info:  # noqa: PT011 - CommandError or the driver's: the text is what counts
        proj.upgrade("head")
    return str(info.value)
