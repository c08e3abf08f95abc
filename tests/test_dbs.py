"""Tests of the real-database helpers in tests/support/dbs.py."""

from __future__ import annotations

import pytest
from support import dbs
from support.dbs import Database, SqlRunError

PARENT_CHILD = {
    "postgresql": """
CREATE TABLE parent (id integer PRIMARY KEY, code varchar(20) NOT NULL);
CREATE TABLE child (
    id integer PRIMARY KEY,
    parent_id integer,
    note varchar(50) DEFAULT 'x',
    CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL
);
CREATE INDEX ix_child_parent_note ON child (parent_id, note);
""",
    "mysql": """
CREATE TABLE parent (id integer PRIMARY KEY, code varchar(20) NOT NULL);
CREATE TABLE child (
    id integer PRIMARY KEY,
    parent_id integer,
    note varchar(50) DEFAULT 'x',
    CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL
);
CREATE INDEX ix_child_parent_note ON child (parent_id, note);
""",
    "sqlite": """
CREATE TABLE parent (id integer PRIMARY KEY, code varchar(20) NOT NULL);
CREATE TABLE child (
    id integer PRIMARY KEY,
    parent_id integer,
    note varchar(50) DEFAULT 'x',
    CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL
);
CREATE INDEX ix_child_parent_note ON child (parent_id, note);
""",
}


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_name(items):
    return {item["name"]: item for item in items}


def test_snapshot_shows_index_and_fk_actions(db: Database, tmp_path):
    db.run_sql_file(write(tmp_path, "schema.sql", PARENT_CHILD[db.dialect]))
    snap = db.schema_snapshot()

    assert sorted(snap) == ["child", "parent"]
    child = snap["child"]
    assert [c["name"] for c in child["columns"]] == ["id", "parent_id", "note"]
    assert child["primary_key"] == ["id"]
    cols = by_name(child["columns"])
    assert cols["parent_id"]["nullable"] is True
    assert cols["note"]["default"] == "'x'" or cols["note"]["default"].startswith("'x'::")
    assert "50" in cols["note"]["type"]
    assert by_name(snap["parent"]["columns"])["code"]["nullable"] is False

    idx = by_name(child["indexes"])["ix_child_parent_note"]
    assert idx["columns"] == ["parent_id", "note"]
    assert idx["unique"] is False
    assert idx["valid"] is True

    (fk,) = child["foreign_keys"]
    assert fk["columns"] == ["parent_id"]
    assert fk["referred_table"] == "parent"
    assert fk["referred_columns"] == ["id"]
    assert fk["on_delete"] == "SET NULL"
    assert fk["on_update"] == "NO ACTION"
    assert fk["name"] == (None if db.dialect == "sqlite" else "fk_child_parent")
    assert snap["parent"]["foreign_keys"] == []

    # The snapshot is stable and the FK really behaves as reported.
    assert db.schema_snapshot() == snap
    pragma = "PRAGMA foreign_keys = ON;\n" if db.dialect == "sqlite" else ""
    db.run_sql_file(
        write(
            tmp_path,
            "data.sql",
            pragma
            + "INSERT INTO parent (id, code) VALUES (1, 'a');\n"
            + "INSERT INTO child (id, parent_id) VALUES (10, 1);\n"
            + "DELETE FROM parent WHERE id = 1;\n",
        )
    )
    assert db.query("SELECT id, parent_id, note FROM child") == [(10, None, "x")]


def test_snapshot_sees_schema_changes(db: Database):
    db.execute("CREATE TABLE t (a integer, b integer)")
    before = db.schema_snapshot()
    db.execute("CREATE UNIQUE INDEX uq_t_b ON t (b)")
    after = db.schema_snapshot()
    assert before != after
    assert by_name(after["t"]["indexes"])["uq_t_b"]["unique"] is True
    assert before["t"]["indexes"] == []


FAILING = {
    "postgresql": ('relation "no_such_table" does not exist', 3),
    "mysql": ("no_such_table' doesn't exist", 1),
    "sqlite": ("no such table: no_such_table", 1),
}


def test_failing_file_raises_with_db_message_and_stops(db: Database, tmp_path):
    path = write(
        tmp_path,
        "bad.sql",
        "CREATE TABLE before_error (x integer);\nINSERT INTO no_such_table VALUES (1);\nCREATE TABLE after_error (x integer);\n",
    )
    with pytest.raises(SqlRunError) as info:
        db.run_sql_file(path)
    message, code = FAILING[db.dialect]
    err = info.value
    assert message in err.stderr
    assert message in err.output
    assert message in str(err)
    assert err.returncode == code
    # Statements before the error were autocommitted; nothing after it ran.
    assert db.table_names() == ["before_error"]


