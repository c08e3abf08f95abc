"""Run fixgen's Laravel migrations through real Laravel (tests/laravel/runner.php).

* ``laravel_config(db)``: the Laravel connection config (CONFIG_JSON) for a
  ``dbs.Database``, as an application's config/database.php would give it.
* ``run_laravel(db, file, action)``: ``php tests/laravel/runner.php CONFIG FILE ACTION``
  (``up``/``down`` call the method the way Laravel's Migrator does; ``migrate``/``rollback``
  go through ``Illuminate\\Database\\Migrations\\Migrator`` on the file's directory).
  Raises ``LaravelRunError`` (exit code, stdout, stderr) on failure unless ``check=False``.
* ``php_lint(path)``: ``php -l``.
* ``emit_laravel(spec, out_dir)``: ``fixgen emit SPEC --target laravel --out DIR`` in-process
  (typer's CliRunner, through tests/support/roundtrip.py), then ``php -l`` on the new file.

Schema snapshots are compared with tests/support/roundtrip.py (``assert_schema``, ``assert_data``).

When ``php``, Laravel (``require 'Illuminate/Database/autoload.php'``) or the PDO driver
of a dialect is missing, the test is skipped with the reason, unless ``CI=true``, where it
fails instead.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from support.dbs import Database, in_ci
from support.roundtrip import TS, fixgen_emit, unique_number, write_spec

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "laravel" / "runner.php"
PHP_TIMEOUT = 300  # seconds for one migration run
PDO_DRIVER = {"sqlite": "sqlite", "postgresql": "pgsql", "mysql": "mysql"}


class LaravelRunError(Exception):
    """A migration run through runner.php exited non-zero."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        shown = [a if i != 2 else "<config>" for i, a in enumerate(argv)]
        super().__init__(f"{' '.join(shown)} exited with {returncode}\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}")


def php_unavailable(reason: str) -> None:
    """Skip the current test, or fail it when CI=true."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing PHP/Laravel is a failure)", pytrace=False)
    pytest.skip(reason)


@functools.cache
def _php_problem() -> str | None:
    php = shutil.which("php")
    if php is None:
        return "php: not found on PATH (Debian: apt-get install php-cli php-laravel-framework)"
    proc = subprocess.run([php, "-r", "require 'Illuminate/Database/autoload.php';"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        first = (proc.stderr or proc.stdout).strip().splitlines()
        return ("Laravel (illuminate/database) cannot be loaded by php "
                f"(Debian: apt-get install php-laravel-framework): {first[0] if first else 'exit ' + str(proc.returncode)}")
    return None


@functools.cache
def _pdo_problem(dialect: str) -> str | None:
    driver = PDO_DRIVER[dialect]
    proc = subprocess.run([php_binary(), "-r", f"exit(in_array('{driver}', PDO::getAvailableDrivers(), true) ? 0 : 1);"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        return f"php has no pdo_{driver} driver (Debian: apt-get install php-{'pgsql' if driver == 'pgsql' else driver})"
    return None


def php_binary() -> str:
    php = shutil.which("php")
    assert php is not None
    return php


def require_php() -> None:
    """php and Laravel are there, or skip (fail under CI=true)."""
    problem = _php_problem()
    if problem:
        php_unavailable(problem)


def require_laravel(dialect: str) -> None:
    """php, Laravel and the dialect's PDO driver are there, or skip (fail under CI=true)."""
    require_php()
    problem = _pdo_problem(dialect)
    if problem:
        php_unavailable(problem)


# --------------------------------------------------------------------------- config and runs


def laravel_config(db: Database, prefix: str = "") -> dict[str, Any]:
    """The Laravel connection config for a test database (config/database.php style)."""
    if db.dialect == "sqlite":
        return {"driver": "sqlite", "database": db.name, "prefix": prefix, "foreign_key_constraints": True}
    url = make_url(db.url)
    common = {
        "host": url.host or "127.0.0.1",
        "database": db.name,
        "username": url.username or "",
        "password": "" if url.password is None else str(url.password),
        "prefix": prefix,
    }
    if db.dialect == "postgresql":
        return {"driver": "pgsql", "port": url.port or 5432, **common, "charset": "utf8", "schema": "public",
                "sslmode": "prefer"}
    if db.dialect == "mysql":
        return {"driver": "mysql", "port": url.port or 3306, **common, "charset": "utf8mb4",
                "collation": "utf8mb4_unicode_ci", "strict": True, "engine": None}
    raise ValueError(db.dialect)


@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str


