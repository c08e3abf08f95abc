"""Alembic for the tests: a throw-away project (env.py, script.py.mako, versions/), fixgen's revisions
written into it and checked with py_compile, and the snapshots without Alembic's own table."""

from __future__ import annotations

import ast
import contextlib
import io
import py_compile
import shutil
from pathlib import Path
from typing import Any

import alembic
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from support.dbs import Database
from support.roundtrip import LEDGER_KEY_COLUMNS, TS, check_ledger_table, fixgen_emit, without, write_spec

TESTS = Path(__file__).resolve().parents[1]
ENV_PY = TESTS / "alembic_env" / "env.py"
MAKO = Path(alembic.__file__).resolve().parent / "templates" / "generic" / "script.py.mako"
VERSION_TABLE = "alembic_version"
LEDGER_COLUMNS = [*LEDGER_KEY_COLUMNS, "applied_at"]


# --------------------------------------------------------------------------- the CLI


def emit_alembic(spec: Path | dict[str, Any], versions: Path, *extra: str, timestamp: str = TS) -> Path:
    """`fixgen emit SPEC --target alembic --out VERSIONS --timestamp TS [extra]`: the new file,
    checked with py_compile."""
    if not isinstance(spec, Path):
        spec = write_spec(versions.parent, spec)
    before = set(versions.glob("*.py")) if versions.is_dir() else set()
    fixgen_emit(spec, "alembic", versions, *extra, timestamp=timestamp)
    [new] = sorted(set(versions.glob("*.py")) - before)
    py_compile.compile(str(new), cfile=str(versions.parent / "compiled.pyc"), doraise=True)
    return new


def module_values(path: Path) -> dict[str, Any]:
    """Top-level literal assignments of a revision file (revision, down_revision, MIGRATION...)."""
    out: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        else:
            continue
        with contextlib.suppress(ValueError):
            out[name] = ast.literal_eval(value)
    return out


# --------------------------------------------------------------------------- an Alembic project


class Project:
    """A throw-away Alembic project: script_location with env.py, script.py.mako, versions/."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self.versions = root / "versions"
        self.versions.mkdir(parents=True)
        shutil.copy(ENV_PY, root / "env.py")
        shutil.copy(MAKO, root / "script.py.mako")
        self.stdout = io.StringIO()  # command.heads and friends print here
        self.sql = io.StringIO()  # offline SQL goes here

    @property
    def cfg(self) -> Config:
        cfg = Config(stdout=self.stdout, output_buffer=self.sql)
        cfg.set_main_option("script_location", str(self.root))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def upgrade(self, rev: str = "head", **kw: Any) -> None:
        command.upgrade(self.cfg, rev, **kw)

    def downgrade(self, rev: str = "base", **kw: Any) -> None:
        command.downgrade(self.cfg, rev, **kw)

    def stamp(self, rev: str) -> None:
        command.stamp(self.cfg, rev)

    def heads(self) -> list[str]:
        return sorted(ScriptDirectory.from_config(self.cfg).get_heads())

    def heads_output(self) -> str:
        self.stdout.seek(0)
        self.stdout.truncate()
        command.heads(self.cfg)
        return self.stdout.getvalue()

    def write_ini(self) -> Path:
        ini = self.root / "alembic.ini"
        url = self.url.replace("%", "%%")
        ini.write_text(f"[alembic]\nscript_location = {self.root}\nsqlalchemy.url = {url}\n", encoding="utf-8")
        return ini


def project(tmp_path: Path, db: Database | str) -> Project:
    return Project(tmp_path / "alembic", db if isinstance(db, str) else db.url)


# --------------------------------------------------------------------------- snapshot helpers


def version_rows(db: Database) -> list[tuple]:
    if VERSION_TABLE not in db.table_names():
        return []
    return db.query(f"SELECT version_num FROM {VERSION_TABLE}")


def alembic_ledger_table(s: dict) -> dict:
    """The ledger table upgrade() created: exactly migration, step, object_name, applied_at."""
    return check_ledger_table(s, made_by="upgrade", exact_columns=LEDGER_COLUMNS)


def after_alembic(db: Database) -> dict:
    """The schema snapshot without Alembic's own bookkeeping table."""
    return without(db.schema_snapshot(), VERSION_TABLE)
