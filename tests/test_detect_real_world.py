"""`fixgen detect` on schemas the way real apps have them (issue 13): propose only fixes the database will take,
and never write a spec `fixgen emit` refuses. Real PostgreSQL, MariaDB and SQLite databases, no mocks.

- Foreign key types are compared with the catalog's own types (MySQL/MariaDB: type, sign, decimal precision and
  scale, string collation; PostgreSQL: the type with a domain resolved to its base type, and the cross-type pairs
  its operator families take; SQLite: affinity). Every proposal is applied for real; where the database refuses
  a key by hand, detect proposed none and said why on stderr.
- What detect writes is planned the way emit plans it, for every target of the dialect: a Laravel pivot's
  index is not dropped while a proposed key needs it, and a finding emit would refuse (two indexes with one
  name) is left out with a warning. Hypothesis checks that on generated schemas, catalog-free and on real
  databases (applied there too).
- PostgreSQL INHERITS and partitions: a child's copy of its parent's key is no reference; a partition's
  findings its partitioned parent covers are the parent's only.
- `--format table` keeps WHAT to the longest message, at most 100 characters (or what the terminal leaves).
- `detect --laravel-app`: morphOne on a model whose `$primaryKey = null` has no default localKey to miss.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from detect.migrate import Fix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.dbs import Database, database_or_skip, drop_database
from support.roundtrip import Run, cli, unique_number

from fixgen.dbschema import Column, ForeignKey, Index, Schema, Table
from fixgen.detect import detect_findings, emit_targets
from fixgen.findings import WHAT_MAX, to_spec

TS = "20261201120000"


def detect(db: Database, *args: str | Path) -> tuple[int, list[dict[str, Any]], list[str]]:
    """`fixgen detect URL --format json [args]`: (exit code, issues, the `warning:` lines of stderr)."""
    run = cli("detect", db.url, "--format", "json", *args)
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    assert "Traceback" not in run.output
    issues = json.loads(run.stdout)["issues"] if run.stdout.strip() else []
    return run.code, issues, [line for line in run.errors if line.startswith("warning: ")]


def detect_to(db: Database, directory: Path, *args: str) -> tuple[Path, list[dict[str, Any]], list[str]]:
    """detect's spec written to a file (as a user pipes it to emit): (the file, its issues, warnings)."""
    spec = directory / f"found_{unique_number()}.yaml"
    run = cli("detect", db.url, "--out", spec, "--exit-zero", *args)
    assert run.code == 0, run.output
    issues = (yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("issues") or []
    return spec, issues, [line for line in run.errors if line.startswith("warning: ")]


def brief(issues: list[dict[str, Any]]) -> set[tuple]:
    """(kind, table, columns, references) of each issue; a redundant_index's (kind, table, name, columns)."""
    return {(i["kind"], i["table"], i["name"], tuple(i["columns"])) if i["kind"] == "redundant_index" else
            (i["kind"], i["table"], tuple(i.get("columns") or ()), i.get("references")) for i in issues}


def emit_runs(spec: Path, dialect: str) -> dict[str, Run]:
    """`fixgen emit SPEC` for every target a `dialect` database's spec may be given, by label."""
    out = {}
    for target, target_dialect in emit_targets(dialect):
        extra = ["--dialect", target_dialect] if target_dialect else []
        out[f"{target}{'/' + target_dialect if target_dialect else ''}"] = cli(
            "emit", spec, "--target", target, *extra, "--timestamp", TS)
    return out


def assert_emit_accepts(spec: Path, dialect: str) -> None:
    """emit takes the spec for every target; `sql --dialect sqlite` may refuse only the kinds SQLite's SQL cannot
    guard (foreign keys, columns: the documented limit of that target), and only with that reason."""
    if not (yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("issues"):
        return  # nothing found: emit says there is nothing to fix (exit 2), as it does for any empty spec
    for label, run in emit_runs(spec, dialect).items():
        if label == "sql/sqlite" and run.code == 2:
            assert all(re.search(r"sqlite SQL cannot .* behind an existence check", e) for e in run.errors), run.output
            continue
        assert run.code == 0, f"emit {label}:\n{run.output}"


def refuses(db: Database, statement: str) -> bool:
    """Whether the database refuses `statement` (run in a transaction that is rolled back where it can be)."""
    try:
        db.execute(statement)
    except sa.exc.DBAPIError:
        return True
    return False


def fk_columns(db: Database) -> set[tuple[str, str]]:
    """(table, column) of every foreign key column in the database."""
    return {(t, c) for t, info in db.schema_snapshot().items() for fk in info["foreign_keys"] for c in fk["columns"]}


# =========================================================================== 1. key types from the catalog


def test_mysql_unsigned_key_and_signed_column_is_a_warning_not_a_foreign_key(mysql_db: Database) -> None:
    """The issue's repro: InnoDB refuses the key (error 1005/150, 3780 on MySQL 8); detect proposed it."""
    mysql_db.execute([
        "CREATE TABLE users (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY)",
        "CREATE TABLE activities (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, KEY (user_id))",
    ])
    code, issues, warnings = detect(mysql_db)
    assert (code, issues) == (0, [])
    assert warnings == [
        "warning: activities.user_id (int(11)) points to users.id (int(10) unsigned) by its name, but their types "
        "differ: no missing_foreign_key proposed (MySQL/MariaDB take a foreign key only between integers of the same "
        "type and sign, decimals of the same precision, scale and sign, strings of the same collation, or the same "
        "other type); make activities.user_id the type of users.id first"]
    # the database agrees: the key detect no longer proposes is refused
    assert refuses(mysql_db, "ALTER TABLE activities ADD CONSTRAINT fk_a FOREIGN KEY (user_id) REFERENCES users (id)")


# (column type, key type, proposed?) per dialect; every proposal is applied, every refusal checked by hand where
# the database refuses it (MariaDB takes decimals of any precision; MySQL 8 does not, so neither does detect)
MYSQL_PAIRS = [
    ("INT", "INT UNSIGNED", False),
    ("INT UNSIGNED", "INT(10) UNSIGNED", True),
    ("INT(11)", "INT(10)", True),  # a display width is no type
    ("BIGINT UNSIGNED", "INT UNSIGNED", False),
    ("TINYINT", "SMALLINT", False),
    ("BIGINT UNSIGNED", "BIGINT(20) UNSIGNED", True),  # Laravel's foreignId() to increments()
    ("VARCHAR(40)", "CHAR(36)", True),  # lengths may differ
    ("VARCHAR(36) COLLATE utf8mb4_bin", "VARCHAR(36)", False),
    ("VARCHAR(36) CHARACTER SET latin1", "VARCHAR(36)", False),
    ("CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", "CHAR(36) CHARACTER SET utf8mb4 COLLATE "
     "utf8mb4_unicode_ci", True),
    ("DECIMAL(10,2)", "DECIMAL(12,2)", False),
    ("DECIMAL(10,2)", "NUMERIC(10,2)", True),
    ("BINARY(16)", "VARBINARY(16)", False),  # InnoDB takes it, fixgen's migrations refuse it: so does detect
    ("VARBINARY(20)", "VARBINARY(16)", True),
    ("VARBINARY(16)", "VARCHAR(16)", False),
    ("DATE", "DATETIME", False),
]
STRICTER_THAN_MARIADB = {"DECIMAL(10,2)", "BINARY(16)"}  # MariaDB takes these keys; MySQL 8 or fixgen do not
PG_DOMAINS = ["CREATE DOMAIN uid AS integer", "CREATE DOMAIN uid2 AS uid", "CREATE DOMAIN code AS text",
              "CREATE DOMAIN big AS bigint CHECK (VALUE > 0)"]
PG_PAIRS = [
    ("uid", "integer", True),  # a domain counts as its base type
    ("integer", "uid", True),  # and so does a key's
    ("big", "integer", True),
    ("code", "integer", False),
    ("bigint", "integer", True),  # integer_ops compares them
    ("integer", "bigint", True),
    ("numeric", "integer", False),  # no numeric = integer in integer_ops, and numeric -> integer is no implicit cast
    ("integer", "numeric(10,0)", True),  # integer -> numeric is
    ("text", "varchar(36)", True),
    ("varchar(20)", "text", True),
    ("char(36)", "varchar(36)", True),
    ("varchar(36)", "uuid", False),
    ("uuid", "text", False),
    ("integer", "uuid", False),
    ("timestamp", "date", True),  # datetime_ops compares them
    ("date", "timestamp", True),
]
SQLITE_PAIRS = [
    ("varchar(36)", "integer", False),
    ("bigint", "integer", True),
    ("int unsigned", "integer", True),
    ("text", "varchar(36)", True),
    ("blob", "integer", False),
    ("real", "double", True),
]
PAIRS = {"mysql": MYSQL_PAIRS, "postgresql": PG_PAIRS, "sqlite": SQLITE_PAIRS}


def test_key_types_are_compared_as_the_database_does(db: Database, tmp_path: Path) -> None:
    pairs = PAIRS[db.dialect]
    if db.dialect == "postgresql":
        db.execute(PG_DOMAINS)
    for i, (column_type, key_type, _) in enumerate(pairs):
        db.execute([f"CREATE TABLE k{i}s (id {key_type} PRIMARY KEY)",
                    f"CREATE TABLE c{i} (id integer PRIMARY KEY, k{i}_id {column_type})"])
    spec, issues, warnings = detect_to(db, tmp_path)
    proposed = {i["table"] for i in issues if i["kind"] == "missing_foreign_key"}
    assert proposed == {f"c{i}" for i, (_, _, ok) in enumerate(pairs) if ok}, warnings
    for i, (_, _, ok) in enumerate(pairs):
        warned = [w for w in warnings if w.startswith(f"warning: c{i}.k{i}_id (")]
        assert len(warned) == (0 if ok else 1), warnings
        if not ok:  # both columns and both types named
            assert f"points to k{i}s.id (" in warned[0] and "but their types differ" in warned[0]
    assert_emit_accepts(spec, db.dialect)
    Fix(db, spec, tmp_path).up()  # the database takes every key detect proposed
    assert {t for t, _ in fk_columns(db)} >= proposed
    if db.dialect != "sqlite":  # SQLite takes any key; the others refuse where detect warned, but for the
        for i, (_, _, ok) in enumerate(pairs):  # pairs where detect is stricter than this server (MariaDB decimals)
            if not ok and pairs[i][0] not in STRICTER_THAN_MARIADB:
                assert refuses(db, f"ALTER TABLE c{i} ADD CONSTRAINT fk_c{i} FOREIGN KEY (k{i}_id) REFERENCES k{i}s (id)"), i
    assert detect(db)[:2] == (0, [])


def test_postgresql_domain_over_a_domain_counts_as_its_base_type(pg_db: Database) -> None:
    """PostgreSQL resolves a domain over a domain down to the type under both (getBaseType) for a key."""
    pg_db.execute(["CREATE DOMAIN uid AS integer", "CREATE DOMAIN uid2 AS uid",
                   "CREATE TABLE users (id integer PRIMARY KEY)", "CREATE TABLE posts (id integer PRIMARY KEY, user_id uid2)"])
    code, issues, warnings = detect(pg_db)
    assert (code, warnings) == (1, [])
    assert brief(issues) == {("missing_foreign_key", "posts", ("user_id",), "users.id")}
    assert not refuses(pg_db, "ALTER TABLE posts ADD CONSTRAINT fk_p FOREIGN KEY (user_id) REFERENCES users (id)")


def test_mysql_warning_names_the_collations(mysql_db: Database) -> None:
    mysql_db.execute([
        "CREATE TABLE tenants (id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PRIMARY KEY)",
        "CREATE TABLE sites (id INT PRIMARY KEY, tenant_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci)",
    ])
    _, issues, warnings = detect(mysql_db)
    assert issues == []
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: sites.tenant_id (char(36) COLLATE utf8mb4_general_ci) points to tenants.id "
                                  "(char(36) COLLATE utf8mb4_unicode_ci) by its name, but their types differ")


def test_postgresql_warning_names_a_domains_base_type(pg_db: Database) -> None:
    pg_db.execute(["CREATE DOMAIN code AS varchar(20)", "CREATE TABLE users (id integer PRIMARY KEY)",
                   "CREATE TABLE posts (id integer PRIMARY KEY, user_id code)"])
    _, issues, warnings = detect(pg_db, "--ref", "x_id=users")
    assert issues == []
    assert warnings == [
        "warning: posts.user_id (code (a domain over character varying)) points to users.id (integer) by its name, "
        "but their types differ: no missing_foreign_key proposed (PostgreSQL takes a foreign key only where the key's "
        "operator family compares the two types (a domain counts as its base type)); make posts.user_id the type of "
        "users.id first"]


def test_ref_hint_with_another_type_is_a_warning(sqlite_db: Database) -> None:
    sqlite_db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                       "CREATE TABLE branches (id integer PRIMARY KEY, manager varchar(36))"])
    code, issues, warnings = detect(sqlite_db, "--ref", "manager=users")
    assert (code, issues) == (0, [])
    assert warnings == [
        "warning: branches.manager (varchar(36) (TEXT affinity)) points to users.id (INTEGER) "
        "as --ref names it, but their types differ: no missing_foreign_key proposed (SQLite compares the values by "
        "the key's type affinity); make branches.manager the type of users.id first"]


