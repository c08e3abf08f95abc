"""Candidate indexes from query text (fixgen.workload.candidates) and the choice among verified ones
(fixgen.workload.proposals), on a schema made by hand: no database (the fast set).

The real thing, pg_stat_statements read and each candidate verified with hypopg, is in
tests/test_detect_workload.py."""

from __future__ import annotations

import pytest

from fixgen.dbschema import Column, Index, Schema, Table
from fixgen.workload.candidates import accesses, candidates, parse
from fixgen.workload.model import Candidate, Query
from fixgen.workload.proposals import choose, finding_of, widen


def _table(name: str, cols: list[str], pk: tuple[str, ...] = ("id",), indexes: tuple = ()) -> Table:
    return Table(name, {c: Column(c, "integer", True) for c in cols}, pk,
                 [Index(n, tuple(c), u) for n, c, u in indexes])


TABLES = {
    "tickets": _table("tickets", ["id", "tenant_id", "agent_id", "status", "assigned_to_user_id", "created_at",
                                  "title", "external_ref"],
                      indexes=(("tickets_ref", ("external_ref",), False),
                               ("tickets_tenant_created", ("tenant_id", "created_at", "title"), False))),
    "users": _table("users", ["id", "email", "tenant_id"], indexes=(("users_email", ("email",), True),)),
    "comments": _table("comments", ["id", "ticket_id", "author_id", "body"]),
    "Quoted": _table("Quoted", ["id", "Mixed"]),
}
PG = Schema("postgresql", TABLES)
MY = Schema("mysql", TABLES)


def found(*texts: str, schema: Schema = PG, rows: dict | None = None, min_rows: int = 10_000) -> list[tuple]:
    cands = candidates([Query(t, 10, 100.0, schema.dialect) for t in texts], schema, rows, min_rows)
    return [(c.table, c.columns) for c in cands]


def test_equality_columns_in_the_order_written() -> None:
    assert found("SELECT * FROM tickets WHERE tenant_id = $1 AND agent_id = $2 AND status = $3") == \
        [("tickets", ("tenant_id", "agent_id", "status"))]
    assert found("SELECT * FROM tickets WHERE $1 = status AND tenant_id = 'x'") == [("tickets", ("status", "tenant_id"))]


def test_in_and_is_null_are_equality_ranges_come_after() -> None:
    assert found("SELECT id FROM tickets WHERE created_at > $1 AND status IN ($2,$3) AND assigned_to_user_id IS NULL") \
        == [("tickets", ("status", "assigned_to_user_id", "created_at"))]
    assert found("SELECT id FROM tickets WHERE agent_id BETWEEN $1 AND $2 AND created_at < $3 AND status = $4") \
        == [("tickets", ("status", "agent_id"))]  # one range column only: the first written


def test_like_a_prefix_is_a_range_other_patterns_nothing() -> None:
    assert found("SELECT id FROM tickets WHERE title LIKE 'Invoice%'") == [("tickets", ("title",))]
    assert found("SELECT id FROM tickets WHERE title LIKE '%Invoice'", "SELECT id FROM tickets WHERE title LIKE $1") == []


def test_order_by_after_equality_not_after_another_range() -> None:
    assert found("SELECT * FROM tickets WHERE agent_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2") == \
        [("tickets", ("agent_id", "created_at", "id"))]
    assert found("SELECT * FROM tickets WHERE agent_id = $1 AND id > $2 ORDER BY created_at") == \
        [("tickets", ("agent_id", "id"))]
    assert found("SELECT * FROM tickets WHERE agent_id = $1 ORDER BY created_at ASC, id DESC") == \
        [("tickets", ("agent_id",))]  # mixed directions: an ascending index serves no such order


def test_aliases_mixed_case_and_quoted_names() -> None:
    assert found("select T.id from Tickets as T where T.Agent_Id = $1 and t.STATUS = $2") == \
        [("tickets", ("agent_id", "status"))]  # PostgreSQL folds unquoted names
    assert found('SELECT * FROM "tickets" t WHERE t."agent_id" = $1') == [("tickets", ("agent_id",))]
    assert found('SELECT * FROM "Tickets" WHERE agent_id = $1') == []  # quoted: another table, not in the schema
    assert found('SELECT * FROM "Quoted" WHERE "Mixed" = $1', 'SELECT * FROM quoted WHERE mixed = $1') == \
        [("Quoted", ("Mixed",))]
    # MySQL/MariaDB digests: backquotes, any case
    assert found("SELECT * FROM `TICKETS` `t` WHERE `t`.`Agent_ID` = ? AND `status` = ?", schema=MY) == \
        [("tickets", ("agent_id", "status"))]


