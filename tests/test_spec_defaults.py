"""Issue-16 details: a default its type cannot hold is an input error; files get a plain write's mode.

A missing_column's default must be one its type can hold: the database would refuse it only when up runs
(leaving a ledger row behind), so validate, plan and emit refuse it first (exit 2, the reason on one line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.roundtrip import cli

BAD = [
    ("integer", '"abc"', "must be a whole number, got 'abc'"),
    ("smallint", "40000", "40000 is out of range for a smallint column"),
    ("integer", "true", "must be a whole number"),
    ("decimal(5,2)", "1234.5", "has more whole digits than a decimal(5,2) column holds (3)"),
    ("float", '"x"', "must be a number"),
    ("boolean", '"yes"', "must be true or false"),
    ("string(3)", '"abcd"', "longer than string(3)"),
    ("date", '"2025-13-01"', "is not a date"),
    ("timestamp", '"yesterday"', "is not a timestamp"),
    ("uuid", '"nope"', "is not a uuid"),
    ("json", '"{bad"', "is not a json"),
]
GOOD = [("integer", "5"), ("integer", '"-7"'), ("decimal(5,2)", "123.45"), ("float", "1e3"), ("boolean", "false"),
        ("string(3)", '"abc"'), ("date", '"2025-01-31"'), ("timestamptz", '"2025-01-31 13:45:00+00:00"'),
        ("uuid", '"123e4567-e89b-12d3-a456-426614174000"'), ("json", '"{\\"a\\": 1}"'), ("text", '"any"')]


def spec(tmp_path: Path, type_: str, default: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(f"- kind: missing_column\n  table: t\n  column: c\n  type: {type_!r}\n  default: {default}\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(("type_", "default", "why"), BAD, ids=[f"{t}-{d}" for t, d, _ in BAD])
def test_a_default_the_type_cannot_hold_is_refused(type_: str, default: str, why: str, tmp_path: Path) -> None:
    for command in (["validate"], ["emit", "--target", "laravel"], ["plan", "--target", "alembic"]):
        run = cli(command[0], spec(tmp_path, type_, default), *command[1:])
        assert run.code == 2, (command, run.output)
        assert run.stderr.startswith("error: ") and "issue #1: default: " in run.stderr and why in run.stderr, run.stderr


@pytest.mark.parametrize(("type_", "default"), GOOD, ids=[f"{t}-{d}" for t, d in GOOD])
def test_a_default_the_type_holds_is_fine(type_: str, default: str, tmp_path: Path) -> None:
    run = cli("validate", spec(tmp_path, type_, default))
    assert run.code == 0, run.output


# --------------------------------------------------------------------------- file modes (writer)

def test_written_files_follow_the_umask_and_keep_their_mode_under_force(tmp_path: Path) -> None:
    import os
    import stat

    path = tmp_path / "spec.yaml"
    path.write_text("- {kind: missing_index, table: t, columns: [c]}\n", encoding="utf-8")
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        assert cli("emit", path, "--target", "laravel", "--out", out, "--timestamp", "20250101000000").code == 0
        [migration] = out.iterdir()
        assert stat.S_IMODE(migration.stat().st_mode) == 0o644  # readable by the deploy user
        migration.chmod(0o640)
        run = cli("emit", path, "--target", "laravel", "--out", out, "--timestamp", "20250101000000", "--force")
        assert run.code == 0, run.output
        assert stat.S_IMODE(migration.stat().st_mode) == 0o640  # --force keeps the file's mode
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- emitting again

@pytest.mark.parametrize("target", [["laravel"], ["alembic"], ["sql", "--dialect", "postgresql"]],
                         ids=["laravel", "alembic", "sql"])
def test_emitting_the_same_spec_again_writes_no_second_migration(target: list[str], tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("name: fix_x\nissues:\n  - {kind: missing_index, table: t, columns: [c]}\n", encoding="utf-8")
    out = tmp_path / "out"

    def emit(*extra: str):  # noqa: ANN202
        return cli("emit", path, "--target", target[0], *target[1:], "--out", out, *extra)

    assert emit("--timestamp", "20250101000000").code == 0
    first = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    again = emit("--timestamp", "20250102000000")  # a day later: without the fingerprint, a second migration
    assert again.code == 0 and "already holds this migration" in again.stderr, again.output
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == first
    forced = emit("--timestamp", "20250102000000", "--force")
    assert forced.code == 0, forced.output
    assert sorted(p.name for p in out.iterdir()) == sorted(first), "--force regenerates in place"
    # another fix is another migration
    path.write_text("name: fix_x\nissues:\n  - {kind: missing_index, table: t, columns: [d]}\n", encoding="utf-8")
    assert emit("--timestamp", "20250103000000").code == 0
    assert len(list(out.iterdir())) == 2 * len(first)