# =========================================================================== 2. what emit takes

PIVOT = {  # the issue's Laravel pivot: increments() keys, a primary key on both columns, an index on the first
    "mysql": "INT UNSIGNED", "postgresql": "integer", "sqlite": "integer"}


def test_laravel_pivot_keeps_the_index_its_foreign_key_needs(db: Database, tmp_path: Path) -> None:
    t = PIVOT[db.dialect]
    db.execute([f"CREATE TABLE roles (id {t} PRIMARY KEY)", f"CREATE TABLE entities (id {t} PRIMARY KEY)",
                f"CREATE TABLE role_entity (role_id {t} NOT NULL, entity_id {t} NOT NULL, "
                "PRIMARY KEY (role_id, entity_id))",
                "CREATE INDEX role_entity_role_id_index ON role_entity (role_id)"])
    spec, issues, warnings = detect_to(db, tmp_path)
    assert brief(issues) == {("missing_foreign_key", "role_entity", ("entity_id",), "entities.id"),
                             ("missing_foreign_key", "role_entity", ("role_id",), "roles.id")}
    assert warnings == []
    assert_emit_accepts(spec, db.dialect)
    Fix(db, spec, tmp_path).up()
    assert fk_columns(db) == {("role_entity", "role_id"), ("role_entity", "entity_id")}
    code, again, _ = detect(db)
    if db.dialect == "mysql":  # InnoDB may use the index for the key now: it stays
        assert (code, again) == (0, [])
    else:  # no key needs it here: the primary key covers it, and the next round may drop it
        assert brief(again) == {("redundant_index", "role_entity", "role_entity_role_id_index", ("role_id",))}


