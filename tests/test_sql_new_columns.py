"""A foreign key on a column the same spec adds (sql target, PostgreSQL and MariaDB, online and plain).

The preflight checks a new foreign key's rows before up changes anything, when a column up is
about to add is not there yet. It must reason from what that column will hold: nothing (NULL) or
its default in every existing row; on a re-run, when the column exists, it reads the rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.dbs import Database
from support.sql import emit, run_fails

SCHEMA = [
    "CREATE TABLE r (id INTEGER PRIMARY KEY)",
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20))",
    "INSERT INTO r (id) VALUES (7)",
    "INSERT INTO t (id, name) VALUES (1, 'a'), (2, 'b')",
]


def spec(default: int) -> list[dict]:
    return [
        {"kind": "missing_column", "table": "t", "column": "r_id", "type": "integer"},
        {"kind": "missing_foreign_key", "table": "t", "column": "r_id", "references": "r.id"},
        {"kind": "missing_column", "table": "t", "column": "s_id", "type": "integer", "nullable": False,
         "default": default},
        {"kind": "missing_foreign_key", "table": "t", "column": "s_id", "references": "r.id", "on_delete": "cascade"},
    ]


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_foreign_key_on_a_column_the_spec_adds(dialect: str, flags: tuple[str, ...], request: pytest.FixtureRequest,
                                               tmp_path: Path) -> None:
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    db.execute(SCHEMA)
    before = db.schema_snapshot()
    mig = emit(spec(7), dialect, tmp_path, *flags)
    db.run_sql_file(mig.up)
    snap = db.schema_snapshot()
    assert {c["name"] for c in snap["t"]["columns"]} >= {"r_id", "s_id"}
    assert sorted(tuple(fk["columns"]) for fk in snap["t"]["foreign_keys"]) == [("r_id",), ("s_id",)]
    assert db.query("SELECT id, s_id FROM t ORDER BY id") == [(1, 7), (2, 7)]
    db.run_sql_file(mig.up)  # again: the columns exist now, and the rows are read
    assert db.schema_snapshot() == snap
    db.run_sql_file(mig.down)
    after = db.schema_snapshot()
    after.pop("fixgen_ledger", None)
    assert after == before


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_default_no_row_matches_stops_before_any_change(dialect: str, request: pytest.FixtureRequest,
                                                          tmp_path: Path) -> None:
    """Every existing row would get default 8, which r lacks: the foreign key could never be added."""
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    db.execute(SCHEMA)
    before = db.schema_snapshot()
    mig = emit(spec(8), dialect, tmp_path)
    out = run_fails(db, mig.up)
    assert "2 orphan row(s) in t (s_id)" in out, out
    snap = db.schema_snapshot()
    snap.pop("fixgen_ledger", None)
    assert snap == before, "the preflight let a change through"
