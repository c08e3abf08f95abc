"""The ledger: one row per change a migration made, so that its rollback undoes exactly those.

Every fact about it lives here — the table's name and columns, its DDL per dialect, the
format of a step key and the marker row's step — and renderers hand these values to the
runtimes they embed, so the SQL, PHP and Python outputs can never disagree about the ledger
they share.
"""

from __future__ import annotations

import hashlib

TABLE = "fixgen_ledger"
COLUMNS = ("migration", "step", "object_name", "applied_at")
KEY_COLUMNS = ("migration", "step")
TEXT_WIDTH = 255  # migration, step and object_name are VARCHAR(255) where the dialect needs a width
STEP_SEPARATOR = ":"


def step_key(kind: str, table: str, object_name: str) -> str:
    """What up records when it performs an op: stable across runs and re-emits of the same spec."""
    return STEP_SEPARATOR.join((kind, table, object_name))


# The marker: up records it before its first step, down deletes it after its last one. A migration with
# no row at all (no marker, no step) was never applied or is undone; one whose ledger is gone while the
# changes are still there lost its record, and down refuses rather than report success having undone
# nothing. No op kind is called "migration", so the marker never collides with a step key.
MARKER_STEP = STEP_SEPARATOR.join(("migration", "applied"))


def create_table_sql(dialect: str, quoted_table: str, online: bool = False) -> str:
    """CREATE TABLE IF NOT EXISTS for the sql target (the frameworks build the same shape with their own API)."""
    if dialect == "postgresql" and online:  # no width limit, and an unambiguous time
        text, stamp, tail = "TEXT", "TIMESTAMPTZ", ""
    else:
        text, stamp, tail = f"VARCHAR({TEXT_WIDTH})", "TIMESTAMP", ""
    if dialect == "mysql":
        tail = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    return (f"CREATE TABLE IF NOT EXISTS {quoted_table} (\n"
            f"  migration {text} NOT NULL,\n  step {text} NOT NULL,\n"
            f"  object_name {text} NOT NULL,\n"
            f"  applied_at {stamp} NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
            f"  PRIMARY KEY ({', '.join(KEY_COLUMNS)})\n){tail};")


# ----------------------------------------------------------------------------- one run at a time
# Up and down of one migration share one lock, taken for the whole run: a second run (another deploy
# host, a retry whose killed predecessor's statement still runs on the server) waits, then finds its
# work done. The lock belongs to the session, so a dead client's lock goes with its connection.


def run_lock_key(migration: str) -> int:
    """PostgreSQL: the advisory lock key (a signed 64-bit number) of this migration's runs."""
    return int.from_bytes(hashlib.sha1(f"fixgen:{migration}".encode()).digest()[:8], "big", signed=True)


def run_lock_ids(migration: str) -> tuple[int, int]:
    """PostgreSQL: (classid, objid) under which pg_locks shows that advisory lock (its high and low 32 bits)."""
    key = run_lock_key(migration) & 0xFFFF_FFFF_FFFF_FFFF
    return key >> 32, key & 0xFFFF_FFFF


def run_lock_name(migration: str) -> str:
    """MySQL/MariaDB: the GET_LOCK name of this migration's runs (at most 64 characters)."""
    return "fixgen:" + hashlib.sha1(migration.encode()).hexdigest()[:40]
