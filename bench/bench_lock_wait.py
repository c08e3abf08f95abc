#!/usr/bin/env python3
"""Benchmark: a long transaction in the way — how long do writers stall behind the migration?

PostgreSQL, sql target, run with the real psql. A scratch database holds `w` (--rows rows) and `c`;
the spec renames a column of `w` and adds a foreign key w.c_id -> c.id (both need a lock that
conflicts with the writes of an open transaction). While up runs:

* a holder session opens a transaction that updates one row of `w` and keeps it open --hold seconds;
* --writers writer processes insert into and update `w` (other rows, autocommit) as fast as they can,
  timing every write.

Figures per mode: the migration's wall time, and the writers' longest single write that overlapped it
(a writer queued behind the migration's lock request waits that long). Modes:

  --no-online          one transaction, no lock timeout: the rename waits for the holder, every
                       writer waits behind it
  online, one 5 s try  the previous release's default (--lock-timeout 5s --lock-wait 0): fails when
                       the holder outlasts it
  online (default)     --lock-timeout 500ms, retried with backoff for --lock-wait (2 min)

Goal: online's longest writer stall <= 2 x its lock timeout, and the migration completes once the
holder ends. --dialect mysql measures MariaDB/MySQL the same way (the mariadb client; lock_wait_timeout
counts whole seconds, so the default 500 ms is 1 s there and the goal is <= 2 x 1 s).

  python bench/bench_lock_wait.py [--dialect postgresql|mysql] [--rows 100000] [--hold 10] [--writers 4]
                                  [--format json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
ADMIN = os.environ.get("FIXGEN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL = {"host": os.environ.get("FIXGEN_BENCH_MYSQL_HOST", "127.0.0.1"), "port": 3306, "user": "root", "password": ""}
DIALECT = "postgresql"  # set by main()


def connect(db: str | None, autocommit: bool = True):  # -> a DB-API connection of the benchmarked dialect
    if DIALECT == "postgresql":
        return psycopg.connect(url(db) if db else ADMIN, autocommit=autocommit)
    import pymysql

    return pymysql.connect(**MYSQL, database=db, autocommit=autocommit)


def client(db: str, path: Path, stop: bool = True) -> list[str]:
    if DIALECT == "postgresql":
        return ["psql", "-X", "-q", *(["-v", "ON_ERROR_STOP=1"] if stop else []), "-d", url(db), "-f", str(path)]
    return ["sh", "-c", f'mariadb -h{MYSQL["host"]} -u{MYSQL["user"]} {db} < "{path}"']
SPEC = """version: 1
name: lock_wait
issues:
  - {kind: rename_column, table: w, from: a, to: b}
  - {kind: missing_foreign_key, table: w, column: c_id, references: c.id}
