"""Indexes from the workload: read query statistics, derive candidates, verify them before proposing.

One entry point per database, `workload_findings(url, schema, options) -> list[Finding]`, picked by the
snapshot's dialect: `fixgen.workload.postgresql` (pg_stat_statements + hypopg) and
`fixgen.workload.mysql` (performance_schema's statement digests + EXPLAIN). Each reads its statistics,
turns them into `Query` rows, asks `candidates.candidates` for the indexes they need, verifies them and
keeps what `proposals.choose` keeps, as `proposals.finding_of` findings (`missing_index`). Problems a
user can fix (an extension missing) are `FixgenError`s; lesser ones go to `schema.warnings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from fixgen.dbschema import Schema
from fixgen.errors import FixgenError
from fixgen.findings import Finding
from fixgen.workload.candidates import DEFAULT_MIN_ROWS
from fixgen.workload.proposals import DEFAULT_MIN_GAIN

DEFAULT_TOP = 50

# dialect -> the module that reads its workload (each has `workload_findings(url, schema, options)`)
READERS = {"postgresql": "fixgen.workload.postgresql", "mysql": "fixgen.workload.mysql"}


@dataclass(frozen=True)
class WorkloadOptions:
    top: int = DEFAULT_TOP  # statements read, by total time
    min_gain: float = DEFAULT_MIN_GAIN  # fraction of the served queries' summed cost an index must remove
    min_rows: int = DEFAULT_MIN_ROWS  # tables with fewer (estimated) rows get no index


def check_dialect(dialect: str) -> str:
    """The reader module of a dialect, or the error that says there is none (before anything connects)."""
    module = READERS.get(dialect)
    if module is None:
        raise FixgenError(f"detect --workload reads PostgreSQL's pg_stat_statements or MySQL/MariaDB's statement "
                          f"digests; a {dialect} database keeps no workload statistics (leave --workload out)")
    return module


def workload_findings(url: str, schema: Schema, options: WorkloadOptions | None = None) -> list[Finding]:
    """The `missing_index` findings the database's own workload statistics prove, verified by the database."""
    module = check_dialect(schema.dialect)
    try:
        reader = import_module(module)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        raise FixgenError(f"detect --workload: this fixgen has no workload reader for {schema.dialect} yet") from None
    return reader.workload_findings(url, schema, options or WorkloadOptions())