def test_error_inside_transaction_rolls_back(db: Database, tmp_path):
    begin = "BEGIN" if db.dialect != "mysql" else "START TRANSACTION"
    path = write(
        tmp_path,
        "tx.sql",
        f"CREATE TABLE t (x integer NOT NULL);\n{begin};\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (NULL);\nCOMMIT;\n",
    )
    with pytest.raises(SqlRunError):
        db.run_sql_file(path)
    assert db.query("SELECT count(*) FROM t") == [(0,)]


def test_run_sql_file_returns_stdout(db: Database, tmp_path):
    out = db.run_sql_file(write(tmp_path, "q.sql", "SELECT 40 + 2 AS answer;\n"))
    assert "42" in out


def test_data_snapshot_sees_rows(db: Database):
    db.execute(
        [
            "CREATE TABLE people (id integer PRIMARY KEY, name varchar(20), born date)",
            "CREATE TABLE empty_one (id integer)",
            "INSERT INTO people VALUES (2, 'bob: 100%', NULL)",
            "INSERT INTO people VALUES (1, 'ann', '2020-01-31')",
        ]
    )
    snap = db.data_snapshot()
    assert snap == {
        "empty_one": [],
        "people": [("1", "ann", "2020-01-31"), ("2", "bob: 100%", None)],
    }
    assert db.data_snapshot(["people"]) == {"people": snap["people"]}
    assert db.query("SELECT name FROM people WHERE id = :id", {"id": 2}) == [("bob: 100%",)]


def test_fresh_databases_are_isolated(tmp_path):
    for dialect in dbs.DIALECTS:
        first = dbs.database_or_skip(dialect, tmp_path)
        try:
            with dbs.fresh_database(dialect, tmp_path) as second:
                assert first.name != second.name
                assert first.url != second.url
                first.execute("CREATE TABLE only_in_first (x integer)")
                assert first.table_names() == ["only_in_first"]
                assert second.table_names() == []
                assert second.schema_snapshot() == {}
                assert second.data_snapshot() == {}
                second_name = second.name
        finally:
            dbs.drop_database(first)
        if dialect == "postgresql":
            admin = Database(dialect, dbs._url_str(dbs.admin_url(dialect)), "admin")
            try:
                left = admin.query(
                    "SELECT datname FROM pg_database WHERE datname IN (:a, :b)",
                    {"a": first.name, "b": second_name},
                )
            finally:
                admin.dispose()
            assert left == []
        elif dialect == "mysql":
            admin = Database(dialect, dbs._url_str(dbs.admin_url(dialect)), "admin")
            try:
                left = admin.query(
                    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (:a, :b)",
                    {"a": first.name, "b": second_name},
                )
            finally:
                admin.dispose()
            assert left == []


# ------------------------------------------------------------ regressions

# A name with each dialect's quote character, a '%' and a pyformat placeholder in it.
ODD_TABLE = "order line%"
ODD_COLUMN = 'a"b`c %(x)s'


def test_quote_is_plain_dialect_quoting(db: Database):
    """quote() is the dialect's own quoting, '%' left alone (SQLAlchemy's preparer doubles
    it for psycopg/pymysql), so every verbatim SQL path finds the object."""
    expected = {
        "postgresql": ('"order line%"', '"a""b`c %(x)s"'),
        "sqlite": ('"order line%"', '"a""b`c %(x)s"'),
        "mysql": ("`order line%`", '`a"b``c %(x)s`'),
    }[db.dialect]
    assert (db.quote(ODD_TABLE), db.quote(ODD_COLUMN)) == expected
    assert dbs.quote_identifier(db.dialect, ODD_TABLE) == expected[0]

    t, c = db.quote(ODD_TABLE), db.quote(ODD_COLUMN)
    db.execute(
        [
            f"CREATE TABLE {t} (id integer PRIMARY KEY, {c} varchar(20))",
            f"CREATE INDEX ix_odd ON {t} ({c})",
            f"INSERT INTO {t} VALUES (1, '50%'), (2, NULL)",
        ]
    )
    assert db.table_names() == [ODD_TABLE]
    assert db.data_snapshot() == {ODD_TABLE: [("1", "50%"), ("2", None)]}
    assert db.data_snapshot([ODD_TABLE]) == {ODD_TABLE: [("1", "50%"), ("2", None)]}
    snap = db.schema_snapshot()[ODD_TABLE]
    assert [col["name"] for col in snap["columns"]] == ["id", ODD_COLUMN]
    assert by_name(snap["indexes"])["ix_odd"]["columns"] == [ODD_COLUMN]
    assert db.query(f"SELECT {c} FROM {t} WHERE id = 1") == [("50%",)]
    assert db.query(f"SELECT {c} FROM {t} WHERE id = :id", {"id": 1}) == [("50%",)]