def test_redundant_index_a_proposed_key_would_create_is_not_dropped(db: Database, tmp_path: Path) -> None:
    """Not only a pivot's: an index on a proposed key's columns covered by a longer index stays."""
    db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer, created_at integer)",
                "CREATE INDEX ix_posts_user ON posts (user_id)",
                "CREATE INDEX ix_posts_user_created ON posts (user_id, created_at)"])
    spec, issues, _ = detect_to(db, tmp_path)
    assert brief(issues) == {("missing_foreign_key", "posts", ("user_id",), "users.id")}
    assert_emit_accepts(spec, db.dialect)


def test_two_proposals_one_index_name_keeps_the_first_and_warns(pg_db: Database, tmp_path: Path) -> None:
    """Table a's b_c_id and table a_b's c_id both point to c: their fixes' indexes are both named ix_a_b_c_id
    (a_b_c_id_index under Laravel), and PostgreSQL's index names are one per schema: emit refuses the pair."""
    pg_db.execute(["CREATE TABLE c (id integer PRIMARY KEY)", "CREATE TABLE a (id integer PRIMARY KEY, b_c_id integer)",
                   "CREATE TABLE a_b (id integer PRIMARY KEY, c_id integer)"])
    spec, issues, warnings = detect_to(pg_db, tmp_path)
    assert brief(issues) == {("missing_foreign_key", "a", ("b_c_id",), "c.id")}
    assert warnings == [
        "warning: missing_foreign_key on a_b (c_id) left out: fixgen emit --target sql --dialect postgresql would "
        "refuse it: contradicts the missing_foreign_key on a (b_c_id): two definitions for index ix_a_b_c_id "
        "(create index ix_a_b_c_id on a (b_c_id) (supports a foreign key) / create index ix_a_b_c_id on a_b (c_id) "
        "(supports a foreign key))"]
    assert_emit_accepts(spec, "postgresql")
    Fix(pg_db, spec, tmp_path).up()
    # the next round: a's fix made index ix_a_b_c_id, and a_b's would make it again, which its migration refuses
    # ("another object already has that name"): still a warning, never a spec that cannot run
    _, again, warnings = detect_to(pg_db, tmp_path)
    assert again == []
    assert warnings == [
        "warning: missing_foreign_key on a_b (c_id) left out: the migration of fixgen emit --target sql --dialect "
        "postgresql would refuse it: it creates index ix_a_b_c_id on a_b, a name an index on a already has"]


