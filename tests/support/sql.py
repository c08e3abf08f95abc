"""The sql target for the tests: emit into a folder of its own, and run a file that must fail."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.dbs import Database, SqlRunError
from support.roundtrip import TS, fixgen_emit, unique_number, write_spec

# --------------------------------------------------------------------------- generating migrations


@dataclass
class Migration:
    up: Path
    down: Path

    @property
    def up_text(self) -> str:
        return self.up.read_text(encoding="utf-8")

    @property
    def down_text(self) -> str:
        return self.down.read_text(encoding="utf-8")


def emit(spec: Path | dict[str, Any] | list[Any], dialect: str, tmp_path: Path, *flags: str, name: str | None = None,
         timestamp: str = TS) -> Migration:
    """`fixgen emit SPEC --target sql --dialect D --out DIR --timestamp TS [flags]`, in-process."""
    if not isinstance(spec, Path):
        spec = write_spec(tmp_path, spec)
    out = tmp_path / f"out_{dialect}_{unique_number()}"
    fixgen_emit(spec, "sql", out, "--dialect", dialect, *(["--name", name] if name else []), *flags,
                timestamp=timestamp)
    ups = sorted(out.glob(f"{timestamp}_*.up.sql"))
    downs = sorted(out.glob(f"{timestamp}_*.down.sql"))
    assert len(ups) == 1 and len(downs) == 1, sorted(p.name for p in out.iterdir())
    assert ups[0].name[: -len(".up.sql")] == downs[0].name[: -len(".down.sql")]
    return Migration(ups[0], downs[0])


def run_fails(db: Database, path: Path) -> str:
    """Run a file that must fail; return the client's whole output (stdout + stderr)."""
    with pytest.raises(SqlRunError) as info:
        db.run_sql_file(path)
    return info.value.output
