"""`fixgen import schemalint`: schemalint's console output (it has no machine format).

schemalint (npm, PostgreSQL) reports each finding on stderr as
`<schema>.<table>.<object>: error <rule> : <message>` and then prints, on stdout, a
"Suggested fix" block with one SQL suggestion per finding that has one (formats from
schemalint 2.3.2's build/engine.js and build/rules/*.js). People pipe `2>&1`, or paste
the two streams one after the other in either order, so both are read: finding lines
first (they carry the rule and message), then the suggestions, which add a finding only
when its finding line is absent. Banner lines are decoration; anything else means the
input is not schemalint's output (or schemalint itself failed) and is refused.

Mapped:
- index-referencing-column -> missing_index on the referencing columns.
- reference-actions -> one foreign_key_actions per constraint (its ON DELETE and ON UPDATE lines merged):
  wanted and current actions from the finding lines; columns, referenced table and the action no line
  mentions (which stays as it is) from the suggested fix; what neither gives is a gap `--db` fills.
  The suggested fix alone (stdout only) gives the wanted actions, and --db the current ones.
Everything else is `unsupported`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fixgen.dialects import ACTIONS, action_of_sql
from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding, dedupe
from fixgen.importers import ImportOptions, ImportResult

SOURCE = "schemalint"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FINDING = re.compile(r"^(?P<ident>\S+): error (?P<rule>\S+) : (?P<message>.*)$")
_NO_INDEX = re.compile(r"^No index found on referencing column\(s\) (?P<columns>.+)$")
_CREATE_INDEX = re.compile(r'^CREATE INDEX ON "(?P<schema>[^"]+)"\."(?P<table>[^"]+)" \((?P<columns>"[^"]+"(?:, "[^"]+")*)\);$')
_ACTION_LINE = re.compile(r'^Reference action ON (?P<what>DELETE|UPDATE) expected to be "(?P<wanted>.*)" but got "(?P<got>.*)"$')
# build/rules/references.js: referenceActions' suggestedMigration
_REPLACE_FK = re.compile(r'^ALTER TABLE "(?P<schema>[^"]+)"\."(?P<table>[^"]+)" DROP CONSTRAINT "(?P<name>[^"]+)", '
                         r'ADD CONSTRAINT "(?P=name)" FOREIGN KEY \((?P<columns>"[^"]+"(?:, "[^"]+")*)\) '
                         r'REFERENCES "(?P<ref_table>[^"]+)"\((?P<ref_columns>"[^"]+"(?:, "[^"]+")*)\) '
                         r'ON UPDATE (?P<on_update>.+?) ON DELETE (?P<on_delete>.+);$')
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
        elif in_suggestions or _CREATE_INDEX.match(line) or _REPLACE_FK.match(line):
            suggestions_at.append((n, line))
        else:
            unknown.append(Problem(f"not schemalint output: {line[:120]!r}", file, n))
    if unknown or not (findings_at or suggestions_at or any(_DECORATION.match(x) for x in lines if x)):
        raise FixgenError(unknown[:10] or [Problem("empty input: expected schemalint's output (npx schemalint 2>&1)", file)])

    result = ImportResult()
    fks: dict[tuple[str, str], _Actions] = {}  # (table, constraint) -> reference-actions read so far
    for n, m in findings_at:
        _read_finding(m, file, n, result, fks)
    for n, line in suggestions_at:
        _read_suggestion(line, file, n, result, fks, have_findings=bool(findings_at))
    for fk in fks.values():
        _finish_actions(fk, file, result)
    result.findings = dedupe(result.findings)
    result.unsupported = list({p.message: p for p in reversed(result.unsupported)}.values())[::-1]
    return result


@dataclass
class _Actions:
    """One constraint's reference-actions findings, merged: schemalint prints one line per action."""

    table: str
    name: str
    line: int
    messages: list[str] = field(default_factory=list)
    wanted: dict[str, str] = field(default_factory=dict)  # on_delete/on_update -> spec action
    current: dict[str, str] = field(default_factory=dict)
    columns: list[str] | None = None
    references: Any = None
    problems: list[str] = field(default_factory=list)
    from_lines: bool = False  # False: known from the suggested fix alone


def _read_finding(m: re.Match[str], file: str, n: int, result: ImportResult, fks: dict[tuple[str, str], _Actions]) -> None:
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
    action_line = _ACTION_LINE.match(message)
    if rule == "reference-actions" and len(parts) == 3 and action_line:
        schema, table, constraint = parts
        if _other_schema(schema, said, file, n, result):
            return
        fk = fks.setdefault((table, constraint), _Actions(table, constraint, n, from_lines=True))
        fk.messages.append(said)
        key = f"on_{action_line['what'].lower()}"
        for side, value in ((fk.wanted, action_line["wanted"]), (fk.current, action_line["got"])):
            action = action_of_sql(value)
            if action is None:
                fk.problems.append(f"ON {action_line['what']} {value}: spec v1 actions are {', '.join(ACTIONS.values())}")
            else:
                side[key] = action
        return
    result.unsupported.append(Problem(f"{said}: fixgen has no fix kind for schemalint rule {rule}", file, n))