def test_a_fix_whose_name_another_object_has_is_left_out(db: Database, tmp_path: Path) -> None:
    """The index a proposed key's fix creates is named ix_<table>_<column> (<table>_<column>_index under Laravel);
    the migration refuses a name that is taken, so detect does not propose it."""
    db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer, title integer)",
                "CREATE INDEX posts_user_id_index ON posts (title)",  # Laravel's name for the key's index
                "CREATE TABLE notes (id integer PRIMARY KEY, user_id integer)"])
    spec, issues, warnings = detect_to(db, tmp_path)
    assert brief(issues) == {("missing_foreign_key", "notes", ("user_id",), "users.id")}
    assert warnings == [
        "warning: missing_foreign_key on posts (user_id) left out: the migration of fixgen emit --target laravel "
        "would refuse it: it creates index posts_user_id_index on posts, a name an index on posts already has"]
    assert_emit_accepts(spec, db.dialect)
    Fix(db, spec, tmp_path).up()


def test_mysql_indexes_named_alike_on_two_tables(mysql_db: Database, tmp_path: Path) -> None:
    """`KEY (status)` is named `status` on every table that has one; emit names indexes schema-wide."""
    for t in ("orders", "invoices"):
        mysql_db.execute(f"CREATE TABLE {t} (id INT PRIMARY KEY, status INT, created_at INT, KEY (status), "
                         "KEY (status, created_at))")
    spec, issues, warnings = detect_to(mysql_db, tmp_path)
    assert brief(issues) == {("redundant_index", "invoices", "status", ("status",))}
    assert len(warnings) == 1 and warnings[0].startswith(
        "warning: redundant_index on orders: index status left out: fixgen emit --target sql --dialect mysql would "
        "refuse it: contradicts the redundant_index on invoices: index status: two definitions for index status")
    assert_emit_accepts(spec, "mysql")
    Fix(mysql_db, spec, tmp_path).up()
    assert brief(detect(mysql_db)[1]) == {("redundant_index", "orders", "status", ("status",))}


