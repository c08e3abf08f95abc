"""Shared fixtures: fresh real databases per test, and --update-golden."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from support import dbs


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        dest="update_golden",
        help="rewrite golden files from the current output instead of comparing",
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    dbs.dispose_all()


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("update_golden"))


def _fresh(dialect: str, tmp_path: Path):
    db = dbs.database_or_skip(dialect, tmp_path)
    try:
        yield db
    finally:
        dbs.drop_database(db)


@pytest.fixture(params=dbs.DIALECTS, ids=list(dbs.DIALECTS))
def db(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database of each dialect: sqlite, postgresql, mysql."""
    yield from _fresh(request.param, tmp_path)


@pytest.fixture
def pg_db(tmp_path: Path):
    yield from _fresh("postgresql", tmp_path)


@pytest.fixture
def mysql_db(tmp_path: Path):
    yield from _fresh("mysql", tmp_path)


@pytest.fixture
def sqlite_db(tmp_path: Path):
    yield from _fresh("sqlite", tmp_path)


DB_FIXTURES = {"db", "pg_db", "mysql_db", "sqlite_db"}
# helpers whose use means a database server, PHP or a framework run
SERVICE_HELPERS = ("create_database", "database_or_skip", "fresh_database", "run_laravel", "php_lint", "Project(",
                   "emit_laravel", "run_sql_file", "npx", "schemalint")


@functools.cache
def _uses_services(path: str) -> bool:
    text = Path(path).read_text(encoding="utf-8")
    return any(h in text for h in SERVICE_HELPERS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`db` marks every test that needs a database, PHP or a framework run: `pytest -m "not db"` is the fast set.

    A test is marked when it takes a database fixture, is parametrized by dialect, or its module calls a
    service helper (then the whole module counts: a few fast tests there run only in the full suite)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (DB_FIXTURES & set(getattr(item, "fixturenames", ())) or "dialect" in params
                or _uses_services(str(item.path))):
            item.add_marker(pytest.mark.db)
