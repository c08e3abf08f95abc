#!/usr/bin/env python3
"""Benchmark: parse -> plan -> render of large generated specs, for every target/dialect.

Run it from anywhere as `python bench/bench_render.py`: the repository this file is in
goes first on sys.path, so the working tree is what gets measured. It is a benchmark,
not a test: it prints figures (and, with --strict, exits 1 when the budget is missed);
nothing in tests/ depends on it.

Columns, per (issues, target/dialect):
  parse s   fixgen.spec.load_spec(bytes)          YAML text -> validated Spec
  plan s    fixgen.targets.plan_for(...)          Spec -> ordered, merged Plan
  render s  Target.render(plan, dialect, ctx)     Plan -> {file name: text}
  total s   parse + plan + render: what `fixgen emit` does after its imports
  cpu s     process CPU time of the same run (robust when other jobs share the CPUs)
  1st s     total of the warm-up run: the first run in a process, as in `fixgen emit`, also
            pays for lazy imports, template compilation and fresh memory from the OS
  us/issue  total / issues; the note compares it with the smallest size (x1.00 = linear)
  out MB    characters of output (all files), in millions (2**20)
  peak MB   tracemalloc peak of Python allocations over one extra, untimed run
Times are the median of --repeat runs after one warm-up run (which pays for imports
and Jinja2 template compilation). The cyclic garbage collector is off during the
pipeline, as `fixgen emit` has it (cli.py); --gc on shows what a library caller pays.

Specs are generated in memory as YAML text (so parsing is measured) with a realistic,
non-conflicting mix of the six issue kinds over issues/5 tables (10,000 issues -> 2,000
tables): 30% missing_index (a quarter composite, some unique), 25% missing_foreign_key,
15% missing_column, 5% missing_timestamps, 10% rename_column, 15% redundant_index.
Target sql on SQLite guards only index fixes, so sql/sqlite gets an index-only spec
(missing_index + redundant_index) of the same size. --format json feeds the same specs
as JSON (load_spec has a JSON fast path). --dump writes the specs out.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fixgen import __version__  # noqa: E402
from fixgen.dialects import DIALECTS  # noqa: E402
from fixgen.spec import load_spec  # noqa: E402
from fixgen.targets import TARGETS, get_target, plan_for, resolve_dialect  # noqa: E402
from fixgen.targets.context import Context  # noqa: E402

DEFAULT_SIZES = (1_000, 5_000, 10_000, 20_000)
# every target; targets that need a dialect once per dialect
DEFAULT_CASES = tuple(f"{t.name}/{d}" if t.needs_dialect else t.name
                      for t in TARGETS.values() for d in (DIALECTS if t.needs_dialect else ("",)))
ISSUES_PER_TABLE = 5
BUDGET_S = 1.0  # requirement (a): 10,000 issues, 2,000 tables, per target
BUDGET_AT = 10_000

# --------------------------------------------------------------------------- spec generator

NOUNS = (
    "account", "invoice", "order", "customer", "product", "shipment", "payment", "ticket", "project",
    "document", "message", "report", "contract", "warehouse", "supplier", "campaign", "session",
    "subscription", "employee", "asset",
)
# Per-table column vocabularies. They are disjoint, so no generated issue contradicts
# another or names a column a rename in the same spec removes.
INDEX_COLS = ("status", "email", "external_ref", "slug", "region", "priority_code", "kind", "sku",
              "reference_no", "channel", "currency", "country_code")
UNIQUE_COLS = {"email", "slug", "external_ref", "sku", "reference_no"}
NEW_COLS = (
    ("archived_at", "timestamp", True, None), ("notes", "text", True, None),
    ("is_active", "boolean", False, True), ("amount", "decimal(12,2)", False, 0),
    ("locale", "string(16)", False, "en"), ("external_id", "uuid", True, None),
    ("metadata", "json", True, None), ("retry_count", "integer", False, 0),
    ("state", "string(32)", False, "pending"), ("score", "float", True, None),
)
RENAMES = (("desc", "description"), ("qty", "quantity"), ("addr", "address"), ("tel", "phone"),
           ("cat_id", "category_id"), ("usr_name", "username"), ("zip", "postal_code"), ("nm", "name"))
REDUNDANT_COLS = (("deleted_at",), ("type",), ("code",), ("position",), ("tenant_id", "type"),
                  ("sort_order",), ("legacy_key",), ("batch_no",))
ON_DELETE = ("cascade", "set_null", "restrict", "no_action")

# kind schedule for the k-th issue of a table (rotated per table so kinds interleave):
# 30% missing_index, 25% missing_foreign_key, 15% missing_column, 5% missing_timestamps,
# 10% rename_column, 15% redundant_index
MIXED = ("missing_index", "missing_foreign_key", "missing_column", "redundant_index", "missing_index",
         "missing_foreign_key", "rename_column", "missing_index", "missing_foreign_key", "missing_column",
         "redundant_index", "missing_index", "missing_foreign_key", "missing_column", "rename_column",
         "missing_index", "missing_foreign_key", "missing_timestamps", "redundant_index", "missing_index")
INDEX_ONLY = ("missing_index", "missing_index", "redundant_index", "missing_index", "redundant_index")


def table_names(n: int) -> list[str]:
    return [f"{NOUNS[i % len(NOUNS)]}s_{i:05d}" for i in range(n)]


def _suffix(base: str, k: int) -> str:
    return base if k == 0 else f"{base}_{k}"


def generate_spec(n_issues: int, n_tables: int | None = None, index_only: bool = False,
                  duplicates: float = 0.0) -> str:
    """YAML text of a valid, non-conflicting spec with `n_issues` issues over `n_tables` tables.

    With `duplicates` > 0, that fraction of the issues (spread evenly) repeat an earlier
    issue under another id, as two detectors reporting the same problem would: they merge
    into one fix and exercise the planner's merge path.
    """
    n_tables = n_tables or max(1, n_issues // ISSUES_PER_TABLE)
    n_dup = int(n_issues * duplicates)
    n_unique = n_issues - n_dup
    tables = table_names(n_tables)
    schedule = INDEX_ONLY if index_only else MIXED
    counters: list[dict] = [{} for _ in range(n_tables)]
    out = ["# generated by bench/bench_render.py", "version: 1", f"name: bench_{n_issues}", "issues:"]
    blocks: list[list[str]] = []
    for i in range(n_unique):
        ti, k = i % n_tables, i // n_tables
        t = tables[ti]
        c = counters[ti]
        kind = schedule[(k + ti) % len(schedule)]
        if kind == "missing_timestamps" and c.get(kind):
            kind = "missing_column"
        j = c.get(kind, 0)
        c[kind] = j + 1
        lines = [f"  - id: gen-{i + 1}", f"    kind: {kind}", f"    table: {t}"]
        if kind == "missing_index":
            col = _suffix(INDEX_COLS[j % len(INDEX_COLS)], j // len(INDEX_COLS))
            if j % 4 == 3:  # composite, tenant-scoped
                cols = ["tenant_id", col]
                lines.append(f"    columns: [{', '.join(cols)}]")
                lines.append(f'    message: "queries filter {t} by tenant and {col}"')
            else:
                lines.append(f"    columns: [{col}]")
                if col.split("_")[0] in UNIQUE_COLS or col in UNIQUE_COLS:
                    lines.append("    unique: true")
                lines.append(f'    message: "{t}.{col} is not indexed"')
        elif kind == "missing_foreign_key":
            # another table each time; with few tables, the next unused one, then a second column
            used = c.setdefault("fk_refs", set())
            r = (ti + 1 + 7 * j) % n_tables
            for step in range(n_tables):
                cand = (r + step) % n_tables
                if (cand != ti or n_tables == 1) and (cand, 0) not in used:
                    r = cand
                    break
            nth = next(k for k in range(n_tables * n_issues + 1) if (r, k) not in used)
            used.add((r, nth))
            ref = tables[r]
            col = _suffix(f"{ref}_id", nth)
            lines += [f"    columns: [{col}]", f"    references: {ref}.id",
                      f"    on_delete: {ON_DELETE[(ti + j) % len(ON_DELETE)]}",
                      f'    message: "{t}.{col} has no foreign key to {ref}"']
        elif kind == "missing_column":
            name, typ, nullable, default = NEW_COLS[j % len(NEW_COLS)]
            name = _suffix(name, j // len(NEW_COLS))
            lines += [f"    column: {name}", f"    type: {typ}"]
            if not nullable:
                lines.append("    nullable: false")
                lines.append(f"    default: {json.dumps(default)}")
            lines.append(f'    message: "model {t} expects column {name}"')
        elif kind == "missing_timestamps":
            lines.append(f'    message: "{t} has no created_at/updated_at"')
        elif kind == "rename_column":
            old, new = RENAMES[j % len(RENAMES)]
            n = j // len(RENAMES)
            lines += [f"    from: {_suffix(old, n)}", f"    to: {_suffix(new, n)}",
                      f'    message: "{t}.{_suffix(old, n)} should be {_suffix(new, n)}"']
        elif kind == "redundant_index":
            cols = REDUNDANT_COLS[j % len(REDUNDANT_COLS)]
            n = j // len(REDUNDANT_COLS)
            cols = tuple(_suffix(x, n) if x != "tenant_id" else x for x in cols)
            lines += [f"    name: idx_{t}_{'_'.join(cols)}_dup", f"    columns: [{', '.join(cols)}]",
                      f'    message: "idx_{t}_{"_".join(cols)}_dup duplicates another index"']
        lines.append("    source: bench generator")
        out += lines
        blocks.append(lines)
    for d in range(n_dup):
        dup = list(blocks[(d * len(blocks)) // n_dup])
        dup[0] = f"  - id: dup-{d + 1}"
        dup[-1] = "    source: second detector"
        out += dup
    return "\n".join(out) + "\n"


def to_json(yaml_text: str) -> str:
    """The same spec as indented JSON, as a detector writing JSON would produce it."""
    return json.dumps(yaml.safe_load(yaml_text), indent=2) + "\n"


# --------------------------------------------------------------------------- pipeline


def make_context() -> Context:
    return Context(created=datetime(2025, 1, 1, tzinfo=timezone.utc), name="bench", source="bench.yaml",
                   version=__version__, revision="0123456789ab", down_revision=None)


def run_pipeline(text: bytes, case: str, ctx: Context, collect: bool = False) -> dict[str, float | int]:
    """One parse -> plan -> render, the way `fixgen emit` chains them; times in seconds.

    `collect`: keep the cyclic garbage collector running (library callers); `fixgen emit`
    switches it off (cli.py), so by default it is off here too.
    """
    target_name, _, dialect_name = case.partition("/")
    target = get_target(target_name)
    dialect = resolve_dialect(target, dialect_name or None)
    was_enabled = gc.isenabled()
    if not collect:
        gc.disable()
    try:
        c0 = time.process_time()
        t0 = time.perf_counter()
        spec = load_spec(text, "bench.yaml")
        t1 = time.perf_counter()
        plan = plan_for(spec, target, dialect, ctx.name)
        t2 = time.perf_counter()
        output = target.render(plan, dialect, ctx)
        t3 = time.perf_counter()
        cpu = time.process_time() - c0
    finally:
        if was_enabled:
            gc.enable()
    return {"parse_s": t1 - t0, "plan_s": t2 - t1, "render_s": t3 - t2, "total_s": t3 - t0, "cpu_s": cpu,
            "issues": len(spec.issues), "tables": len({i.table for i in spec.issues}), "ops": len(plan.ops),
            "out_chars": sum(len(v) for v in output.files.values())}


def peak_mb(text: bytes, case: str, ctx: Context, collect: bool) -> float:
    """tracemalloc's peak of Python allocations over one pipeline run (not timed: tracing is slow)."""
    gc.collect()
    tracemalloc.start()
    try:
        run_pipeline(text, case, ctx, collect)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def cli_seconds(text: bytes, case: str, repeat: int) -> float:
    """Median wall time of the real `python -m fixgen emit ... -o DIR` in a fresh interpreter (imports included)."""
    target_name, _, dialect_name = case.partition("/")
    times = []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
    with tempfile.TemporaryDirectory(prefix="fixgen-bench-") as tmp:
        spec = Path(tmp, "bench.json" if text.lstrip()[:1] in (b"[", b"{") else "bench.yaml")
        spec.write_bytes(text)
        for i in range(repeat):
            cmd = [sys.executable, "-m", "fixgen", "emit", str(spec), "-t", target_name, "-o", str(Path(tmp, f"out{i}")),
                   "--timestamp", "20250101000000"]
            if dialect_name:
                cmd += ["-d", dialect_name]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def profile(text: bytes, case: str, ctx: Context, top: int, sort: str, collect: bool) -> None:
    run_pipeline(text, case, ctx, collect)  # warm-up: imports, template compilation
    prof = cProfile.Profile()
    prof.enable()
    run_pipeline(text, case, ctx, collect)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort).print_stats(top)
    print(buf.getvalue())


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                    help="comma-separated issue counts (default: %(default)s)")
    ap.add_argument("--cases", default=",".join(DEFAULT_CASES),
                    help="comma-separated target[/dialect] list (default: %(default)s)")
    ap.add_argument("--tables", type=int, default=None,
                    help=f"number of tables (default: issues/{ISSUES_PER_TABLE})")
    ap.add_argument("--duplicates", type=float, default=0.0,
                    help="fraction of issues that repeat another one and merge (default: 0)")
    ap.add_argument("--format", choices=("yaml", "json"), default="yaml",
                    help="spec format; JSON has its own fast path in load_spec (default: %(default)s)")
    ap.add_argument("--gc", choices=("off", "on"), default="off",
                    help="cyclic garbage collector during the pipeline: off as in `fixgen emit`, "
                         "on as for a library caller (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per cell; the median is shown (default: 3)")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run (faster)")
    ap.add_argument("--cli", action="store_true",
                    help=f"also time the real `fixgen emit` in a subprocess at {BUDGET_AT:,} issues")
    ap.add_argument("--profile", metavar="CASE:SIZE",
                    help="cProfile one cell instead of the table, e.g. sql/postgresql:10000")
    ap.add_argument("--sort", default="tottime", help="pstats sort key for --profile (default: %(default)s)")
    ap.add_argument("--top", type=int, default=30, help="rows of --profile output (default: %(default)s)")
    ap.add_argument("--dump", metavar="DIR", help="write the generated specs into DIR and exit")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--strict", action="store_true",
                    help=f"exit 1 if a cell at {BUDGET_AT:,} issues takes {BUDGET_S} s or more (total)")
    args = ap.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s]
    cases = [c for c in args.cases.split(",") if c]
    ctx = make_context()

    collect = args.gc == "on"

    def spec_for(case: str, n: int) -> bytes:
        text = generate_spec(n, args.tables, case.endswith("/sqlite"), args.duplicates)
        return (to_json(text) if args.format == "json" else text).encode()

    if args.dump:
        Path(args.dump).mkdir(parents=True, exist_ok=True)
        for n in sizes:
            for flavour, index_only in (("mixed", False), ("index-only", True)):
                p = Path(args.dump, f"bench-{n}-{flavour}.{args.format}")
                text = generate_spec(n, args.tables, index_only, args.duplicates)
                p.write_text(to_json(text) if args.format == "json" else text)
                print(p)
        return 0

    if args.profile:
        case, _, n = args.profile.rpartition(":")
        profile(spec_for(case, int(n)), case, ctx, args.top, args.sort, collect)
        return 0

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"fixgen {__version__} ({REPO}), Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
          f"load average {load:.2f} at start; {args.format.upper()} specs, GC {args.gc}; "
          f"median of {args.repeat} run(s) after a warm-up; "
          f"budget: under {BUDGET_S:.1f} s at {BUDGET_AT:,} issues")
    head = (f"{'issues':>7} {'tables':>6} {'target/dialect':<15} {'ops':>6} {'parse s':>8} {'plan s':>8} "
            f"{'render s':>8} {'total s':>8} {'cpu s':>7} {'1st s':>6} {'us/issue':>8} {'out MB':>7} {'peak MB':>8}  note")
    print(head)
    print("-" * len(head))
    rows = []
    failed = False
    for case in cases:
        first = None
        for n in sizes:
            text = spec_for(case, n)
            cold = run_pipeline(text, case, ctx, collect)  # warm-up: lazy imports, Jinja2 template compilation
            runs = []
            for _ in range(args.repeat):
                gc.collect()
                runs.append(run_pipeline(text, case, ctx, collect))
            row: dict[str, object] = {"case": case, **{k: runs[0][k] for k in ("issues", "tables", "ops", "out_chars")}}
            for key in ("parse_s", "plan_s", "render_s", "total_s", "cpu_s"):
                row[key] = statistics.median(r[key] for r in runs)
            row["first_s"] = cold["total_s"]
            row["us_per_issue"] = row["total_s"] / n * 1e6
            row["peak_mb"] = None if args.no_memory else peak_mb(text, case, ctx, collect)
            first = first or row
            note = f"x{row['us_per_issue'] / first['us_per_issue']:.2f}/issue vs {first['issues']:,}"
            if n == BUDGET_AT:
                verdicts = []
                for label, value in (("total", row["total_s"]), ("plan+render", row["plan_s"] + row["render_s"])):
                    ok = value < BUDGET_S
                    verdicts.append(f"{label} {'PASS' if ok else 'FAIL'}")
                    failed |= label == "total" and not ok
                note += "; " + ", ".join(verdicts)
                if args.cli:
                    row["cli_s"] = cli_seconds(text, case, args.repeat)
                    note += f"; `fixgen emit` {row['cli_s']:.3f} s"
            rows.append(row)
            peak = "-" if row["peak_mb"] is None else f"{row['peak_mb']:.1f}"
            print(f"{n:>7,} {row['tables']:>6,} {case:<15} {row['ops']:>6,} {row['parse_s']:>8.3f} "
                  f"{row['plan_s']:>8.3f} {row['render_s']:>8.3f} {row['total_s']:>8.3f} {row['cpu_s']:>7.3f} "
                  f"{row['first_s']:>6.2f} {row['us_per_issue']:>8.1f} {row['out_chars'] / 2**20:>7.1f} {peak:>8}  {note}",
                  flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