def test_joins_ask_for_each_side_the_primary_key_side_needs_nothing() -> None:
    # each side looked up by the other's value, and the side a filter finds first (its columns lead: one index
    # serves both ways in)
    assert found("SELECT u.email FROM users u JOIN tickets t ON t.assigned_to_user_id = u.id WHERE t.status = $1") == \
        [("tickets", ("status",)), ("tickets", ("status", "assigned_to_user_id"))]
    assert found("SELECT * FROM comments c, tickets t WHERE c.ticket_id = t.agent_id AND c.author_id = $1") == \
        [("comments", ("author_id",)), ("comments", ("author_id", "ticket_id")), ("tickets", ("agent_id",))]
    # id: the keys, looked up; author_id finds the comments first
    assert found("SELECT * FROM comments JOIN tickets USING (id) WHERE author_id = $1") == [("comments", ("author_id",))]
    # a join on the primary key, filtered on the other table's unique column: the lookup side needs nothing
    assert found("SELECT t.* FROM tickets t JOIN users u ON u.id = t.assigned_to_user_id WHERE u.email = $1") == \
        [("tickets", ("assigned_to_user_id",))]


def test_subqueries_update_and_delete() -> None:
    assert found("SELECT * FROM tickets WHERE id IN (SELECT ticket_id FROM comments WHERE author_id = $1)") == \
        [("comments", ("author_id",))]
    assert found("UPDATE tickets SET status = $1 WHERE agent_id = $2 AND status = $3") == \
        [("tickets", ("agent_id", "status"))]
    assert found("DELETE FROM comments WHERE ticket_id = $1") == [("comments", ("ticket_id",))]
    assert found("INSERT INTO comments (body) VALUES ($1)") == []


def test_what_no_plain_index_serves() -> None:
    assert found("SELECT * FROM tickets WHERE tenant_id = $1 OR status = $2",
                 "SELECT * FROM tickets WHERE lower(title) = $1",
                 "SELECT * FROM tickets WHERE NOT (status = $1)",
                 "SELECT * FROM tickets WHERE status <> $1",
                 "SELECT * FROM tickets WHERE agent_id = assigned_to_user_id",
                 "SELECT * FROM nowhere WHERE status = $1",
                 "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = $1") == []


def test_primary_key_unique_and_existing_indexes_leave_nothing_to_add() -> None:
    assert found("SELECT * FROM users WHERE id = $1", "SELECT * FROM users WHERE email = $1 AND tenant_id = $2",
                 "SELECT * FROM tickets WHERE external_ref = $1",
                 # an existing (tenant_id, created_at, title) leads with these, in the order they need
                 "SELECT * FROM tickets WHERE tenant_id = $1 AND created_at > $2",
                 "SELECT * FROM tickets WHERE tenant_id = $1 ORDER BY created_at") == []
    # ... but not with created_at first, nor for a range on title before created_at
    assert found("SELECT * FROM tickets WHERE created_at = $1 AND tenant_id > $2") == \
        [("tickets", ("created_at", "tenant_id"))]


def test_small_tables_are_left_out_unknown_sizes_are_not() -> None:
    text = "SELECT * FROM comments WHERE author_id = $1"
    assert found(text, rows={"comments": 500}) == []
    assert found(text, rows={"comments": 500}, min_rows=100) == [("comments", ("author_id",))]
    assert found(text, rows={"comments": -1}) == [("comments", ("author_id",))]  # never analyzed


def test_identical_candidates_merge_and_list_every_query() -> None:
    texts = ["SELECT * FROM tickets WHERE agent_id = $1 AND status = $2",
             "SELECT id FROM tickets t WHERE t.status = $1 AND t.agent_id = $2",
             "SELECT id FROM tickets WHERE agent_id = $1 AND status = $2 AND title = $3"]
    cands = candidates([Query(t, 1, 1.0, "postgresql") for t in texts], PG)
    assert [(c.columns, [q.text for q in c.queries]) for c in cands] == [
        (("agent_id", "status"), texts[:2]), (("agent_id", "status", "title"), texts[2:])]
    widen(cands)  # the wider one serves the narrower one's queries too
    assert [q.text for q in cands[1].queries] == [texts[2], *texts[:2]]


def test_equality_columns_another_query_shares_come_first() -> None:
    texts = ["SELECT * FROM tickets WHERE agent_id = $1 AND tenant_id = $2 AND status = $3",
             "SELECT * FROM tickets WHERE status = $1 AND tenant_id = $2",
             "SELECT * FROM tickets WHERE assigned_to_user_id = $1 AND agent_id = $2 AND created_at > $3"]
    assert found(*texts) == [("tickets", ("assigned_to_user_id", "agent_id", "created_at")),
                             ("tickets", ("status", "tenant_id")), ("tickets", ("status", "tenant_id", "agent_id"))]
    cands = widen(candidates([Query(t, 1, 1.0, "postgresql") for t in texts], PG))
    assert [len(c.queries) for c in cands] == [1, 1, 2]  # the wide one serves the narrow one's query too


@pytest.mark.parametrize("text", [
    "SELEC * FROM tickets WHERE status = $1", "", "   ", "SELECT * FROM tickets WHERE (status = $1", "$$ unterminated",
    "\x00\x1b[31m", "SELECT " + "(" * 500 + "1", "SELECT * FROM tickets WHERE status = ...",
])
def test_text_that_does_not_parse_gives_nothing_and_never_raises(text: str) -> None:
    assert parse(Query(text, 1, 1.0, "postgresql")) == []
    assert found(text) == []


