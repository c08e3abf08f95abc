"""`fixgen import FORMAT`: turn another tool's output into findings.

One module per format, each exposing `read(text, file, options) -> ImportResult`
(the alembic format reads a MetaData and a database instead of text). Input that is
not the format at all raises FixgenError; an item that is the format but that no
spec kind can express goes to `unsupported`, with its line: the CLI refuses the
whole import over it unless --skip-unsupported turns those into warnings. Modules are
imported on demand so that `fixgen --help` stays fast.

Every finding is checked against fixgen's identifier policy here, whatever the format: one
that names something fixgen refuses (a quote, a line break, `?>`...) goes to `unsupported`
too, its names shown escaped, so that no spec is ever written with it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from fixgen.dbschema import Schema
from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding, name_problems

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


@dataclass
class ImportResult:
    findings: list[Finding] = field(default_factory=list)
    unsupported: list[Problem] = field(default_factory=list)  # "file:line: what and why not"


def read_findings(fmt: str, text: str | None, file: str, options: ImportOptions) -> ImportResult:
    if fmt not in FORMATS:
        raise FixgenError(f"unknown import format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    module = importlib.import_module(f"fixgen.importers.{FORMATS[fmt]}")
    result = module.read(text, file, options)
    return refuse_bad_names(result)


def refuse_bad_names(result: ImportResult) -> ImportResult:
    """Findings that name what fixgen's identifier policy refuses, moved to `unsupported`."""
    kept: list[Finding] = []
    for f in result.findings:
        problems = name_problems(f)
        if not problems:
            kept.append(f)
            continue
        file, line = _where(f.origin)
        result.unsupported.append(Problem(f"{f.kind}: fixgen cannot use {'this name' if len(problems) == 1 else 'these names'}: "
                                          f"{'; '.join(problems)}", file, line))
    result.findings = kept
    return result


def _where(origin: str | None) -> tuple[str | None, int | None]:
    """A finding's origin ("file:line", or "file diff #3") as a Problem's file and line."""
    if not origin:
        return None, None
    file, sep, line = origin.rpartition(":")
    if sep and line.isdigit():
        return file, int(line)
    return origin, None
