"""`fixgen import schemalint`: schemalint's console output (it has no machine format).

schemalint (npm, PostgreSQL) reports each finding on stderr as
`<schema>.<table>.<object>: error <rule> : <message>` and then prints, on stdout, a
"Suggested fix" block with one SQL suggestion per finding that has one (formats from
schemalint 2.3.2's build/engine.js and build/rules/*.js). People pipe `2>&1`, or paste
the two streams one after the other in either order, so both are read: finding lines
first (they carry the rule and message), then the suggestions, which add a finding only
when its finding line is absent. Banner lines are decoration; anything else means the
input is not schemalint's output (or schemalint itself failed) and is refused.

Mapped: index-referencing-column -> missing_index on the referencing columns.
Everything else is `unsupported`, reference-actions included: it asks to change the
ON DELETE/ON UPDATE of an existing foreign key, which no spec kind does.
"""

from __future__ import annotations

import re

from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding, dedupe
from fixgen.importers import ImportOptions, ImportResult

SOURCE = "schemalint"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FINDING = re.compile(r"^(?P<ident>\S+): error (?P<rule>\S+) : (?P<message>.*)$")
_NO_INDEX = re.compile(r"^No index found on referencing column\(s\) (?P<columns>.+)$")
_CREATE_INDEX = re.compile(r'^CREATE INDEX ON "(?P<schema>[^"]+)"\."(?P<table>[^"]+)" \((?P<columns>"[^"]+"(?:, "[^"]+")*)\);$')
_REPLACE_FK = re.compile(r'^ALTER TABLE "(?P<schema>[^"]+)"\."(?P<table>[^"]+)" DROP CONSTRAINT "(?P<name>[^"]+)", '
                         r'ADD CONSTRAINT "(?P=name)" FOREIGN KEY ')
_DECORATION = re.compile(
    r"^(schema-lint|Suggested fix|No issues detected|Connecting to .* on .*"
    r"|\S+: warning : No tables or views were found in the schema\. Skipping rules processing\."
    r"|npm (WARN|warn|notice)\b.*|> .*)$")
DEFAULT_SCHEMA = "public"


def read(text: str | None, file: str, options: ImportOptions) -> ImportResult:
    if text is None:
        raise FixgenError("import schemalint needs schemalint's output")
    lines = [_ANSI.sub("", raw).rstrip() for raw in text.replace("\r\n", "\n").split("\n")]
    findings_at: list[tuple[int, re.Match[str]]] = []
    suggestions_at: list[tuple[int, str]] = []
    unknown: list[Problem] = []
    in_suggestions = False
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        m = _FINDING.match(line)
        if m:
            findings_at.append((n, m))
        elif line == "Suggested fix":
            in_suggestions = True
        elif _DECORATION.match(line):
            continue
        elif in_suggestions or _CREATE_INDEX.match(line):
            suggestions_at.append((n, line))
        else:
            unknown.append(Problem(f"not schemalint output: {line[:120]!r}", file, n))
    if unknown or not (findings_at or suggestions_at or any(_DECORATION.match(x) for x in lines if x)):
        raise FixgenError(unknown[:10] or [Problem("empty input: expected schemalint's output (npx schemalint 2>&1)", file)])

    result = ImportResult()
    reported_fks: set[tuple[str, str]] = set()
    for n, m in findings_at:
        _read_finding(m, file, n, result, reported_fks)
    for n, line in suggestions_at:
        _read_suggestion(line, file, n, result, reported_fks, have_findings=bool(findings_at))
    result.findings = dedupe(result.findings)
    result.unsupported = list({p.message: p for p in reversed(result.unsupported)}.values())[::-1]
    return result


def _read_finding(m: re.Match[str], file: str, n: int, result: ImportResult, reported_fks: set[tuple[str, str]]) -> None:
    ident, rule, message = m["ident"], m["rule"], m["message"]
    parts = ident.split(".", 2)
    said = f"{rule} on {ident}: {message}"
    if rule == "index-referencing-column" and len(parts) == 3 and _NO_INDEX.match(message):
        schema, table, _constraint = parts
        columns = _NO_INDEX.match(message)["columns"].split(", ")  # type: ignore[index]
        if _other_schema(schema, said, file, n, result):
            return
        result.findings.append(Finding("missing_index", {"table": table, "columns": columns}, SOURCE, said, f"{file}:{n}"))
        return
    if rule == "reference-actions" and len(parts) == 3:
        _, table, constraint = parts
        reported_fks.add((table, constraint))
        result.unsupported.append(Problem(
            f"{said}: changing the actions of existing foreign key {constraint} on {table} "
            "is not a fix kind fixgen has yet", file, n))
        return
    result.unsupported.append(Problem(f"{said}: fixgen has no fix kind for schemalint rule {rule}", file, n))


def _read_suggestion(line: str, file: str, n: int, result: ImportResult, reported_fks: set[tuple[str, str]],
                     have_findings: bool) -> None:
    m = _CREATE_INDEX.match(line)
    if m:
        columns = [c.strip('"') for c in m["columns"].split(", ")]
        said = f"suggested fix: {line}"
        if not _other_schema(m["schema"], said, file, n, result):
            result.findings.append(Finding("missing_index", {"table": m["table"], "columns": columns}, SOURCE,
                                           f"index-referencing-column on {m['schema']}.{m['table']}: "
                                           f"No index found on referencing column(s) {', '.join(columns)}", f"{file}:{n}"))
        return
    m = _REPLACE_FK.match(line)
    if m:
        if (m["table"], m["name"]) not in reported_fks:
            result.unsupported.append(Problem(
                f"reference-actions suggested fix (drop and re-add {m['name']} with other actions): changing the actions "
                f"of existing foreign key {m['name']} on {m['table']} is not a fix kind fixgen has yet", file, n))
        return
    if not have_findings:  # each suggestion belongs to a finding line; alone, say what it cannot be
        result.unsupported.append(Problem(
            f"schemalint suggested fix {line[:100]!r}: fixgen has no fix kind for it "
            "(pass schemalint's stderr too, 2>&1, to see which rule)", file, n))


def _other_schema(schema: str, said: str, file: str, n: int, result: ImportResult) -> bool:
    """Spec tables carry no schema, and a fix runs in the connection's default one: only public is safe to map."""
    if schema == DEFAULT_SCHEMA:
        return False
    result.unsupported.append(Problem(
        f"{said}: table in schema {schema!r}; fixgen specs name tables of the default schema ({DEFAULT_SCHEMA}) only",
        file, n))
    return True
