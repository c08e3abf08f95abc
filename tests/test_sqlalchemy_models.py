"""`fixgen models SPEC --app DIR --orm sqlalchemy`: the app's SQLAlchemy models rewritten to declare what the
fix migration created, so that Alembic's autogenerate finds nothing to undo.

End to end (a real Alembic project, `alembic init` through Alembic's command API, on SQLite, PostgreSQL and
MariaDB): the fixture app's models (tests/sqlalchemy_app: both SQLAlchemy styles over several files, a Table(...)
pivot, `__table_args__` as tuple, dict and absent, ForeignKey by string and by attribute, a Column named by its
first argument) create the "before" schema; compare_metadata finds nothing; `fixgen emit --target alembic`,
`alembic upgrade head`; now the old models differ; `fixgen models --write --env-py`; compare_metadata finds
nothing but the ledger (and, through env.py's hook, `alembic check` passes); a second `models --write` changes
nothing; `alembic downgrade base` gives back the starting schema and data exactly.

The fast tests (no database) cover the rewrite itself: comments and layout kept, idempotence, what is reported
to check by hand and left alone, ORM detection, and env.py's hook.
"""

from __future__ import annotations

import difflib
import importlib
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from support.alembic import after_alembic
from support.dbs import Database
from support.roundtrip import ROOT, TS, cli, write_spec

from fixgen.targets.alembic.autogenerate import HINT, HOOK

APP = ROOT / "tests" / "sqlalchemy_app"
SPEC = APP / "spec.yaml"
LEDGER = "fixgen_ledger"
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.MovedIn20Warning")  # crm keeps 1.4's imports


@dataclass(frozen=True)
class Fixture:
    """A fixture app: its folder, the package whose import declares every table, rows for its "before" schema,
    and the report lines that stay (raw SQL to check by hand)."""

    folder: Path
    package: str
    rows: dict[str, list[dict[str, Any]]]
    to_check: int
    spec: str = "spec.yaml"  # relative to the folder

    @property
    def spec_path(self) -> Path:
        return self.folder / self.spec


SHOP = Fixture(APP, "shop", {
    "users": [{"id": 1, "email": "a@example.com"}, {"id": 2, "email": "b@example.com"}],
    "teams": [{"id": 1, "name": "core"}],
    "team_members": [{"team_id": 1, "user_id": 1}, {"team_id": 1, "user_id": 2}],
    "webhooks": [{"id": 1, "tenant_id": 7, "created_by_user_id": 1, "url": "https://a"},
                 {"id": 2, "tenant_id": 7, "created_by_user_id": None, "url": "https://b"}],
    "agents": [{"id": 1, "owner_id": 2, "status": "idle"}],
    "projects": [{"id": 1, "name": "p", "project_manager_id": 1}],
}, 1)
CRM = Fixture(ROOT / "tests" / "sqlalchemy_app14", "crm", {
    "regions": [{"code": "n", "country": "de", "label": "North", "slug": "north"},
                {"code": "s", "country": "de", "label": "South", "slug": "south"}],
    "accounts": [{"id": 1, "name": "a", "region_code": "n", "region_country": "de"},
                 {"id": 2, "name": "b", "region_code": None, "region_country": None}],
    "contacts": [{"id": 1, "account_id": 1, "email_address": "x@example.com", "owner_region": "south"}],
}, 0)
# the seed's before schema as models, and every fix of examples/seed-fixes.yaml
SEED = Fixture(ROOT / "tests" / "sqlalchemy_app_seed", "seed", {}, 0, "../../examples/seed-fixes.yaml")


# --------------------------------------------------------------------------- helpers


def copy_app(tmp_path: Path, fixture: Fixture = SHOP) -> Path:
    root = tmp_path / "app"
    shutil.copytree(fixture.folder, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def app_texts(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))
            if "__pycache__" not in p.parts}