"""
MODES = {
    "--no-online": ["--no-online"],
    "online, one 5 s try": ["--lock-timeout", "5s", "--lock-wait", "0"],
    "online (default)": [],
}


def url(db: str) -> str:
    return ADMIN.rsplit("/", 1)[0] + "/" + db


def setup(db: str, rows: int) -> None:
    with connect(None) as conn:
        cur = conn.cursor()
        if DIALECT == "postgresql":
            cur.execute(f'DROP DATABASE IF EXISTS "{db}"')
            cur.execute(f'CREATE DATABASE "{db}"')
        else:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
            cur.execute(f"CREATE DATABASE `{db}`")
    with connect(db) as conn:
        cur = conn.cursor()
        if DIALECT == "postgresql":
            cur.execute("CREATE TABLE c (id int PRIMARY KEY)")
            cur.execute("INSERT INTO c SELECT g FROM generate_series(1, 100) g")
            cur.execute("CREATE TABLE w (id bigint PRIMARY KEY, a int, c_id int)")
            cur.execute(f"INSERT INTO w SELECT g, g, 1 + g % 100 FROM generate_series(1, {rows}) g")
            cur.execute("ANALYZE")
        else:
            cur.execute("CREATE TABLE c (id int PRIMARY KEY)")
            cur.execute("INSERT INTO c SELECT seq FROM seq_1_to_100")
            cur.execute("CREATE TABLE w (id bigint PRIMARY KEY, a int, c_id int)")
            cur.execute(f"INSERT INTO w SELECT seq, seq, 1 + seq % 100 FROM seq_1_to_{rows}")


def writer(db: str, n: int, stop: mp.Event, out: mp.Queue) -> None:
    times = []
    ph = "%s"
    with connect(db) as conn:
        cur = conn.cursor()
        k = 0
        while not stop.is_set():
            k += 1
            t0 = time.perf_counter()
            if k % 2:
                cur.execute(f"INSERT INTO w (id, c_id) VALUES ({ph}, 1)", (1_000_000_000 + os.getpid() * 1_000_000 + k,))
            else:
                cur.execute(f"UPDATE w SET c_id = c_id WHERE id = {ph}", (2 + (k * 7919 + n) % 1000,))
            times.append((t0, time.perf_counter()))
    out.put(times)


def holder(db: str, seconds: float, ready: mp.Event) -> None:
    with connect(db, autocommit=False) as conn:
        conn.cursor().execute("UPDATE w SET c_id = c_id WHERE id = 1")
        ready.set()
        time.sleep(seconds)
        conn.commit()


def emit(directory: Path, flags: list[str]) -> Path:
    spec = directory / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = directory / "out"
    subprocess.run([sys.executable, "-m", "fixgen", "emit", str(spec), "--target", "sql", "--dialect", DIALECT,
                    "--out", str(out), "--timestamp", "20260101000000", *flags], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})  # the working tree's fixgen
    return out


def run_mode(db: str, flags: list[str], hold: float, writers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = emit(Path(tmp), flags)
        up, down = sorted(out.glob("*.up.sql"))[0], sorted(out.glob("*.down.sql"))[0]
        stop, queue, ready = mp.Event(), mp.Queue(), mp.Event()
        procs = [mp.Process(target=writer, args=(db, n, stop, queue)) for n in range(writers)]
        for p in procs:
            p.start()
        time.sleep(1.0)
        hold_proc = mp.Process(target=holder, args=(db, hold, ready))
        hold_proc.start()
        ready.wait(30)
        t0 = time.perf_counter()
        proc = subprocess.run(client(db, up), capture_output=True, text=True)
        t1 = time.perf_counter()
        hold_proc.join()
        time.sleep(0.5)
        stop.set()
        samples = [s for _ in procs for s in queue.get()]
        for p in procs:
            p.join()
        overlapping = [end - start for start, end in samples if end >= t0 and start <= t1]
        result = {
            "migration_s": round(t1 - t0, 2),
            "completed": proc.returncode == 0,
            "longest_write_stall_ms": round(1000 * max(overlapping, default=0.0), 1),
            "writes_during": len(overlapping),
            "waits_reported": (proc.stdout + proc.stderr).count("fixgen: waiting for a lock"),
        }
        if proc.returncode != 0:
            result["error"] = proc.stderr.strip().splitlines()[-1][:160]
            subprocess.run(client(db, up, stop=False), capture_output=True)  # finish it
        subprocess.run(client(db, down), check=True, capture_output=True)
        return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dialect", choices=["postgresql", "mysql"], default="postgresql")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--hold", type=float, default=10.0)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--format", choices=["table", "json"], default="table")
    args = ap.parse_args()
    global DIALECT
    DIALECT = args.dialect
    db = f"fixgen_bench_lock_{os.getpid()}"
    setup(db, args.rows)
    try:
        results = {mode: run_mode(db, flags, args.hold, args.writers) for mode, flags in MODES.items()}
    finally:
        with connect(None) as conn:
            conn.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' if DIALECT == "postgresql"
                                  else f"DROP DATABASE IF EXISTS `{db}`")
    if args.format == "json":
        print(json.dumps({"dialect": DIALECT, "rows": args.rows, "hold_s": args.hold, "writers": args.writers,
                          "modes": results}, indent=2))
        return
    print(f"holder keeps a write transaction open {args.hold:g} s; {args.writers} writers; {args.rows} rows")
    print(f"{'mode':<22} {'migration s':>11} {'done':>5} {'longest write stall ms':>23} {'waits said':>10}")
    for mode, r in results.items():
        print(f"{mode:<22} {r['migration_s']:>11} {str(r['completed']):>5} {r['longest_write_stall_ms']:>23} "
              f"{r['waits_reported']:>10}")
    online = results["online (default)"]
    timeout_ms = 500 if DIALECT == "postgresql" else 1000  # MySQL's lock_wait_timeout: whole seconds
    ok = online["completed"] and online["longest_write_stall_ms"] <= 2 * timeout_ms
    print(("PASS" if ok else "FAIL") + f": online stalls writers at most 2 x its {timeout_ms} ms lock timeout and completes")


if __name__ == "__main__":
    main()