def test_index_columns_are_bare_names(db: Database):
    """Index columns are reported like columns and keys are: bare names, never quoted
    (PostgreSQL's pg_get_indexdef() quotes "desc", "größe", "first name")."""
    names = ["desc", "größe", "first name", 'a"b']
    q = db.quote
    cols = ", ".join(f"{q(n)} integer" for n in names)
    db.execute(
        [
            f"CREATE TABLE {q('select')} ({q('desc')} integer PRIMARY KEY)",
            f"CREATE TABLE t ({cols}, CONSTRAINT fk_t FOREIGN KEY ({q('desc')}) REFERENCES {q('select')} ({q('desc')}))",
            f"CREATE UNIQUE INDEX ix_t ON t ({', '.join(q(n) for n in names)})",
            f"CREATE INDEX {q('ix odd')} ON t ({q('größe')}, {q('desc')})",
        ]
    )
    snap = db.schema_snapshot()
    t = snap["t"]
    assert [col["name"] for col in t["columns"]] == names
    indexes = by_name(t["indexes"])
    assert indexes["ix_t"]["columns"] == names
    assert indexes["ix odd"]["columns"] == ["größe", "desc"]
    assert [(fk["columns"], fk["referred_table"], fk["referred_columns"]) for fk in t["foreign_keys"]] == [
        (["desc"], "select", ["desc"])
    ]
    assert snap["select"]["primary_key"] == ["desc"]


def test_pg_index_expressions_keep_their_text(pg_db: Database):
    pg_db.execute(
        [
            'CREATE TABLE t (id integer, "first name" text, "größe" integer)',
            'CREATE INDEX ix_e ON t (lower("first name"), "größe" DESC, id) INCLUDE ("first name") WHERE "größe" > 0',
        ]
    )
    (idx,) = pg_db.schema_snapshot()["t"]["indexes"]
    assert idx == {
        "name": "ix_e",
        "columns": ['lower("first name")', "größe", "id"],  # key columns only, not INCLUDE
        "unique": False,
        "where": '"größe" > 0',
        "valid": True,
    }


def test_pg_data_snapshot_after_ddl_by_psql(pg_db: Database, tmp_path):
    """psycopg 3 prepares a query run prepare_threshold (5) times on a connection, and the
    pool keeps the connection: after psql changed the table, the prepared SELECT * failed
    with 'cached plan must not change result type'. dbs.py connects with prepare_threshold=None."""
    pg_db.execute(["CREATE TABLE t (a integer)", "INSERT INTO t VALUES (1)"])
    for _ in range(10):
        assert pg_db.data_snapshot(["t"]) == {"t": [("1",)]}
    pg_db.run_sql_file(write(tmp_path, "ddl.sql", "ALTER TABLE t ADD COLUMN b integer DEFAULT 7;\n"))
    assert pg_db.data_snapshot(["t"]) == {"t": [("1", "7")]}
    pg_db.run_sql_file(write(tmp_path, "ddl2.sql", "ALTER TABLE t DROP COLUMN a;\n"))
    assert pg_db.data_snapshot() == {"t": [("7",)]}
    with pg_db.engine.connect() as conn:
        assert conn.connection.driver_connection.prepare_threshold is None


# ------------------------------------------------------------ dialect specifics


def test_pg_invalid_index_and_not_valid_fk(pg_db: Database, tmp_path):
    pg_db.execute(
        [
            "CREATE TABLE p (id integer PRIMARY KEY)",
            "CREATE TABLE t (id integer, p_id integer, code text UNIQUE)",
            "INSERT INTO t VALUES (1, 99, 'a'), (1, 98, 'b')",
        ]
    )
    # A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind.
    with pytest.raises(SqlRunError, match="could not create unique index"):
        pg_db.run_sql_file(write(tmp_path, "ix.sql", "CREATE UNIQUE INDEX CONCURRENTLY uq_t_id ON t (id);\n"))
    pg_db.run_sql_file(
        write(
            tmp_path,
            "fk.sql",
            "ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (p_id) REFERENCES p (id)"
            " ON DELETE CASCADE ON UPDATE RESTRICT NOT VALID;\n"
            "ALTER TABLE t ADD CONSTRAINT ck_id CHECK (id > 0) NOT VALID;\n",
        )
    )
    snap = pg_db.schema_snapshot()["t"]
    idx = by_name(snap["indexes"])
    assert idx["uq_t_id"]["valid"] is False
    assert idx["t_code_key"] == {
        "name": "t_code_key",
        "columns": ["code"],
        "unique": True,
        "where": None,
        "valid": True,
    }
    (fk,) = snap["foreign_keys"]
    assert (fk["on_delete"], fk["on_update"], fk["valid"]) == ("CASCADE", "RESTRICT", False)
    assert snap["checks"] == [{"name": "ck_id", "sqltext": "id > 0", "valid": False}]