def run_laravel(db: Database, migration: str | Path, action: str, *, check: bool = True, prefix: str = "") -> RunResult:
    """``php tests/laravel/runner.php CONFIG_JSON MIGRATION ACTION``; raise LaravelRunError on failure if check.

    ``prefix`` is the connection's table prefix (config 'prefix')."""
    assert action in ("up", "down", "migrate", "rollback", "pretend"), action
    require_laravel(db.dialect)
    db.dispose()  # no pooled connection of ours holds locks (SQLite file, MariaDB metadata locks)
    argv = [php_binary(), str(RUNNER), json.dumps(laravel_config(db, prefix)), str(Path(migration).resolve()), action]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=PHP_TIMEOUT, cwd=ROOT, stdin=subprocess.DEVNULL)
    result = RunResult(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise LaravelRunError(argv, proc.returncode, proc.stdout, proc.stderr)
    if proc.returncode == 0:
        # PHP warnings, notices and deprecations raised by the generated code itself
        assert Path(migration).name not in proc.stderr, f"PHP complained about the migration:\n{proc.stderr}"
    return result


def run_fails(db: Database, migration: str | Path, action: str = "up", *, prefix: str = "") -> str:
    """Run a migration that must fail; return its stderr (the exception message)."""
    with pytest.raises(LaravelRunError) as info:
        run_laravel(db, migration, action, prefix=prefix)
    return info.value.stderr


def php_lint(path: str | Path) -> None:
    require_php()
    proc = subprocess.run([php_binary(), "-l", str(path)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"php -l {path} failed:\n{proc.stdout}{proc.stderr}"


# --------------------------------------------------------------------------- generating migrations

def emit_laravel(spec: Path | dict[str, Any] | list[Any], directory: Path, *flags: str, timestamp: str = TS,
                 name: str | None = None, lint: bool = True) -> Path:
    """``fixgen emit SPEC --target laravel --out DIR --timestamp TS``; the one new file, php -l checked.

    DIR defaults to a fresh folder per call, so that the Migrator sees one migration there. A spec
    given as data is written to a folder of its own, named after the spec (the generated header
    names the file).
    """
    if not isinstance(spec, Path):
        spec = write_spec(directory, spec, own_folder=True)
    out = directory / f"migrations_{unique_number()}"
    fixgen_emit(spec, "laravel", out, *(["--name", name] if name else []), *flags, timestamp=timestamp)
    files = sorted(out.glob("*.php"))
    assert len(files) == 1, [p.name for p in files]
    if lint:
        php_lint(files[0])
    return files[0]


def _up_steps(text: str) -> tuple[int, int, list[str]]:
    """up()'s closure in a generated migration: (start, end) offsets and its lines."""
    start = text.index("    public function up(): void")
    end = text.index("    public function down(): void")
    return start, end, text[start:end].split("\n")


STEP_CALL = "            $this->"  # a step in up()'s closure: one runtime call (its arguments may continue below)


def inject_after_fix(source: Path, target: Path, n: int, php_code: str) -> Path:
    """Copy a migration to `target` (same file name elsewhere), inserting `php_code` in up()
    right after the n-th step (n >= 1). up() runs its steps twice, first as the preflight
    (mode 'check'): the code runs only in the second, real pass."""
    text = source.read_text(encoding="utf-8")
    start, end, lines = _up_steps(text)
    calls = [i for i, line in enumerate(lines) if line.startswith(STEP_CALL)]
    assert 1 <= n <= len(calls), f"up() has {len(calls)} steps, asked to stop after #{n}"
    i = calls[n - 1]
    while not lines[i].endswith(");"):  # a call split over several lines ends with `);` at the step's indent
        i += 1
    lines.insert(i + 1, f"            if ($this->mode === 'up') {{ {php_code} }}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text[:start] + "\n".join(lines) + text[end:], encoding="utf-8")
    return target


def count_fixes(migration: Path) -> int:
    """The number of steps in up()."""
    _, _, lines = _up_steps(migration.read_text(encoding="utf-8"))
    return sum(1 for line in lines if line.startswith(STEP_CALL))


def patched(migration: Path, tmp_path: Path, anchor: str, code: str, before: bool = False, indent: int = 8) -> Path:
    """A copy of the migration (same file name, own folder) with PHP code next to a runtime line:
    an interruption or a racing writer at an exact point, made real."""
    text = migration.read_text(encoding="utf-8")
    assert text.count(anchor) == 1, anchor
    pad = " " * indent
    text = text.replace(anchor, f"{code}\n{pad}{anchor}" if before else f"{anchor}\n{pad}{code}")
    target = tmp_path / "patched" / migration.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    php_lint(target)
    return target