def load_metadata(root: Path, fixture: Fixture = SHOP) -> sa.MetaData:
    """The app's MetaData, imported afresh from the files as they are now."""
    package = fixture.package
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    sys.path[:] = [p for p in sys.path if not p.endswith("/app")]  # another test's copy of an app
    sys.path.insert(0, str(root))
    return importlib.import_module(f"{package}.models").Base.metadata


def differences(db: Database, metadata: sa.MetaData, hide_ledger: bool = True) -> list[Any]:
    """Alembic's compare_metadata: what autogenerate would write (fixgen_ledger left out unless asked)."""

    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        return not (hide_ledger and type_ == "table" and name == LEDGER)

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": include_name})
        return [d for d in compare_metadata(ctx, metadata) if not _alembic_version(d)]


def _alembic_version(diff: Any) -> bool:
    return isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version"


def init_alembic(root: Path, url: str, fixture: Fixture = SHOP) -> Config:
    """`alembic init migrations` in the app, its env.py given the app's metadata as target_metadata."""
    ini = root / "alembic.ini"
    command.init(Config(str(ini)), str(root / "migrations"), template="generic")
    text = ini.read_text(encoding="utf-8")
    lines = [f"sqlalchemy.url = {url.replace('%', '%%')}" if ln.startswith("sqlalchemy.url") else ln
             for ln in text.splitlines()]
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = root / "migrations" / "env.py"
    env_text = env.read_text(encoding="utf-8")
    assert "target_metadata = None" in env_text
    hook = f"from {fixture.package}.models import Base\n\ntarget_metadata = Base.metadata"
    env.write_text(env_text.replace("target_metadata = None", hook), encoding="utf-8")
    return Config(str(ini))


def spec_for(db: Database, tmp_path: Path, fixture: Fixture) -> Path:
    """The fixture's spec; on SQLite without the change of key actions (fixgen rebuilds a SQLite table only for a
    key it wrote itself, and refuses that one in the preflight)."""
    doc = yaml.safe_load(fixture.spec_path.read_text(encoding="utf-8"))
    if db.dialect == "sqlite":
        doc["issues"] = [i for i in doc["issues"] if i["kind"] != "foreign_key_actions"]
    path = tmp_path / "spec" / f"{doc['name']}.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def seed_rows(db: Database, fixture: Fixture) -> None:
    meta = sa.MetaData()
    with db.engine.begin() as conn:
        meta.reflect(conn)
        for table, values in fixture.rows.items():
            conn.execute(meta.tables[table].insert(), values)


# --------------------------------------------------------------------------- end to end, on real databases


@pytest.mark.parametrize("fixture", [SHOP, CRM, SEED], ids=["shop", "crm", "seed"])
def test_alembic_project_autogenerate_finds_nothing_after_models_write(db: Database, tmp_path: Path,
                                                                      fixture: Fixture) -> None:
    root = copy_app(tmp_path, fixture)
    spec = spec_for(db, tmp_path, fixture)
    cfg = init_alembic(root, db.url, fixture)
    before = load_metadata(root, fixture)
    with db.engine.begin() as conn:
        before.create_all(conn)
    seed_rows(db, fixture)
    start, start_data = after_alembic(db), db.data_snapshot()
    assert differences(db, before) == [], "the fixture's models must match the schema they created"

    versions = root / "migrations" / "versions"
    emitted = cli("emit", spec, "--target", "alembic", "--out", versions, "--timestamp", TS)
    assert emitted.code == 0, emitted.output
    assert HINT in emitted.errors
    command.upgrade(cfg, "head")
    stale = differences(db, load_metadata(root, fixture))
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in stale}
    assert {"remove_column", "remove_index", "remove_fk"} <= kinds, stale  # the old models would undo the fix

    run = cli("models", spec, "--app", root, "--write", "--env-py", root / "migrations" / "env.py")
    assert run.code == 1, run.output  # changes made (and, in the shop, one raw-SQL string to check by hand)
    if fixture is SHOP:
        assert any(line.startswith("shop/queries.py:6: ") and "check by hand" in line
                   for line in run.stdout.splitlines()), run.stdout
    assert re.fullmatch(rf"[1-9][0-9]* change\(s\) in [1-9] file\(s\), {fixture.to_check} to check by hand",
                        run.errors[-1]), run.stderr

    after = load_metadata(root, fixture)
    assert differences(db, after) == []
    ledger_only = differences(db, after, hide_ledger=False)
    assert [(d[0], d[1].name) for d in ledger_only] == [("remove_table", LEDGER)]
    command.check(cfg)  # autogenerate through env.py, with fixgen's hook: no new upgrade operations

    written = app_texts(root)
    again = cli("models", spec, "--app", root, "--write", "--env-py", root / "migrations" / "env.py")
    assert again.errors[-1] == f"0 change(s) in 0 file(s), {fixture.to_check} to check by hand", again.output
    assert app_texts(root) == written

    command.downgrade(cfg, "base")
    assert after_alembic(db) == start
    assert {t: rows for t, rows in db.data_snapshot().items() if t != "alembic_version"} == start_data