def _read_suggestion(line: str, file: str, n: int, result: ImportResult, fks: dict[tuple[str, str], _Actions],
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
        _read_replace_fk(m, file, n, result, fks)
        return
    if not have_findings:  # each suggestion belongs to a finding line; alone, say what it cannot be
        result.unsupported.append(Problem(
            f"schemalint suggested fix {line[:100]!r}: fixgen has no fix kind for it "
            "(pass schemalint's stderr too, 2>&1, to see which rule)", file, n))


def _read_replace_fk(m: re.Match[str], file: str, n: int, result: ImportResult,
                     fks: dict[tuple[str, str], _Actions]) -> None:
    """reference-actions' suggested fix: the key's columns and target, and both actions as they should be
    (the rule's option where it has one, else the key's current action, which therefore stays)."""
    fk = fks.get((m["table"], m["name"]))
    if fk is None:  # stdout alone: which action differs, and from what, only --db can tell
        said = f"reference-actions suggested fix for {m['schema']}.{m['table']}.{m['name']}"
        if _other_schema(m["schema"], said, file, n, result):
            return
        fk = fks[(m["table"], m["name"])] = _Actions(m["table"], m["name"], n)
        fk.messages.append(f"{said}: ON DELETE {m['on_delete']} ON UPDATE {m['on_update']}")
    fk.columns = [c.strip('"') for c in m["columns"].split(", ")]
    ref_cols = [c.strip('"') for c in m["ref_columns"].split(", ")]
    fk.references = f"{m['ref_table']}.{ref_cols[0]}" if len(ref_cols) == 1 else {"table": m["ref_table"], "columns": ref_cols}
    for key in ("on_delete", "on_update"):
        action = action_of_sql(m[key])
        if action is None:
            fk.problems.append(f"{key.upper().replace('_', ' ')} {m[key]}: spec v1 actions are {', '.join(ACTIONS.values())}")
        elif key not in fk.wanted:
            fk.wanted[key] = action
            if fk.from_lines:  # no finding line about this action: the rule left it as it is
                fk.current[key] = action


def _finish_actions(fk: _Actions, file: str, result: ImportResult) -> None:
    """The merged foreign_key_actions finding, with a gap for what only the database can say."""
    said = "; ".join(fk.messages)
    if fk.problems:
        result.unsupported.append(Problem(f"{said}: {'; '.join(dict.fromkeys(fk.problems))}", file, fk.line))
        return
    if len(fk.current) == 2 and fk.wanted == fk.current:  # a lower-case option: schemalint compares spellings
        result.unsupported.append(Problem(f"{said}: the foreign key already has these actions (schemalint compares "
                                          "the spelling: write its onDelete/onUpdate options in capitals)", file, fk.line))
        return
    fields: dict[str, Any] = {"table": fk.table, "name": fk.name}
    if fk.columns is not None:
        fields.update(columns=fk.columns, references=fk.references)
    for key in ("on_delete", "on_update"):
        if key in fk.wanted:
            fields[key] = fk.wanted[key]
        if key in fk.current:
            fields[f"current_{key}"] = fk.current[key]
    lacking = [] if fk.columns is not None else ["its columns and referenced table"]
    unknown = [f"ON {k[3:].upper()}" for k in ("on_delete", "on_update") if k not in fk.current]
    if unknown:
        lacking.append(f"its current {' and '.join(unknown)} action{'s' if len(unknown) > 1 else ''}")
    gaps = {}
    if lacking:
        how = ("pass schemalint's stdout too (its Suggested fix block has them), or give --db URL to read them"
               if fk.from_lines else "pass schemalint's stderr too (2>&1), or give --db URL to read them")
        gaps["constraint"] = f"the spec needs {', and '.join(lacking)}, which schemalint's output does not give: {how}"
    result.findings.append(Finding("foreign_key_actions", fields, SOURCE, said, f"{file}:{fk.line}",
                                   gaps=gaps, hints={"constraint": fk.name}))


def _other_schema(schema: str, said: str, file: str, n: int, result: ImportResult) -> bool:
    """Spec tables carry no schema, and a fix runs in the connection's default one: only public is safe to map."""
    if schema == DEFAULT_SCHEMA:
        return False
    result.unsupported.append(Problem(
        f"{said}: table in schema {schema!r}; fixgen specs name tables of the default schema ({DEFAULT_SCHEMA}) only",
        file, n))
    return True
