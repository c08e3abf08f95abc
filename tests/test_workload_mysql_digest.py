"""Reading MySQL/MariaDB statement digests (fixgen.workload.mysql), without a server: the digest texts below
are as MariaDB 10.11 writes them (keywords upper case and unquoted, CURRENT_TIMESTAMP as a bare NOW, a long
statement cut after max_digest_length bytes with nothing to mark it), and what the candidate planner makes of
them is checked. The server side is tests/test_detect_workload_mysql.py."""

from __future__ import annotations

import pytest

from fixgen.dbschema import Column, Index, Schema, Table
from fixgen.workload.candidates import candidates
from fixgen.workload.model import Query
from fixgen.workload.mysql import _is_cut, _not_workload, clean_digest


def schema() -> Schema:
    cols = ("id", "tenant_id", "agent_id", "status", "title", "created_at")
    tickets = Table("tickets", {c: Column(c, "int", False) for c in cols}, ("id",),
                    [Index("tickets_title_index", ("title",), False)])
    return Schema("mysql", {"tickets": tickets})


def asked(text: str, truncated: bool = False) -> list[tuple[str, ...]]:
    return [c.columns for c in candidates([Query(text, 10, 100.0, "mysql", truncated)], schema(), min_rows=0)]


def test_bare_now_reads_as_the_function_it_was() -> None:
    digest = "SELECT ID FROM `tickets` WHERE `tenant_id` = ? AND `created_at` > NOW - INTERVAL ? SQL_TSI_DAY"
    assert asked(digest) == [("tenant_id",)]  # NOW read as a column: no range on created_at
    assert asked(clean_digest(digest, schema())) == [("tenant_id", "created_at")]


def test_a_column_named_like_the_function_keeps_its_name() -> None:
    s = schema()
    s.tables["tickets"].columns["now"] = Column("now", "int", False)
    digest = "SELECT ID FROM `tickets` WHERE `tenant_id` = ? AND NOW = ?"
    assert clean_digest(digest, s) == digest


def test_mariadb_cut_digest_is_recognised_and_read_up_to_its_last_condition() -> None:
    digest = ("SELECT ID FROM `tickets` WHERE STATUS = ? AND `agent_id` = ? AND ( "
              + "`title` LIKE ? OR " * 60)
    assert _is_cut(digest, 1024)
    assert not _is_cut("SELECT ID FROM `tickets` WHERE STATUS = ? AND", 1024)  # short: a syntax error, not a cut
    assert not _is_cut("SELECT ID FROM `tickets` WHERE STATUS = ? AND `agent_id` = ?" + " " * 600, 1024)
    assert asked(digest) == []
    assert asked(digest, truncated=True) == [("status", "agent_id")]


@pytest.mark.parametrize(("digest", "why"), [
    ("SELECT `TABLE_NAME` FROM `information_schema` . `TABLES` WHERE `TABLE_SCHEMA` = ?", "not a query"),
    ("SELECT * FROM `performance_schema` . `events_statements_summary_by_digest` WHERE SCHEMA_NAME = ?", "not a query"),
    ("SELECT * FROM `other` . `tickets` WHERE `tenant_id` = ?", "reads database other"),
    ("SELECT * FROM `archive` WHERE `tenant_id` = ?", "table archive is not in the snapshot"),
    ("EXPLAIN SELECT * FROM `tickets` WHERE `tenant_id` = ?", "not a query"),
    ("SHOW CREATE TABLE `tickets`", "not a query"),
    ("SELECT @@`version`", "not a query"),
    ("INSERT INTO `tickets` ( `tenant_id` ) VALUES (?)", "not a query"),
    ("SELECT * FROM `tickets` WHERE `tenant_id` = ?", None),
    ("SELECT * FROM `shop` . `tickets` WHERE `tenant_id` = ?", None),  # its own database, named
    ("WITH `x` AS ( SELECT * FROM `tickets` WHERE `status` = ? ) SELECT * FROM `x`", None),
])
def test_what_is_workload(digest: str, why: str | None) -> None:
    assert _not_workload(digest, "shop", schema()) == why