# --------------------------------------------------------------------------- the rewrite (no database)


def import_file(path: Path) -> Any:
    """The file as a real module (SQLAlchemy reads Mapped[...] annotations in the module's namespace)."""
    import importlib.util

    name = f"fixgen_models_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def models(tmp_path: Path, files: dict[str, str], issues: list[dict], *extra: str):
    root = tmp_path / f"app{len(list(tmp_path.iterdir()))}"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    spec = write_spec(tmp_path, {"version": 1, "issues": issues})
    return root, spec, cli("models", spec, "--app", root, "--orm", "sqlalchemy", *extra)


MODEL_20 = '''\
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)


class Order(Base):
    """Orders; the comments below must survive."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # who placed it
    customer_id: Mapped[int]  # no key yet
    note: Mapped[str] = mapped_column(
        String(40),   # odd spacing, kept
        nullable=True,
    )
'''


def test_rewrite_keeps_comments_and_layout_and_is_idempotent(tmp_path: Path) -> None:
    issues = [{"kind": "missing_foreign_key", "table": "orders", "columns": ["customer_id"], "references": "users.id",
               "on_delete": "cascade"},
              {"kind": "missing_index", "table": "orders", "columns": ["note"]},
              {"kind": "missing_index", "table": "orders", "columns": ["customer_id", "note"], "unique": True}]
    root, spec, run = models(tmp_path, {"models.py": MODEL_20}, issues, "--write")
    assert run.code == 1, run.output
    text = (root / "models.py").read_text(encoding="utf-8")
    compile(text, "models.py", "exec")
    for kept in ('    """Orders; the comments below must survive."""', "    # who placed it", "# no key yet",
                 "        String(40),   # odd spacing, kept", "        nullable=True,"):
        assert kept in text
    # grown past 120 characters: one argument per line; the supporting index is left out (the unique one leads
    # with customer_id, so the plan makes none)
    assert ('    customer_id: Mapped[int] = mapped_column(\n'
            '        ForeignKey("users.id", name="fk_orders_customer_id_users", ondelete="CASCADE"),\n'
            '    )  # no key yet\n') in text
    assert "        nullable=True,\n        index=True,\n    )" in text  # the trailing-comma layout goes on
    assert ('    __tablename__ = "orders"\n'
            '    __table_args__ = (Index("uq_orders_customer_id_note", "customer_id", "note", unique=True),)\n') in text
    assert "from sqlalchemy import ForeignKey, Index, String" in text  # merged into the import, still sorted
    again = cli("models", spec, "--app", root, "--orm", "sqlalchemy", "--write")
    assert again.code == 0 and again.errors == ["0 change(s) in 0 file(s), 0 to check by hand"], again.output
    assert (root / "models.py").read_text(encoding="utf-8") == text
    # the result is real SQLAlchemy: the metadata has the fix's objects under the fix's names
    orders = import_file(root / "models.py").Base.metadata.tables["orders"]
    assert {i.name for i in orders.indexes} == {"ix_orders_note", "uq_orders_customer_id_note"}
    [fk] = orders.foreign_key_constraints
    assert (fk.name, fk.ondelete, [c.name for c in fk.columns]) == ("fk_orders_customer_id_users", "CASCADE", ["customer_id"])