def test_several_statements_are_each_read() -> None:
    assert found("SELECT * FROM tickets WHERE status = $1; DELETE FROM comments WHERE author_id = $2") == \
        [("comments", ("author_id",)), ("tickets", ("status",))]


def test_cut_mysql_digests_are_read_up_to_their_last_complete_condition() -> None:
    assert found("SELECT * FROM `tickets` WHERE `agent_id` = ? AND `status` IN (...) AND `title` = ...",
                 schema=MY) == [("tickets", ("agent_id", "status"))]
    assert found("SELECT * FROM `tickets` WHERE `agent_id` IN (?, ...) AND `status` = ? ORDER BY `created_at` ...",
                 schema=MY) == [("tickets", ("agent_id", "status"))]
    assert accesses(Query("SELECT * FROM `tickets` WHERE `status` = ...", 1, 1.0, "mysql"), MY) == []
    assert accesses(Query("SELEC garbage ...", 1, 1.0, "mysql"), MY) == []


def test_a_cut_digest_is_not_read_as_one_side_of_an_or() -> None:
    # `agent_id = ? AND status = ?` is one side of an OR whose other side was cut: no row must meet it
    assert found("SELECT * FROM `tickets` WHERE `agent_id` = ? AND `status` = ? OR `title` = ...", schema=MY) == []
    # an OR inside parentheses cut off with them: the complete conditions before still hold for every row
    assert found("SELECT * FROM `tickets` WHERE `agent_id` = ? AND `status` = ? AND (`title` = ? OR `external_ref` ...",
                 schema=MY) == [("tickets", ("agent_id", "status"))]


def _verified(table: str, cols: tuple[str, ...], costs: dict[Query, tuple[float, float]], eq: int | None = None) -> Candidate:
    c = Candidate(table, cols, list(costs), eq_count=len(cols) if eq is None else eq)
    c.costs = dict(costs)
    c.cost_before = sum(b for b, _ in costs.values())
    c.cost_after = sum(a for _, a in costs.values())
    c.verified = "hypopg"
    return c


def test_choose_keeps_what_gains_enough_and_one_of_overlapping_rivals() -> None:
    q1, q2, q3 = (Query(f"q{i}", 10 * i, 100.0, "postgresql") for i in (1, 2, 3))
    wide = _verified("t", ("a", "b", "c"), {q1: (1000, 10), q2: (1000, 20)})
    narrow = _verified("t", ("a", "b"), {q1: (1000, 15)})
    other = _verified("t", ("c", "d"), {q3: (1000, 10)})
    weak = _verified("u", ("x",), {q3: (1000, 600)})  # 40 % cheaper: under the default 50 %
    assert [(c.table, c.columns) for c in choose([narrow, weak, other, wide])] == [("t", ("a", "b", "c")), ("t", ("c", "d"))]
    assert [(c.table, c.columns) for c in choose([weak], 0.4)] == [("u", ("x",))]
    assert choose([_verified("t", ("a",), {})]) == []  # nothing verified: no gain known, nothing proposed


def test_the_finding_names_its_evidence() -> None:
    q = Query("SELECT * FROM t\n WHERE a = $1 AND b = $2 AND c = $3 AND d = $4 AND e = $5 AND f = $6 AND g = $7",
              12_000, 48_200.0, "postgresql")
    f = finding_of(_verified("t", ("a", "b"), {q: (18_342.0, 12.6)}), "src", "hypopg")
    assert (f.kind, f.fields, f.source) == ("missing_index", {"table": "t", "columns": ["a", "b"]}, "src")
    assert "serves 1 query (12,000 calls, 48.2 s): cost 18,342 -> 12.6 (hypopg, -99.9 %)" in f.message
    assert "\n" not in f.message and f.message.endswith("...") and "SELECT * FROM t WHERE a = $1" in f.message


def test_a_workload_index_that_serves_a_catalog_one_replaces_it() -> None:
    from fixgen.findings import Finding
    from fixgen.workload.proposals import combine

    fk = Finding("missing_index", {"table": "t", "columns": ["b"]}, "fixgen detect: fk-without-index", "fk t(b)")
    other = Finding("missing_index", {"table": "t", "columns": ["c"]}, "fixgen detect: fk-without-index", "fk t(c)")
    key = Finding("missing_foreign_key", {"table": "t", "columns": ["b"], "references": "u.id"}, "x", "key")
    wide = Finding("missing_index", {"table": "t", "columns": ["b", "a"]}, "fixgen detect: workload", "index t (b, a)")
    elsewhere = Finding("missing_index", {"table": "u", "columns": ["c", "b"]}, "fixgen detect: workload", "u")
    assert combine([fk, other, key], [wide, elsewhere]) == [other, key, wide, elsewhere]
    assert wide.message == "index t (b, a); it also serves what fixgen detect: fk-without-index asked for (fk t(b))"
