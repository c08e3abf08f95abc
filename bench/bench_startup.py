#!/usr/bin/env python3
"""Benchmark: how fast `fixgen --help` starts, and what it imports.

Run it from anywhere as `python bench/bench_startup.py`. Every command runs in a fresh
subprocess with this repository first on PYTHONPATH (so the working tree is measured),
--runs times, round-robin (so a burst of load on the machine hits every command alike),
after --warmup runs that compile .pyc files and warm the page cache. Figures are wall
times of the whole process: interpreter start, imports, work, exit.

  python -c pass                 the interpreter's own floor on this machine
  python -c 'import fixgen.cli'  what the CLI module costs to import
  fixgen --help                  the console script installed next to this Python
  python -m fixgen --help        the same through -m (no console-script wrapper)

Then `python -X importtime` of `import fixgen.cli` and of `-m fixgen --help` (which also
shows what help formatting imports lazily): the top offenders by cumulative and by self
time, the time per top-level package, and whether modules that must stay lazy
(jinja2, sqlglot: requirement (b); also yaml, rich) were imported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUDGET_S = 0.2  # requirement (b): `fixgen --help` starts in under 0.2 s
MUST_BE_LAZY = ("jinja2", "sqlglot")  # requirement (b)
WATCH = (*MUST_BE_LAZY, "yaml", "rich", "sqlalchemy", "fixgen.spec", "fixgen.targets.sql")


def env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    return {**os.environ, "PYTHONPATH": path}


def console_scripts() -> list[tuple[str, list[str]]]:
    """`fixgen --help` through the script next to this interpreter, and through PATH if that differs."""
    out = []
    here = Path(sys.executable).parent / ("fixgen.exe" if os.name == "nt" else "fixgen")
    if here.exists():
        out.append(("fixgen --help", [str(here), "--help"]))
    on_path = shutil.which("fixgen")
    if on_path and (not here.exists() or Path(on_path).resolve() != here.resolve()):
        label = "fixgen --help (PATH)" if out else "fixgen --help"
        out.append((label, [on_path, "--help"]))
    return out


def commands() -> list[tuple[str, list[str]]]:
    py = sys.executable
    return [
        ("python -c pass", [py, "-c", "pass"]),
        ("python -c 'import fixgen.cli'", [py, "-c", "import fixgen.cli"]),
        *console_scripts(),
        ("python -m fixgen --help", [py, "-m", "fixgen", "--help"]),
    ]


def time_commands(cmds: list[tuple[str, list[str]]], runs: int, warmup: int) -> dict[str, list[float]]:
    e = env()
    for _, cmd in cmds:
        for _ in range(warmup):
            subprocess.run(cmd, env=e, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for label, cmd in cmds:
            t0 = time.perf_counter()
            subprocess.run(cmd, env=e, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - t0)
    return times


def importtime(args: list[str]) -> list[tuple[int, int, int, str]]:
    """(self us, cumulative us, depth, module) per line of `python -X importtime ARGS`."""
    p = subprocess.run([sys.executable, "-X", "importtime", *args], env=env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows = []
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((int(self_us), int(cum_us), depth, name.strip()))
    return rows


def report_importtime(title: str, args: list[str], top: int) -> list[str]:
    """Print the importtime summary; return the watched modules that were imported."""
    # best of 3, per module, to take the noise out of small numbers
    runs = [importtime(args) for _ in range(3)]
    best: dict[str, tuple[int, int, int]] = {}
    for rows in runs:
        for s, c, d, name in rows:
            if name not in best or c < best[name][1]:
                best[name] = (s, c, d)
    total = sum(s for s, _, _ in best.values())
    print(f"\n== python -X importtime {' '.join(args)}  ({len(best)} modules, {total / 1000:.1f} ms of imports, "
          "best of 3 per module)")
    print(f"  top {top} by cumulative time (a package with everything it imports):")
    for name, (s, c, d) in sorted(best.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"    {c / 1000:8.1f} ms cum {s / 1000:7.1f} ms self  {'  ' * d}{name}")
    per_pkg: dict[str, int] = defaultdict(int)
    for name, (s, _, _) in best.items():
        per_pkg[name.split(".")[0]] += s
    print(f"  top {top} top-level packages by self time summed over their modules:")
    for pkg, s in sorted(per_pkg.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {s / 1000:8.1f} ms  {pkg}")
    loaded = [w for w in WATCH if any(n == w or n.startswith(w + ".") for n in best)]
    print(f"  watched modules imported: {', '.join(loaded) if loaded else 'none'} (watching {', '.join(WATCH)})")
    return loaded


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=21, help="timed runs per command (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per command first (default: %(default)s)")
    ap.add_argument("--top", type=int, default=12, help="rows per importtime list (default: %(default)s)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a requirement is missed")
    args = ap.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {sys.version.split()[0]} ({sys.executable}), {os.cpu_count()} CPU(s), load average {load:.2f}; "
          f"{args.runs} runs per command, round-robin, after {args.warmup} warm-up run(s)")
    cmds = commands()
    times = time_commands(cmds, args.runs, args.warmup)
    floor = statistics.median(times["python -c pass"])
    print(f"\n{'command':<32} {'median s':>9} {'min s':>7} {'max s':>7} {'- floor':>8}  verdict")
    ok = True
    for label, _ in cmds:
        t = times[label]
        med = statistics.median(t)
        verdict = ""
        if label.startswith("fixgen --help"):
            passed = med < BUDGET_S
            ok &= passed or "(PATH)" in label  # a version-manager shim on PATH is not fixgen's to fix
            verdict = f"{'PASS' if passed else 'FAIL'} (< {BUDGET_S} s)"
        print(f"{label:<32} {med:>9.3f} {min(t):>7.3f} {max(t):>7.3f} {med - floor:>8.3f}  {verdict}")

    report_importtime("import", ["-c", "import fixgen.cli"], args.top)
    loaded = report_importtime("help", ["-m", "fixgen", "--help"], args.top)
    lazy_ok = not any(m in loaded for m in MUST_BE_LAZY)
    print(f"\n{' and '.join(MUST_BE_LAZY)} not imported by --help: {'PASS' if lazy_ok else 'FAIL'}")
    return 1 if args.strict and not (ok and lazy_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
