"""`fixgen import schemacrawler`: SchemaCrawler's lint report as JSON.

Shape (SchemaCrawler 16+, `--command=lint --output-format=json`; taken from the
project's own test fixtures, schemacrawler-lint/src/test/resources/lint_text_output/lint.json
(16.17.1) and commandlineLintReportAsJson.txt (16.2.4), and from Lint.java and
formatter/BaseLintReportJacksonGenerator.java: kebab-case keys, sorted, and `value`
is `Lint.getValueAsString()`, i.e. String.valueOf of the linted object):

    {"lints": [{"lint-id", "linter-id", "linter-instance-id", "message", "object-key",
                "object-name", "object-type", "severity", "value"}, ...]}

`object-name` is the table's full name (`public.posts`, `PUBLIC.BOOKS."Global Counts"`,
`tags` on SQLite). For LinterForeignKeyWithNoIndexes the value is the foreign key and
for LinterRedundantIndexes the index: their full name (table full name + "." + name)
since 16.x, the bare name before. Neither carries columns, so those findings name their
gap ("constraint" / "index") and `--db` fills it. Other linters are `unsupported`.
`object-key` (newer releases, a NamedObjectKey) is not read: no sample of its JSON was found.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding, dedupe
from fixgen.importers import ImportOptions, ImportResult

SOURCE = "schemacrawler"
FK_WITH_NO_INDEX = "schemacrawler.tools.linter.LinterForeignKeyWithNoIndexes"
REDUNDANT_INDEX = "schemacrawler.tools.linter.LinterRedundantIndexes"
_LINTER_KEY = re.compile(r'(?<!\\)"linter-id"\s*:')
_PART = re.compile(r'"((?:[^"]|"")*)"|([^."]+)')


def read(text: str | None, file: str, options: ImportOptions) -> ImportResult:
    if text is None:
        raise FixgenError("import schemacrawler needs SchemaCrawler's lint report")
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise FixgenError([Problem(f"not JSON, so not a SchemaCrawler lint report: {e}", file,
                                   getattr(e, "lineno", None))]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("lints"), list):
        raise FixgenError([Problem('not a SchemaCrawler lint report: expected an object with a "lints" list '
                                   "(schemacrawler --command=lint --output-format=json)", file)])
    lints: list[Any] = doc["lints"]
    starts = [text.count("\n", 0, m.start()) + 1 for m in _LINTER_KEY.finditer(text)]
    result = ImportResult()
    for i, lint in enumerate(lints):
        line = starts[i] if len(starts) == len(lints) else None
        if not isinstance(lint, dict) or not isinstance(lint.get("linter-id"), str):
            raise FixgenError([Problem(f'lint #{i + 1} is not a SchemaCrawler lint (no "linter-id")', file, line)])
        _read_lint(lint, file, line, result)
    result.findings = dedupe(result.findings)
    return result


def _read_lint(lint: dict[str, Any], file: str, line: int | None, result: ImportResult) -> None:
    linter = lint["linter-id"]
    message = str(lint.get("message") or "")
    object_name = str(lint.get("object-name") or "")
    value = str(lint.get("value") or "")
    said = f"{message} on {object_name}" + (f": {value}" if value else "")
    origin = f"{file}:{line}" if line else file
    if linter in (FK_WITH_NO_INDEX, REDUNDANT_INDEX) and lint.get("object-type") == "table" and object_name and value:
        table = _name_parts(object_name)[-1]
        name = value[len(object_name) + 1:] if value.startswith(object_name + ".") else _name_parts(value)[-1]
        name = _name_parts(name)[-1] if name.startswith('"') else name
        if linter == FK_WITH_NO_INDEX:
            result.findings.append(Finding(
                "missing_index", {"table": table, "columns": None}, SOURCE, said, origin,
                gaps={"constraint": f"SchemaCrawler names foreign key {name} but not its columns: "
                                    "give --db URL to read them from the database"},
                hints={"constraint": name}))
        else:
            result.findings.append(Finding(
                "redundant_index", {"table": table, "name": name, "columns": None}, SOURCE, said, origin,
                gaps={"index": f"SchemaCrawler names index {name} but not its columns: "
                               "give --db URL to read them from the database"},
                hints={"index": name}))
        return
    short = linter.rsplit(".", 1)[-1]
    result.unsupported.append(Problem(f"{short}: {said}: fixgen has no fix kind for this SchemaCrawler linter", file, line))


def _name_parts(full: str) -> list[str]:
    """`PUBLIC.BOOKS."Global Counts"` -> ['PUBLIC', 'BOOKS', 'Global Counts'] (SchemaCrawler quotes names that need it)."""
    parts = [m[1].replace('""', '"') if m[1] is not None else m[2] for m in _PART.finditer(full)]
    return parts or [full]
