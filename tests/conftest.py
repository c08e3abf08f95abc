"""Shared fixtures: fresh real databases per test, and --update-golden."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dbs  # noqa: E402


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