def test_an_index_name_only_mysql_can_hold_is_left_out(mysql_db: Database, tmp_path: Path) -> None:
    """64 characters fit MySQL; the Laravel and Alembic targets name objects to fit everywhere (63 bytes)."""
    name = "ix_" + "n" * 61
    mysql_db.execute(f"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY {name} (a), KEY ix_ab (a, b))")
    spec, issues, warnings = detect_to(mysql_db, tmp_path)
    assert issues == []
    assert warnings == [f"warning: redundant_index on t: index {name} left out: fixgen emit --target laravel would "
                        f"refuse it: name '{name}' is longer than 63 bytes, the identifier limit of portable"]
    assert_emit_accepts(spec, "mysql")


# =========================================================================== 3. PostgreSQL inheritance and partitions


def test_inherits_child_copy_of_the_parents_key_is_no_reference(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute([
        "CREATE TABLE users (id integer PRIMARY KEY)",
        "CREATE TABLE payments (payment_id serial PRIMARY KEY, user_id integer, amount numeric)",
        "CREATE TABLE card_payments (last4 char(4)) INHERITS (payments)",
        "CREATE TABLE wire_payments (iban text, PRIMARY KEY (payment_id)) INHERITS (payments)",
        "CREATE TABLE refunds (id integer PRIMARY KEY, payment_id integer)",  # a reference, not a child
    ])
    spec, issues, _ = detect_to(pg_db, tmp_path)
    assert brief(issues) == {
        ("missing_foreign_key", "payments", ("user_id",), "users.id"),
        ("missing_foreign_key", "card_payments", ("user_id",), "users.id"),  # keys are not inherited
        ("missing_foreign_key", "wire_payments", ("user_id",), "users.id"),
        ("missing_foreign_key", "refunds", ("payment_id",), "payments.payment_id"),
    }
    assert_emit_accepts(spec, "postgresql")
    Fix(pg_db, spec, tmp_path).up()
    assert detect(pg_db)[:2] == (0, [])


def test_partitions_findings_are_their_parents(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute([
        "CREATE TABLE users (id integer PRIMARY KEY)",
        "CREATE TABLE roles (id integer PRIMARY KEY)",
        # a key on the parent without an index: the parent's missing_index, not the partitions'
        "CREATE TABLE events (id bigint, user_id integer REFERENCES users, created date, PRIMARY KEY (id, created)) "
        "PARTITION BY RANGE (created)",
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        # no key: the parent's missing_foreign_key; one partition has a key of its own, which lacks an index
        "CREATE TABLE visits (id bigint, user_id integer, created date, PRIMARY KEY (id, created)) "
        "PARTITION BY RANGE (created)",
        "CREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE visits_2025 PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "ALTER TABLE visits_2025 ADD CONSTRAINT fk_v25_user FOREIGN KEY (user_id) REFERENCES users (id)",
        # a redundant partitioned index: the partitions' copies cannot be dropped on their own
        "CREATE TABLE logs (id bigint, a integer, b integer, created date, PRIMARY KEY (id, created)) "
        "PARTITION BY RANGE (created)",
        "CREATE INDEX logs_a ON logs (a)", "CREATE INDEX logs_ab ON logs (a, b)",
        "CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        # a partitioned pivot with created_at only: a partition cannot get a column of its own
        "CREATE TABLE role_user (user_id integer REFERENCES users, role_id integer REFERENCES roles, "
        "created_at timestamp, PRIMARY KEY (user_id, role_id)) PARTITION BY HASH (user_id)",
        "CREATE TABLE role_user_0 PARTITION OF role_user FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
        "CREATE TABLE role_user_1 PARTITION OF role_user FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
        # a partition's own key is not a reference to its parent
        "CREATE TABLE orders (order_id bigint PRIMARY KEY, user_id integer REFERENCES users) "
        "PARTITION BY HASH (order_id)",
        "CREATE TABLE orders_0 PARTITION OF orders FOR VALUES WITH (MODULUS 1, REMAINDER 0)",
        "CREATE INDEX ON orders (user_id)",
    ])
    spec, issues, warnings = detect_to(pg_db, tmp_path)
    assert brief(issues) == {
        ("missing_index", "events", ("user_id",), None),
        ("missing_foreign_key", "visits", ("user_id",), "users.id"),
        ("missing_index", "visits_2025", ("user_id",), None),  # its own key: no parent covers it
        ("missing_index", "role_user", ("role_id",), None),
        ("missing_timestamps", "role_user", (), None),
    }
    # the partitioned index is redundant, but fixgen's migrations do not drop a partitioned table's indexes
    assert warnings == [
        "warning: redundant_index on logs: index logs_a left out: logs is a partitioned table, whose indexes fixgen "
        "does not drop (a rollback could not give each partition back its own): drop it by hand if it is not needed"]
    assert_emit_accepts(spec, "postgresql")


def test_partitioned_table_with_partitions_of_its_own(pg_db: Database, tmp_path: Path) -> None:
    """fixgen's migrations add an index or a key to a partitioned table one level of table partitions deep."""
    pg_db.execute([
        "CREATE TABLE users (id integer PRIMARY KEY)",
        "CREATE TABLE events (id bigint, user_id integer REFERENCES users, created date, PRIMARY KEY (id, created)) "
        "PARTITION BY RANGE (created)",
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') "
        "PARTITION BY RANGE (created)",
        "CREATE TABLE events_2024_h1 PARTITION OF events_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01')",
    ])
    spec, issues, warnings = detect_to(pg_db, tmp_path)
    assert issues == []
    assert warnings == [
        "warning: missing_index on events (user_id) left out: events is a partitioned table and partition "
        "events_2024 is itself partitioned: fixgen handles one level of partitions that are tables"]


def test_mysql_partitioned_table_takes_no_foreign_key(mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute([
        "CREATE TABLE users (id INT PRIMARY KEY)",
        "CREATE TABLE logs (id INT, user_id INT, PRIMARY KEY (id)) PARTITION BY HASH (id) PARTITIONS 2",
        "CREATE TABLE accounts (id INT PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2",
        "CREATE TABLE sessions (id INT PRIMARY KEY, account_id INT, user_id INT)",
    ])
    spec, issues, warnings = detect_to(mysql_db, tmp_path)
    assert brief(issues) == {("missing_foreign_key", "sessions", ("user_id",), "users.id")}
    assert warnings == [
        "warning: missing_foreign_key on logs (user_id) left out: logs is a partitioned table, and InnoDB has no "
        "foreign keys on partitioned tables (error 1506)",
        "warning: missing_foreign_key on sessions (account_id) left out: accounts is a partitioned table, and InnoDB "
        "has no foreign keys on partitioned tables (error 1506)"]
    assert refuses(mysql_db, "ALTER TABLE logs ADD CONSTRAINT fk_l FOREIGN KEY (user_id) REFERENCES users (id)")
    assert_emit_accepts(spec, "mysql")
    Fix(mysql_db, spec, tmp_path).up()


# =========================================================================== 4. --format table


def test_table_format_keeps_what_to_the_longest_message_capped(sqlite_db: Database,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    long_table = "t" * 40
    long_column = "a_rather_long_name_for_a_column_that_points_to_the_users_table_user_id"
    sqlite_db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                       f"CREATE TABLE {long_table} (id integer PRIMARY KEY, {long_column} integer)",
                       "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer)"])
    monkeypatch.delenv("COLUMNS", raising=False)
    run = cli("detect", sqlite_db.url, "--format", "table", "--exit-zero")
    header, *rows = run.stdout.splitlines()
    what_at, source_at = header.index("WHAT"), header.index("SOURCE")
    assert source_at - what_at - 2 == WHAT_MAX  # the longest message is longer: WHAT is capped
    short = next(r for r in rows if " posts " in r)
    assert short.index("fixgen detect:") == source_at  # shorter rows keep SOURCE in its column
    long_row = next(r for r in rows if long_table in r)
    assert f"{long_table}.{long_column} points to users.id (by its name) but has no foreign key" in long_row  # whole
    assert len(header) == len("missing_foreign_key") + 2 + len(long_table) + 2 + WHAT_MAX + 2 + len("SOURCE")

    monkeypatch.setenv("COLUMNS", "150")  # a terminal that is 150 wide: what KIND, TABLE and SOURCE leave
    header = cli("detect", sqlite_db.url, "--format", "table", "--exit-zero").stdout.splitlines()[0]
    kind_w, table_w, source_w = len("missing_foreign_key"), len(long_table), len("fixgen detect: missing-foreign-key")
    assert header.index("SOURCE") - header.index("WHAT") - 2 == max(40, 150 - kind_w - table_w - source_w - 6)

    sqlite_db.execute(f"DROP TABLE {long_table}")  # all messages short: WHAT is as wide as the longest
    monkeypatch.delenv("COLUMNS")
    header, row = cli("detect", sqlite_db.url, "--format", "table", "--exit-zero").stdout.splitlines()
    what = "posts.user_id points to users.id (by its name) but has no foreign key"
    assert header.index("SOURCE") - header.index("WHAT") - 2 == len(what)


# =========================================================================== 5. detect --laravel-app: morphOne


def test_morph_one_on_a_model_without_primary_key(sqlite_db: Database, tmp_path: Path) -> None:
    """`$primaryKey = null`: getKeyName() is null, and so is morphOne's default localKey; the model's table has no
    id, and that is no key the relation misses."""
    models = tmp_path / "app" / "app" / "Models"
    models.mkdir(parents=True)
    (models / "Post.php").write_text("""<?php

namespace App\\Models;

use Illuminate\\Database\\Eloquent\\Model;

class Post extends Model
{
    protected $primaryKey = null;
    public $incrementing = false;

    public function image()
    {
        return $this->morphOne(Image::class, 'imageable');
    }
}
""", encoding="utf-8")
    (models / "Image.php").write_text("""<?php

namespace App\\Models;

use Illuminate\\Database\\Eloquent\\Model;

class Image extends Model
{
    public function imageable()
    {
        return $this->morphTo();
    }
}
""", encoding="utf-8")
    sqlite_db.execute(["CREATE TABLE posts (title text, slug text)",
                       "CREATE TABLE images (id integer PRIMARY KEY, imageable_id integer, imageable_type varchar(50))"])
    run = cli("detect", sqlite_db.url, "--laravel-app", tmp_path / "app", "--format", "json")
    assert run.code == 0, run.output
    assert [e for e in run.errors if e.startswith("warning: ")] == []


# =========================================================================== property: detect's output, emit's input

# a small vocabulary of tables and their *_id columns, whose fixes' conventional names cannot collide
TABLES = ("users", "roles", "posts", "tags")
REF_COLUMNS = {"users": "user_id", "roles": "role_id", "posts": "post_id", "tags": "tag_id"}
PIVOTS = {"role_user": ("role_id", "user_id"), "post_tag": ("post_id", "tag_id")}
KEY_TYPES = {"mysql": ["int", "int unsigned", "bigint unsigned"], "postgresql": ["integer", "bigint"],
             "sqlite": ["integer", "varchar(36)"]}


@st.composite
def schemas(draw: st.DrawFn, dialect: str) -> dict[str, Any]:
    """A plain description of a small schema: per table its key type, its *_id columns (type, whether a foreign key
    exists), extra columns and indexes (prefixes of column lists, some unique)."""
    types = KEY_TYPES[dialect]
    out: dict[str, Any] = {}
    for name in TABLES + tuple(PIVOTS):
        if not draw(st.booleans()) and name not in ("users", "roles"):
            continue
        pivot = name in PIVOTS
        refs = list(PIVOTS[name]) if pivot else draw(st.lists(
            st.sampled_from([c for t, c in REF_COLUMNS.items() if t != name]), unique=True, max_size=2))
        t: dict[str, Any] = {"key": None if pivot else draw(st.sampled_from(types)), "refs": {}, "indexes": []}
        for col in refs:
            t["refs"][col] = {"type": draw(st.sampled_from(types)), "fk": draw(st.booleans())}
        t["extra"] = ["a", "b"] if draw(st.booleans()) else []
        cols = list(t["refs"]) + t["extra"]
        t["pk"] = list(PIVOTS[name]) if pivot else ["id"]
        for k in range(draw(st.integers(0, 3)) if cols else 0):
            chosen = draw(st.lists(st.sampled_from(cols), min_size=1, max_size=3, unique=True))
            t["indexes"].append({"name": f"ix_{name}_{k}", "columns": chosen,
                                 "unique": draw(st.booleans()) and draw(st.booleans())})
        out[name] = t
    return out


def _target_type(s: dict[str, Any], col: str, dialect: str) -> str | None:
    target = next(t for t, c in REF_COLUMNS.items() if c == col)
    return s[target]["key"] if target in s else None


# each vocabulary type's key type, as the catalog reads it (fixgen.dbschema)
KEY_TYPE_OF = {"mysql": {"int": "int", "int unsigned": "int unsigned", "bigint unsigned": "bigint unsigned",
                         "integer": "int"},
               "postgresql": {"integer": "integer", "bigint": "bigint"},
               "sqlite": {"integer": "INTEGER", "varchar(36)": "TEXT"}}
PG_PAIRS_ACCEPTED = frozenset({("integer", "bigint"), ("bigint", "integer")})


def _key_type(dialect: str, text: str) -> str:
    return KEY_TYPE_OF[dialect][text]


def model_of(s: dict[str, Any], dialect: str) -> Schema:
    """The Schema load_schema would read from `ddl_of(s)`, without a database."""
    tables: dict[str, Table] = {}
    for name, t in s.items():
        table = Table(name, primary_key=tuple(t["pk"]))
        if t["key"] is not None:
            table.columns["id"] = Column("id", t["key"], False, _key_type(dialect, t["key"]))
        for col, ref in t["refs"].items():
            table.columns[col] = Column(col, ref["type"], name in PIVOTS, _key_type(dialect, ref["type"]))
        for col in t["extra"]:
            table.columns[col] = Column(col, "integer", True, _key_type(dialect, "integer"))
        for ix in t["indexes"]:
            table.indexes.append(Index(ix["name"], tuple(ix["columns"]), ix["unique"]))
        for col, ref in t["refs"].items():
            if ref["fk"] and _target_type(s, col, dialect) == ref["type"]:
                target = next(tt for tt, c in REF_COLUMNS.items() if c == col)
                table.foreign_keys.append(ForeignKey(f"fk_{name}_{col}", (col,), target, ("id",)))
                if dialect == "mysql" and not table.has_index_leading((col,)):  # InnoDB makes one
                    table.indexes.append(Index(f"fk_{name}_{col}", (col,), False))
        tables[name] = table
    return Schema(dialect, tables, key_type_pairs=PG_PAIRS_ACCEPTED if dialect == "postgresql" else frozenset())


def ddl_of(s: dict[str, Any], dialect: str) -> list[str]:
    statements = []
    for name in sorted(s, key=lambda n: n in PIVOTS):  # referenced tables first
        t = s[name]
        cols = [f"id {t['key']} NOT NULL"] if t["key"] is not None else []
        cols += [f"{c} {r['type']}{' NOT NULL' if name in PIVOTS else ''}" for c, r in t["refs"].items()]
        cols += [f"{c} integer" for c in t["extra"]]
        cols.append(f"PRIMARY KEY ({', '.join(t['pk'])})")
        for col, ref in t["refs"].items():
            target = next(tt for tt, c in REF_COLUMNS.items() if c == col)
            if ref["fk"] and _target_type(s, col, dialect) == ref["type"] and target in s and \
                    sorted(s, key=lambda n: n in PIVOTS).index(target) < sorted(s, key=lambda n: n in PIVOTS).index(name):
                cols.append(f"CONSTRAINT fk_{name}_{col} FOREIGN KEY ({col}) REFERENCES {target} (id)")
        statements.append(f"CREATE TABLE {name} ({', '.join(cols)})")
        for ix in t["indexes"]:
            statements.append(f"CREATE {'UNIQUE ' if ix['unique'] else ''}INDEX {ix['name']} ON {name} "
                              f"({', '.join(ix['columns'])})")
    return statements


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_detect_output_is_emit_input_catalog_free(dialect: str, data: st.DataObject, tmp_path: Path) -> None:
    """On generated schemas fed to detect's core as a model: the spec it writes is taken by every target, and
    its rules alone make it so (the planner check leaves nothing out: the vocabulary's names cannot collide)."""
    s = data.draw(schemas(dialect))
    schema = model_of(s, dialect)
    findings = detect_findings(schema)
    refused = [w.text() for w in schema.warnings if "would refuse it" in w.text()]
    assert refused == [], refused
    if not findings:
        return
    spec = tmp_path / f"spec_{unique_number()}.json"
    spec.write_text(to_spec(findings, "json"), encoding="utf-8")
    assert_emit_accepts(spec, dialect)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@settings(max_examples=4, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_detect_on_a_real_database_is_taken_by_emit_and_the_database(dialect: str, data: st.DataObject,
                                                                               tmp_path: Path) -> None:
    """The same schemas created for real: what detect writes is taken by every target, and its migration by the
    database; after it the same schema yields nothing detect proposed before."""
    s = data.draw(schemas(dialect))
    work = tmp_path / f"ex_{unique_number()}"
    work.mkdir()
    db = database_or_skip(dialect, work)
    try:
        db.execute(ddl_of(s, dialect))
        spec, issues, _ = detect_to(db, work)
        if not issues:
            return
        assert_emit_accepts(spec, dialect)
        Fix(db, spec, work).up()
        _, again, _ = detect(db)
        assert not brief(again) & brief(issues)
    finally:
        drop_database(db)