LEGACY = '''\
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import declarative_base

Base = declarative_base()

tags = Table("tags", Base.metadata, Column("id", Integer, primary_key=True))
likes = Table("likes", Base.metadata, Column("id", Integer, primary_key=True),
              Column("author", Integer, ForeignKey("posts.author_ref")))


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = {"info": {"a": 1}}

    id = Column(Integer, primary_key=True)
    author = Column("author_ref", Integer)
    title = Column(String(50))
'''


def test_rename_keeps_the_attribute_and_adds_columns_in_the_class_style(tmp_path: Path) -> None:
    issues = [{"kind": "rename_column", "table": "posts", "from": "author_ref", "to": "author_id"},
              {"kind": "missing_index", "table": "posts", "columns": ["author_id", "title"]},
              {"kind": "missing_column", "table": "posts", "column": "score", "type": "integer", "nullable": False,
               "default": 0},
              {"kind": "missing_timestamps", "table": "tags"}]
    root, spec, run = models(tmp_path, {"blog/models.py": LEGACY}, issues, "--write")
    assert run.code == 1, run.output
    text = (root / "blog/models.py").read_text(encoding="utf-8")
    assert 'author = Column("author_id", Integer)' in text  # the attribute stays: ORM code goes on working
    assert 'Column("author", Integer, ForeignKey("posts.author_id"))' in text  # a string reference names the key
    assert "score = Column(Integer, nullable=False, server_default=text(\"0\"))" in text
    assert ('__table_args__ = (Index("ix_posts_author_id_title", "author_id", "title"), {"info": {"a": 1}})' in text)
    assert 'Column("created_at", DateTime, nullable=True)' in text
    module = import_file(root / "blog/models.py")
    posts = module.Base.metadata.tables["posts"]
    assert posts.c.author_id.name == "author_id" and module.Post.author.property.columns[0] is posts.c.author_id
    assert [c.name for c in next(iter(posts.indexes)).columns] == ["author_id", "title"]
    assert posts.info == {"a": 1}
    assert set(module.Base.metadata.tables["tags"].c.keys()) == {"id", "created_at", "updated_at"}


def test_renamed_column_keeps_its_index_name_and_string_references_follow(tmp_path: Path) -> None:
    src = MODEL_20 + '''

class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (UniqueConstraint("created_by_user_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_user_id: Mapped[int] = mapped_column(index=True)
    url: Mapped[str] = mapped_column(String(100))


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("webhooks.created_by_user_id"))
'''
    src = src.replace("from sqlalchemy import ForeignKey, String", "from sqlalchemy import ForeignKey, String, UniqueConstraint")
    issues = [{"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"},
              {"kind": "missing_index", "table": "webhooks", "columns": ["user_id"]}]  # present by definition after it
    root, spec, run = models(tmp_path, {"models.py": src}, issues, "--write")
    assert run.code == 1, run.output
    text = (root / "models.py").read_text(encoding="utf-8")
    assert 'created_by_user_id: Mapped[int] = mapped_column("user_id")' in text
    assert '__table_args__ = (UniqueConstraint("user_id", "url"), Index("ix_webhooks_created_by_user_id", "user_id"))' in text
    assert 'sender_id: Mapped[int] = mapped_column(ForeignKey("webhooks.user_id"))' in text
    module = import_file(root / "models.py")
    webhooks = module.Base.metadata.tables["webhooks"]
    [index] = webhooks.indexes  # the database's index kept its name through the rename; no second one
    assert (index.name, [c.name for c in index.columns]) == ("ix_webhooks_created_by_user_id", ["user_id"])
    assert module.Webhook.created_by_user_id.property.columns[0] is webhooks.c.user_id  # ORM code is unchanged
    [fk] = module.Base.metadata.tables["deliveries"].foreign_keys
    assert fk.column is webhooks.c.user_id


