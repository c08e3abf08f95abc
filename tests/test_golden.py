"""Golden files: every output of the seed spec, byte for byte.

They catch unintended changes; what the SQL does is tested on real databases
elsewhere. After an intended change, rewrite them and review the diff:

    python -m pytest tests/test_golden.py --update-golden -rs
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
import yaml
from support.roundtrip import TS, cli

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
SEED = HERE.parent / "examples" / "seed-fixes.yaml"
# SQLite SQL can only guard indexes, so it gets the index-only part of the seed
INDEX_KINDS = ("missing_index", "redundant_index")


def _cli(*args: str) -> tuple[str, str]:
    r = cli(*args)
    assert r.code == 0, f"fixgen {' '.join(args)}: exit {r.code}\n{r.stderr}\n{r.exception!r}"
    return r.stdout, r.stderr


def _rel(path: Path) -> str:
    return str(path.relative_to(HERE.parent))


def _compare(actual: dict[str, bytes], golden_dir: Path, update: bool) -> None:
    """Compare file name -> content with golden_dir (its whole listing), or rewrite golden_dir."""
    if update:
        if golden_dir.exists():
            shutil.rmtree(golden_dir)
        golden_dir.mkdir(parents=True)
        for name, data in actual.items():
            (golden_dir / name).write_bytes(data)
        pytest.skip(f"golden files updated: {_rel(golden_dir)}/{{{', '.join(sorted(actual))}}}")
    hint = "(if the change is intended: python -m pytest tests/test_golden.py --update-golden)"
    if not golden_dir.is_dir():
        pytest.fail(f"no golden files in {_rel(golden_dir)} {hint}")
    expected_names = sorted(p.name for p in golden_dir.iterdir())
    assert sorted(actual) == expected_names, f"different file names in {_rel(golden_dir)} {hint}"
    for name, data in actual.items():
        golden = (golden_dir / name).read_bytes()
        if data != golden:
            diff = difflib.unified_diff(golden.decode("utf-8", "replace").splitlines(keepends=True),
                                        data.decode("utf-8", "replace").splitlines(keepends=True),
                                        f"golden/{name}", f"actual/{name}", n=2)
            shown = "".join(list(diff)[:80])
            pytest.fail(f"{_rel(golden_dir / name)} differs {hint}\n{shown}", pytrace=False)


def _index_only_seed(directory: Path) -> Path:
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    seed["issues"] = [i for i in seed["issues"] if i["kind"] in INDEX_KINDS]
    assert seed["issues"], "the seed spec lost its index issues"
    path = directory / "seed-fixes.index-only.yaml"
    path.write_text(yaml.safe_dump(seed, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("dialect", "mode"), [("postgresql", "online"), ("postgresql", "plain"),
                                               ("mysql", "online"), ("mysql", "plain"), ("sqlite", "online")])
def test_sql(dialect: str, mode: str, tmp_path: Path, update_golden: bool) -> None:
    """Online is the default; SQLite has no online mode (its output is the same either way)."""
    spec = _index_only_seed(tmp_path) if dialect == "sqlite" else SEED
    out = tmp_path / "out"
    flags = ["--no-online"] if mode == "plain" else []
    _cli("emit", str(spec), "--target", "sql", "--dialect", dialect, "--timestamp", TS, "--out", str(out), *flags)
    actual = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert len(actual) == 2, sorted(actual)
    _compare(actual, GOLDEN / "sql" / (dialect if mode == "online" else f"{dialect}-plain"), update_golden)


@pytest.mark.parametrize("mode", ["online", "plain"])
def test_alembic(mode: str, tmp_path: Path, update_golden: bool) -> None:
    """golden/alembic (online, the default) is also checked by tests/test_alembic_target.py."""
    out = tmp_path / "out"
    flags = ["--no-online"] if mode == "plain" else []
    _cli("emit", str(SEED), "--target", "alembic", "--timestamp", TS, "--out", str(out), *flags)
    actual = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert len(actual) == 1, sorted(actual)
    _compare(actual, GOLDEN / ("alembic" if mode == "online" else "alembic-plain"), update_golden)


def test_plan(update_golden: bool) -> None:
    stdout, _ = _cli("plan", str(SEED))
    _compare({"seed-fixes.txt": stdout.encode("utf-8")}, GOLDEN / "plan", update_golden)


def test_schema(update_golden: bool) -> None:
    stdout, _ = _cli("schema")
    _compare({"spec-v1.schema.json": stdout.encode("utf-8")}, GOLDEN / "schema", update_golden)
