"""The wheel works on its own: built from a copy of the source, installed into a fresh
venv, run from a directory that is not the repository.

This proves the Jinja2 templates ship inside the wheel as package data: with them
missing, `fixgen emit` cannot render anything. One wheel and one venv serve the whole
session (about 20 s, most of it pip resolving dependencies); deselect with -m "not wheel".
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixgen import __version__
from fixgen.cli import app

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed-fixes.yaml"
TS = "20251119120000"
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""
# what a build must not see: other sessions' state, and everything not part of the package
IGNORE = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                                ".pytest_cache", ".ruff_cache", ".benchmarks", "tests", "bench")


def _env() -> dict[str, str]:
    """The caller's environment (pip's index settings included) minus what would leak the repo in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def _run(cmd: list[str | Path], what: str, timeout: int = 600, **kwargs) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, env=_env(), **kwargs)
    if p.returncode != 0:
        pytest.fail(f"{what} failed (exit {p.returncode}): {' '.join(map(str, cmd))}\n"
                    f"--- stdout (tail)\n{p.stdout[-3000:]}\n--- stderr (tail)\n{p.stderr[-3000:]}", pytrace=False)
    return p


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy, so the build neither writes build/ or *.egg-info into the repo nor races another build."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    shutil.copytree(REPO, src, ignore=IGNORE)
    dist = root / "dist"
    if importlib.util.find_spec("build") is not None:
        cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", dist, src]
    else:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", dist, src]
    _run(cmd, "building the wheel")
    wheels = sorted(dist.glob("fixgen-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel and its dependencies; no access to the repository's fixgen."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    python = root / BIN / f"python{EXE}"
    # Fast path: a venv without pip, filled by this interpreter's pip (pip >= 22.3 has --python).
    _run([sys.executable, "-m", "venv", "--without-pip", root], "creating the venv")
    p = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
                       capture_output=True, text=True, timeout=600, env=_env())
    if p.returncode != 0:
        if "--python" not in p.stderr:
            pytest.fail(f"installing the wheel failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}", pytrace=False)
        shutil.rmtree(root)  # an older pip: let the venv bring its own
        _run([sys.executable, "-m", "venv", root], "creating the venv with pip")
        _run([python, "-m", "pip", "install", "-q", wheel], "installing the wheel")
    return root


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An unrelated directory holding only the spec, at the same relative path as in the repo."""
    (tmp_path / "examples").mkdir()
    shutil.copyfile(SEED, tmp_path / "examples" / "seed-fixes.yaml")
    return tmp_path


def _fixgen(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([venv / BIN / f"fixgen{EXE}", *args], f"fixgen {' '.join(args)}", timeout=120, cwd=cwd)


def test_wheel_contains_every_template(wheel: Path) -> None:
    templates = sorted(p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*.j2"))
    assert "sql/migration.sql.j2" in templates
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [t for t in templates if f"fixgen/templates/{t}" not in names]
    assert not missing, f"templates missing from {wheel.name}: {missing}"
    assert not any(n.startswith(("tests/", "templates/", "examples/")) for n in names), sorted(names)


def test_installed_fixgen_comes_from_the_venv(venv: Path, workdir: Path) -> None:
    code = ("import fixgen, importlib.resources as r; print(fixgen.__file__); "
            "print(r.files('fixgen.templates').joinpath('sql', 'migration.sql.j2').is_file())")
    where, has_template = _run([venv / BIN / f"python{EXE}", "-c", code], "importing fixgen",
                               cwd=workdir).stdout.splitlines()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where
    assert has_template == "True"
    assert _fixgen(venv, "--version", cwd=workdir).stdout == f"fixgen {__version__}\n"


def test_emit_sql_from_the_wheel(venv: Path, workdir: Path) -> None:
    p = _fixgen(venv, "emit", "examples/seed-fixes.yaml", "--target", "sql", "--dialect", "postgresql", cwd=workdir)
    out = p.stdout
    # rendered by the shipped template ...
    assert "-- fixgen migration " in out and "_fix_migration_inconsistencies (up), dialect postgresql" in out
    assert f"-- Generated by fixgen {__version__} from seed-fixes.yaml. Safe to run more than once." in out
    # ... and guarded: every change behind a catalog check, recorded in the ledger
    assert 'CREATE TABLE IF NOT EXISTS "fixgen_ledger"' in out
    assert "DO $fixgen$" in out
    # online by default: a concurrent build behind a psql \if on a catalog check, with bounded lock waits
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_agents_created_by_user_id" ON "agents" ("created_by_user_id");' in out
    assert "CREATE OR REPLACE FUNCTION pg_temp.fixgen_index_equiv" in out  # the guard's catalog lookup
    assert "WHERE NOT pg_temp.fixgen_index_equiv('agents', ARRAY['created_by_user_id']" in out
    assert "\\if :fixgen_do" in out and "SET lock_timeout = '500ms';" in out
    assert sorted(p.name for p in workdir.iterdir()) == ["examples"], "emit without --out wrote files"


def test_wheel_output_matches_the_source_tree(venv: Path, workdir: Path) -> None:
    """Same bytes as the repository's fixgen: the wheel ships the current templates, not stale ones."""
    args = ["emit", "examples/seed-fixes.yaml", "--target", "sql", "--dialect", "postgresql", "--timestamp", TS]
    installed = _fixgen(venv, *args, cwd=workdir).stdout
    here = CliRunner().invoke(app, [*args[:1], str(SEED), *args[2:]])
    assert here.exit_code == 0, here.output
    assert installed == here.stdout


@pytest.mark.skipif(not (REPO / "templates" / "laravel").is_dir(), reason="no laravel templates in this tree")
def test_emit_laravel_from_the_wheel(venv: Path, workdir: Path) -> None:
    p = _fixgen(venv, "emit", "examples/seed-fixes.yaml", "--target", "laravel", "--timestamp", TS, cwd=workdir)
    assert p.stdout.startswith("<?php\n")
    assert "2025_11_19_120000_fix_migration_inconsistencies" in p.stdout


def test_bad_input_from_the_wheel(venv: Path, workdir: Path) -> None:
    (workdir / "bad.yaml").write_text("- kind: missing_index\n  table: a\n  colums: [x]\n", encoding="utf-8")
    p = subprocess.run([str(venv / BIN / f"fixgen{EXE}"), "validate", "bad.yaml"], capture_output=True, text=True,
                       timeout=120, env=_env(), cwd=workdir)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: bad.yaml:3: issue #1: unknown key 'colums'"), p.stderr
    assert "Traceback" not in p.stderr