def test_redundant_index_and_key_actions_by_object_reference(tmp_path: Path) -> None:
    src = MODEL_20.replace('    customer_id: Mapped[int]  # no key yet\n',
                           '    customer_id: Mapped[int] = mapped_column(ForeignKey(User.id), index=True)\n')
    src += "\n\nIndex(\"orders_note_idx\", Order.note)\n"
    src = src.replace("from sqlalchemy import ForeignKey, String", "from sqlalchemy import ForeignKey, Index, String")
    issues = [{"kind": "foreign_key_actions", "table": "orders", "name": "orders_customer_id_fkey",
               "columns": ["customer_id"], "references": "users.id", "on_delete": "set_null"},
              {"kind": "redundant_index", "table": "orders", "name": "orders_note_idx", "columns": ["note"]},
              {"kind": "redundant_index", "table": "orders", "name": "ix_orders_customer_id", "columns": ["customer_id"]}]
    root, spec, run = models(tmp_path, {"models.py": src}, issues, "--write")
    assert run.code == 1, run.output
    text = (root / "models.py").read_text(encoding="utf-8")
    assert 'customer_id: Mapped[int] = mapped_column(ForeignKey(User.id, ondelete="SET NULL"))' in text
    assert "orders_note_idx" not in text


def test_index_true_only_where_the_apps_naming_convention_gives_fixgens_name(tmp_path: Path) -> None:
    src = MODEL_20.replace("class Base(DeclarativeBase):\n    pass\n",
                           'CONVENTION = {"ix": "%(table_name)s_%(column_0_name)s_idx", "fk": "fk_%(table_name)s"}\n\n\n'
                           "class Base(DeclarativeBase):\n    metadata = MetaData(naming_convention=CONVENTION)\n")
    src = src.replace("from sqlalchemy import ForeignKey, String", "from sqlalchemy import ForeignKey, MetaData, String")
    issues = [{"kind": "missing_index", "table": "orders", "columns": ["note"], "name": "orders_note_idx"},
              {"kind": "missing_index", "table": "orders", "columns": ["customer_id"]}]
    root, spec, run = models(tmp_path, {"models.py": src}, issues, "--write")
    assert run.code == 1, run.output
    text = (root / "models.py").read_text(encoding="utf-8")
    assert "        index=True,\n    )" in text  # note: the convention names it orders_note_idx, as the fix does
    assert '__table_args__ = (Index("ix_orders_customer_id", "customer_id"),)' in text  # not what index=True gives
    orders = import_file(root / "models.py").Base.metadata.tables["orders"]
    assert {i.name for i in orders.indexes} == {"orders_note_idx", "ix_orders_customer_id"}


def test_unsupported_constructs_are_reported_and_left_alone(tmp_path: Path) -> None:
    src = MODEL_20.replace('    __tablename__ = "orders"\n', '    __tablename__ = "orders"\n    __table_args__ = make_args()\n')
    src = src.replace("class Base(DeclarativeBase):\n    pass\n",
                      "class Base(DeclarativeBase):\n    pass\n\n\ndef make_args():\n    return ()\n")
    issues = [{"kind": "missing_index", "table": "orders", "columns": ["customer_id", "note"]},
              {"kind": "rename_column", "table": "orders", "from": "placed_by", "to": "placed_by_id"},
              {"kind": "missing_index", "table": "invoices", "columns": ["total"]}]
    root, spec, run = models(tmp_path, {"models.py": src}, issues, "--write")
    assert run.code == 1
    assert (root / "models.py").read_text(encoding="utf-8") == src  # nothing half-done
    hand = [line for line in run.stdout.splitlines() if line.endswith("check by hand")]
    assert len(hand) == 3, run.stderr
    assert any("__table_args__ is not a literal tuple or dict" in line for line in hand)
    assert any("declares no column placed_by or placed_by_id" in line for line in hand)
    assert any("no model or Table(...) declares table invoices" in line for line in hand)


