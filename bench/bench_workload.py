#!/usr/bin/env python3
"""Benchmark: the workload's indexes, found and measured (issue 17).

On a scratch database per server, the generated dataset of tests/support/workload.py (`tickets`, the hot
table, --rows rows; `users`, rows / 5): its workload (two composite-filter patterns, one query an existing
index serves, primary-key lookups on users) runs --calls times, then

1. `fixgen detect URL --only workload` proposes indexes (expected: exactly the two composite ones);
2. the hot queries are timed: --runs runs each, values drawn from the dataset's ranges (the same on
   both sides), after a warm-up run;
3. `fixgen emit --target sql` writes the migration, applied with the real client (psql, mariadb); the
   tables are analyzed; the same queries are timed again;
4. `fixgen verify SPEC URL` measures the same spec its own way (queries from the workload statistics,
   values sampled from rows, the Alembic revision applied and rolled back), for comparison;
5. the migration's down.sql runs, and the schema is compared with the one before.

Then (PostgreSQL, unless --no-seed) the seed's schema with --rows generated rows in agent_executions and
hitl_approvals and its two query patterns: does detect find the seed's hand-picked composite indexes, and
what does `fixgen verify examples/seed-fixes.yaml` measure for the seed's "50-100x faster"?

Goal: the mean time of the hot queries improves >= 10x. When detect proposes something else (or fails),
the hand-written spec of the two wanted indexes is measured and the table says so.

  python bench/bench_workload.py [--rows 500000] [--calls 20] [--runs 20] [--dialects postgresql,mysql]
                                 [--no-seed] [--format json]

Servers: FIXGEN_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/postgres), FIXGEN_BENCH_MYSQL
(default mysql://root@127.0.0.1:3306/test); PostgreSQL needs pg_stat_statements preloaded and hypopg
installed, MariaDB performance_schema = ON. Note: the MariaDB digest table is server-wide and is emptied.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support import workload as wl  # noqa: E402 - the dataset and workload the tests use

SERVERS = {
    "postgresql": os.environ.get("FIXGEN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    "mysql": os.environ.get("FIXGEN_BENCH_MYSQL", "mysql://root@127.0.0.1:3306/test"),
}
HOT = {**wl.PATTERNS}
REFERENCE = {**wl.SERVED, "user": wl.PK_LOOKUPS["user"]}  # served already: they should not change


def fixgen(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The working tree's fixgen in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "fixgen", *args], capture_output=True, text=True, check=check,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def database_url(dialect: str, name: str) -> str:
    return SERVERS[dialect].rsplit("/", 1)[0] + "/" + name


def admin(dialect: str, sql: str) -> None:
    from fixgen.dbschema import normalize_url

    engine = sa.create_engine(normalize_url(SERVERS[dialect]), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def values(name: str, rnd: random.Random, rows: int) -> dict:
    tenant, status = rnd.randint(1, wl.TENANTS), rnd.choice(wl.STATUSES)
    return {"by_agent": {"tenant": tenant, "agent": rnd.randint(1, wl.AGENTS), "status": status},
            "by_assignee": {"tenant": tenant, "status": status, "user": rnd.randint(1, wl.ASSIGNEES)},
            "by_ref": {"ref": f"REF-{rnd.randint(1, rows)}"},
            "user": {"id": rnd.randint(1, max(rows // 5, 1))}}[name]


def time_queries(url: str, runs: int, rows: int) -> dict[str, float]:
    """Mean ms per query over `runs` runs (a warm-up first), values from a fixed seed: the same on both sides."""
    out = {}
    with wl.connect(url) as conn:
        for name, sql in {**HOT, **REFERENCE}.items():
            rnd = random.Random(name)
            conn.execute(sa.text(sql), values(name, rnd, rows)).fetchall()
            times = []
            for _ in range(runs):
                params = values(name, rnd, rows)
                start = time.perf_counter()
                conn.execute(sa.text(sql), params).fetchall()
                times.append((time.perf_counter() - start) * 1000)
            out[name] = statistics.fmean(times)
    return out


def run_sql(dialect: str, url: str, path: Path) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if dialect == "postgresql":
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(path)]
        subprocess.run(argv, check=True, capture_output=True)
        return
    argv = ["mariadb", "--batch", "-h", u.host or "127.0.0.1", "-P", str(u.port or 3306), "-u", u.username or "root"]
    argv += [f"-p{u.password}"] if u.password else []
    with path.open("rb") as stdin:
        subprocess.run([*argv, u.database], stdin=stdin, check=True, capture_output=True)


def analyze(dialect: str, url: str) -> None:
    with wl.connect(url) as conn:
        for table in ("tickets", "users"):
            conn.exec_driver_sql(f"ANALYZE {table}" if dialect == "postgresql" else f"ANALYZE TABLE {table}").close()


def snapshot(url: str) -> dict:
    from fixgen.dbschema import normalize_url

    engine = sa.create_engine(normalize_url(url))
    insp = sa.inspect(engine)
    out = {t: sorted((ix["name"], tuple(ix["column_names"])) for ix in insp.get_indexes(t)) for t in insp.get_table_names()}
    engine.dispose()
    return out


def bench(dialect: str, rows: int, calls: int, runs: int, tmp: Path) -> dict:
    name = "fixgen_bench_workload_" + secrets.token_hex(4)
    admin(dialect, f'CREATE DATABASE "{name}"' if dialect == "postgresql" else f"CREATE DATABASE `{name}`")
    url = database_url(dialect, name)
    result: dict = {"dialect": dialect, "rows": rows}
    try:
        t0 = time.perf_counter()
        if dialect == "postgresql":
            wl.enable_extensions(url)
        wl.create_dataset(dialect, url, rows=rows)
        result["dataset_s"] = round(time.perf_counter() - t0, 1)
        wl.reset_statistics(dialect, url)
        wl.run_workload(dialect, url, calls=calls, rows=rows)

        spec_path = tmp / f"{dialect}.yaml"
        t0 = time.perf_counter()
        detect = fixgen("detect", url, "--only", "workload", "--format", "yaml", "--out", str(spec_path), "--force",
                        check=False)
        result["detect_s"] = round(time.perf_counter() - t0, 2)
        proposed = []
        if detect.returncode in (0, 1) and spec_path.is_file():
            issues = (yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}).get("issues") or []
            proposed = [(i["table"], tuple(i["columns"])) for i in issues if i.get("kind") == "missing_index"]
        result["proposed"] = [f"{t} ({', '.join(c)})" for t, c in proposed]
        result["detect_exact"] = sorted(proposed) == sorted(wl.WANTED)
        if not result["detect_exact"]:  # measure the wanted indexes anyway, and say so
            result["detect_error"] = (detect.stderr.strip().splitlines() or [""])[-1][:200]
            spec_path.write_text(yaml.safe_dump({"version": 1, "name": "workload_indexes", "issues": [
                {"kind": "missing_index", "table": t, "columns": list(c)} for t, c in wl.WANTED]}), encoding="utf-8")
        schema_before = snapshot(url)

        verify = fixgen("verify", str(spec_path), url, "--format", "json", "--runs", str(runs), check=False)
        if verify.returncode == 0:
            report = json.loads(verify.stdout)
            result["verify"] = {f"{r['table']} ({', '.join(r['columns'])})": r["speedup"] for r in report["indexes"]}
        else:
            result["verify_error"] = verify.stderr.strip()[-300:]
        result["verify_restored"] = snapshot(url) == schema_before

        before = time_queries(url, runs, rows)
        out = tmp / f"{dialect}-out"
        fixgen("emit", str(spec_path), "--target", "sql", "--dialect", dialect, "--out", str(out), "--force",
               "--timestamp", "20260101000000")
        up, down = sorted(out.glob("*.up.sql"))[0], sorted(out.glob("*.down.sql"))[0]
        t0 = time.perf_counter()
        run_sql(dialect, url, up)
        result["up_s"] = round(time.perf_counter() - t0, 2)
        analyze(dialect, url)
        after = time_queries(url, runs, rows)
        run_sql(dialect, url, down)
        result["down_restored"] = snapshot(url) == schema_before
        result["queries"] = {q: {"before_ms": round(before[q], 3), "after_ms": round(after[q], 3),
                                 "speedup": round(before[q] / after[q], 1), "hot": q in HOT} for q in before}
        hot_before = statistics.fmean(before[q] for q in HOT)
        hot_after = statistics.fmean(after[q] for q in HOT)
        result["hot_speedup"] = round(hot_before / hot_after, 1)
    finally:
        admin(dialect, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' if dialect == "postgresql"
              else f"DROP DATABASE IF EXISTS `{name}`")
    return result


def bench_seed(rows: int, calls: int, runs: int) -> dict:
    """The seed's schema with generated rows and its two query patterns (PostgreSQL): does detect find the seed's
    hand-picked composite indexes, and what does `fixgen verify examples/seed-fixes.yaml` measure for its claim?"""
    name = "fixgen_bench_seed_" + secrets.token_hex(4)
    admin("postgresql", f'CREATE DATABASE "{name}"')
    url = database_url("postgresql", name)
    result: dict = {"dialect": "postgresql (seed schema)", "rows": rows}
    try:
        wl.enable_extensions(url)
        wl.create_seed_dataset(url, rows=rows)
        wl.reset_statistics("postgresql", url)
        wl.run_seed_workload(url, calls=calls)
        with tempfile.TemporaryDirectory() as tmp:
            spec_path = Path(tmp) / "seed-workload.yaml"
            detect = fixgen("detect", url, "--only", "workload", "--format", "yaml", "--out", str(spec_path), check=False)
            issues = (yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}).get("issues") or [] \
                if spec_path.is_file() else []
        proposed = [(i["table"], tuple(i["columns"])) for i in issues if i.get("kind") == "missing_index"]
        result["proposed"] = [f"{t} ({', '.join(c)})" for t, c in proposed]
        result["detect_exact"] = sorted(proposed) == sorted(wl.SEED_WANTED)
        if not proposed:
            result["detect_error"] = (detect.stderr.strip().splitlines() or [""])[-1][:200]
        before = snapshot(url)
        verify = fixgen("verify", str(ROOT / "examples" / "seed-fixes.yaml"), url, "--format", "json", "--runs", str(runs),
                        check=False)
        if verify.returncode == 0:
            report = json.loads(verify.stdout)
            result["verify"] = {f"{r['table']} ({', '.join(r['columns'])})": r["speedup"] for r in report["indexes"]
                                if r["status"] == "measured"}
        else:
            result["verify_error"] = verify.stderr.strip()[-300:]
        result["verify_restored"] = snapshot(url) == before
    finally:
        admin("postgresql", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=wl.ROWS)
    ap.add_argument("--calls", type=int, default=20, help="times each hot pattern runs in the workload")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per query, before and after")
    ap.add_argument("--dialects", default="postgresql,mysql")
    ap.add_argument("--format", choices=["table", "json"], default="table")
    ap.add_argument("--no-seed", action="store_true", help="leave out the seed schema's run (PostgreSQL)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench(d, args.rows, args.calls, args.runs, Path(tmp)) for d in args.dialects.split(",")]
    seed = None if args.no_seed or "postgresql" not in args.dialects else bench_seed(args.rows, args.calls, args.runs)
    if args.format == "json":
        print(json.dumps({"workload": results, "seed": seed}, indent=2))
        return
    ok = True
    for r in results:
        print(f"\n{r['dialect']}: {r['rows']:,} rows in tickets (dataset {r['dataset_s']} s)")
        print(f"  detect --only workload ({r['detect_s']} s) proposed: {'; '.join(r['proposed']) or 'nothing'}"
              + ("  [exactly the two wanted]" if r["detect_exact"] else
                 f"  [NOT the two wanted: measured the hand-written spec; {r.get('detect_error', '')}]"))
        print(f"  {'query':<12} {'before ms':>10} {'after ms':>9} {'speed-up':>9}")
        for q, m in r["queries"].items():
            print(f"  {q:<12} {m['before_ms']:>10.2f} {m['after_ms']:>9.2f} {m['speedup']:>8.1f}x"
                  + ("  (hot)" if m["hot"] else "  (served already)"))
        print(f"  hot queries, mean: {r['hot_speedup']}x faster; up {r['up_s']} s; down restored the schema: "
              f"{r['down_restored']}")
        if "verify" in r:
            print("  fixgen verify: " + "; ".join(f"{k} {v}x" for k, v in r["verify"].items())
                  + f"; rolled back exactly: {r['verify_restored']}")
        else:
            print(f"  fixgen verify failed: {r.get('verify_error')}")
        ok = ok and r["hot_speedup"] >= 10 and r["down_restored"] and r.get("verify_restored", False)
    if seed is not None:
        print(f"\nseed schema (PostgreSQL): {seed['rows']:,} rows in agent_executions and hitl_approvals")
        print(f"  detect --only workload proposed: {'; '.join(seed['proposed']) or 'nothing'}"
              + ("  [exactly the seed's two]" if seed["detect_exact"] else f"  [NOT the seed's two; "
                                                                        f"{seed.get('detect_error', '')}]"))
        if "verify" in seed:
            print("  fixgen verify examples/seed-fixes.yaml: " + "; ".join(f"{k} {v}x" for k, v in seed["verify"].items())
                  + f"; rolled back exactly: {seed['verify_restored']}")
        else:
            print(f"  fixgen verify failed: {seed.get('verify_error')}")
    print(("\nPASS" if ok else "\nFAIL") + ": the hot queries >= 10x faster on every server, and the schema restored")


if __name__ == "__main__":
    main()
