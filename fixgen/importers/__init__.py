"""`fixgen import FORMAT`: turn another tool's output into findings.

One module per format, each exposing `read(text, file, options) -> list[Finding]`
(the alembic format reads a MetaData and a database instead of text). Modules are
imported on demand so that `fixgen --help` stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from fixgen.dbschema import Schema
from fixgen.errors import FixgenError
from fixgen.findings import Finding

# format name -> module under fixgen.importers
FORMATS = {
    "sql": "sql",
    "schemalint": "schemalint",
    "schemacrawler": "schemacrawler",
    "active-record-doctor": "active_record_doctor",
    "alembic": "alembic_diff",
}
# formats whose input is not a file
NO_INPUT = {"alembic"}


@dataclass
class ImportOptions:
    dialect: str | None = None  # for sql: postgresql | mysql | sqlite (None: try them in turn)
    db: Schema | None = None  # live schema to fill gaps from (--db URL)
    db_url: str | None = None
    metadata: str | None = None  # for alembic: module:attribute
    hints: dict[str, str] = field(default_factory=dict)  # --ref column=table


def read_findings(fmt: str, text: str | None, file: str, options: ImportOptions) -> list[Finding]:
    if fmt not in FORMATS:
        raise FixgenError(f"unknown import format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    module = importlib.import_module(f"fixgen.importers.{FORMATS[fmt]}")
    return module.read(text, file, options)