def test_a_file_that_does_not_parse_stops_the_run(tmp_path: Path) -> None:
    root, spec, run = models(tmp_path, {"models.py": MODEL_20, "broken.py": "def f(:\n"},
                             [{"kind": "missing_index", "table": "orders", "columns": ["note"]}], "--write")
    assert run.code == 2 and "broken.py:1: not Python that parses" in run.stderr, run.output
    assert (root / "models.py").read_text(encoding="utf-8") == MODEL_20
    skipped = cli("models", spec, "--app", root, "--orm", "sqlalchemy", "--skip-unparsable")
    assert skipped.code == 1 and "warning: broken.py:1" in skipped.stderr


def test_orm_is_detected_and_ambiguity_asks_for_orm(tmp_path: Path) -> None:
    issues = [{"kind": "missing_index", "table": "orders", "columns": ["note"]}]
    root, spec, run = models(tmp_path, {"models.py": MODEL_20}, issues)
    detected = cli("models", spec, "--app", root, "--diff")
    assert detected.code == 1 and "+        index=True,\n" in detected.stdout, detected.output
    (root / "app").mkdir()
    (root / "app" / "User.php").write_text("<?php\n", encoding="utf-8")
    both = cli("models", spec, "--app", root)
    assert both.code == 2 and "--orm laravel or --orm sqlalchemy" in both.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    neither = cli("models", spec, "--app", empty)  # Laravel, the default, says what is missing
    assert neither.code == 2 and "not a Laravel app" in neither.stderr, neither.output
    told = cli("models", spec, "--app", empty, "--orm", "sqlalchemy")
    assert told.code == 2 and "no SQLAlchemy model" in told.stderr, told.output


def test_env_py_gets_the_hook_once(tmp_path: Path) -> None:
    root = copy_app(tmp_path)
    init_alembic(root, "sqlite:///x.db")
    env = root / "migrations" / "env.py"
    original = env.read_text(encoding="utf-8")
    run = cli("models", SPEC, "--app", root, "--diff", "--env-py", env)
    assert "--- a/migrations/env.py" in run.stdout and env.read_text(encoding="utf-8") == original
    cli("models", SPEC, "--app", root, "--write", "--env-py", env)
    text = env.read_text(encoding="utf-8")
    compile(text, "env.py", "exec")
    assert text.count(HOOK) == 1 and text.count("include_name=include_name") == 2  # offline and online configure
    # nothing else changed: the lines added are the hook, blank ones and those passing it; a line taken out is
    # one that now passes it too
    delta = list(difflib.ndiff(original.splitlines(), text.splitlines()))
    added = [ln[2:] for ln in delta if ln.startswith("+ ")]
    removed = [ln[2:] for ln in delta if ln.startswith("- ")]
    assert all(ln in HOOK.splitlines() or not ln.strip() or "include_name=include_name" in ln for ln in added), added
    assert all(any(ln.strip().rstrip(",") in a and "include_name=include_name" in a for a in added) for ln in removed)
    assert cli("models", SPEC, "--app", root, "--write", "--env-py", env).code == 1  # the raw-SQL line stays
    assert env.read_text(encoding="utf-8") == text  # idempotent
    own = text.replace('name == "fixgen_ledger"', 'name == "spatial_ref_sys"')
    env.write_text(own, encoding="utf-8")
    mine = cli("models", SPEC, "--app", root, "--write", "--env-py", env)
    assert any("env.py has an include_name of its own" in line for line in mine.stdout.splitlines()), mine.output
    assert env.read_text(encoding="utf-8") == own


def test_docs_hold_the_same_hook() -> None:
    docs = (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")
    assert "\n".join("  " + line for line in HOOK.splitlines()) in docs