def test_pg_notices_are_kept_not_errors(pg_db: Database, tmp_path):
    path = write(tmp_path, "idem.sql", "CREATE TABLE IF NOT EXISTS t (x integer);\n")
    pg_db.run_sql_file(path)
    assert pg_db.last_stderr == ""
    pg_db.run_sql_file(path)
    assert 'relation "t" already exists, skipping' in pg_db.last_stderr


def test_missing_sql_file(db: Database, tmp_path):
    with pytest.raises(FileNotFoundError):
        db.run_sql_file(tmp_path / "nope.sql")


def test_mysql_fk_actions_and_fk_indexes(mysql_db: Database):
    mysql_db.execute(
        [
            "CREATE TABLE p (id int PRIMARY KEY)",
            "CREATE TABLE c (id int AUTO_INCREMENT PRIMARY KEY, a int, b int, d int,"
            " CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES p (id),"
            " CONSTRAINT fk_b FOREIGN KEY (b) REFERENCES p (id)"
            "   ON DELETE RESTRICT ON UPDATE NO ACTION,"
            " CONSTRAINT fk_d FOREIGN KEY (d) REFERENCES p (id)"
            "   ON DELETE CASCADE ON UPDATE SET NULL)",
        ]
    )
    snap = mysql_db.schema_snapshot()["c"]
    fks = by_name(snap["foreign_keys"])
    assert (fks["fk_a"]["on_delete"], fks["fk_a"]["on_update"]) == ("NO ACTION", "NO ACTION")
    assert (fks["fk_b"]["on_delete"], fks["fk_b"]["on_update"]) == ("NO ACTION", "NO ACTION")
    assert (fks["fk_d"]["on_delete"], fks["fk_d"]["on_update"]) == ("CASCADE", "SET NULL")
    # InnoDB creates an index for every FK that has none.
    assert {i["name"]: i["columns"] for i in snap["indexes"]} == {
        "fk_a": ["a"],
        "fk_b": ["b"],
        "fk_d": ["d"],
    }
    assert by_name(snap["columns"])["id"]["extra"] == "auto_increment"


def test_sqlite_unique_autoindex_and_implicit_pk_reference(sqlite_db: Database):
    sqlite_db.execute(
        [
            "CREATE TABLE p (code text PRIMARY KEY, email text UNIQUE)",
            "CREATE TABLE c (id integer PRIMARY KEY, p_code text REFERENCES p ON UPDATE CASCADE)",
        ]
    )
    snap = sqlite_db.schema_snapshot()
    # The PK's autoindex is not listed (it is the primary key); UNIQUE's is.
    assert snap["p"]["indexes"] == [
        {
            "name": "sqlite_autoindex_p_2",
            "columns": ["email"],
            "unique": True,
            "where": None,
            "valid": True,
        }
    ]
    assert snap["p"]["primary_key"] == ["code"]
    (fk,) = snap["c"]["foreign_keys"]
    assert fk["referred_columns"] == ["code"]
    assert (fk["on_delete"], fk["on_update"]) == ("NO ACTION", "CASCADE")


# ------------------------------------------------------------ availability rules


def test_unavailable_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="gone"):
        dbs.unavailable("gone")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="gone"):
        dbs.unavailable("gone")


def test_unreachable_server_is_reported_with_url(monkeypatch):
    monkeypatch.setattr(dbs, "_probe_cache", {})
    monkeypatch.setattr(dbs, "_admin_engines", {})
    monkeypatch.setenv("FIXGEN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:1/test")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(dbs.DatabaseUnavailable, match=r"127\.0\.0\.1:1/test"):
        dbs.create_database("postgresql")
    with pytest.raises(pytest.skip.Exception, match=r"cannot connect to .*127\.0\.0\.1:1"):
        dbs.database_or_skip("postgresql")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"cannot connect"):
        dbs.database_or_skip("postgresql")


def test_missing_cli_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(dbs, "_probe_cache", {})
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(dbs.DatabaseUnavailable, match="sqlite3"):
        dbs.create_database("sqlite", tmp_path)
