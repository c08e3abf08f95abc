"""Command line. The only module that knows about exit codes and the console.

Exit codes (sqlfluff-style): 0 success, 2 bad input or usage (one line per problem,
no traceback, no file written), 1 anything unexpected (a bug: traceback shown).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from fixgen import __version__
from fixgen.errors import FixgenError, Problem

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn a list of detected schema issues into a guarded, idempotent fix migration with exact rollback.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

SpecArg = Annotated[str, typer.Argument(help="Spec file (YAML or JSON), or - for standard input.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fixgen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option(  # noqa: UP045 - typer needs Optional here
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
) -> None:
    """fixgen: guarded fix migrations for Laravel, Alembic and raw SQL."""


def _read_input(path: str) -> tuple[bytes, str]:
    """The bytes of FILE or of standard input (-), and the name to report them by."""
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    p = Path(path)
    if not p.is_file():
        raise FixgenError([Problem(f"no such file: {path}")])
    return p.read_bytes(), path


def _read_spec(path: str):  # -> Spec
    from fixgen.spec import load_spec

    return load_spec(*_read_input(path))


def _fail(err: FixgenError) -> None:
    for problem in err.problems:
        typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(2)


def _timestamp(value: str | None) -> datetime:
    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    if not re.fullmatch(r"[0-9]{14}", value):
        raise FixgenError(f"--timestamp must be YYYYMMDDHHMMSS, got {value!r}")
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise FixgenError(f"--timestamp {value!r} is not a valid date and time (YYYYMMDDHHMMSS)") from None


_UNITS = {"ms": 1, "s": 1000, "min": 60_000}


def _milliseconds(option: str, value: str, zero: bool) -> int:
    m = re.fullmatch(r"\s*([0-9]+)\s*(ms|s|min)?\s*", value)
    if not m or (m.group(2) is None and int(m.group(1)) != 0):
        # a bare number is milliseconds to PostgreSQL and seconds to MySQL: make the user say which
        raise FixgenError(f"{option} must be a duration with its unit, like 500ms, 5s or 1min, got {value!r}")
    ms = int(m.group(1)) * _UNITS[m.group(2) or "ms"]
    if ms == 0 and not zero:
        raise FixgenError(f"{option} must be more than 0 (0 would wait for a lock forever)")
    if ms > 24 * 3600 * 1000:
        raise FixgenError(f"{option} {value!r} is more than a day")
    return ms


def _fraction(option: str, value: str) -> float:
    """`50%` or `0.5` -> 0.5 (more than 0, at most 100 %)."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*", value)
    number = float(m.group(1)) if m else -1.0
    share = number / 100 if m and m.group(2) else number
    if not m or not 0 < share <= 1:
        raise FixgenError(f"{option} must be a percentage like 50% (or a fraction like 0.5), more than 0 and at "
                          f"most 100%, got {value!r}")
    return share


@app.command()
def emit(
    spec: SpecArg,
    target: Annotated[str, typer.Option("--target", "-t", help="sql, laravel or alembic (docs/targets.md).")] = "sql",
    dialect: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--dialect", "-d", help="postgresql|mysql|sqlite (aliases postgres, pg, mariadb); for --target sql.")] = None,
    out: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--out", "-o", help="Directory to write into; without it, everything goes to stdout.")] = None,
    name: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--name", help="Migration name (letters, digits, _); default: the spec's name or fix_schema.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    timestamp: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--timestamp", help="YYYYMMDDHHMMSS to use instead of now (reproducible output).")] = None,
    rev_id: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--rev-id", help="alembic: the new revision's id (default: derived from timestamp and name).")] = None,
    down_revision: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--down-revision", help="alembic: the revision to follow (default: the single head in --out).")] = None,
    online: Annotated[bool, typer.Option(
        "--online/--no-online",
        help="PostgreSQL/MySQL: build indexes and add foreign keys without blocking writes (default); "
             "--no-online: plain DDL (PostgreSQL: one transaction).")] = True,
    lock_timeout: Annotated[str, typer.Option(
        "--lock-timeout", help="online: each try at a lock that writers conflict with waits at most this long "
                               "(writers never queue behind it longer; 500ms, 5s).")] = "500ms",
    lock_wait: Annotated[str, typer.Option(
        "--lock-wait", help="online: keep trying such a lock, with backoff, for at most this long in all "
                            "(0: try once).")] = "2min",
    statement_timeout: Annotated[str, typer.Option(
        "--statement-timeout",
        help="online, PostgreSQL: limit for statements that hold write-blocking locks (0: none).")] = "30s",
    run_lock_timeout: Annotated[str, typer.Option(
        "--run-lock-timeout",
        help="wait at most this long for another run of the same migration to finish (one run at a time).")] = "10min",
) -> None:
    """Write the fix migration for SPEC."""
    from dataclasses import replace

    from fixgen.targets import fingerprint, get_target, plan_for, resolve_dialect
    from fixgen.targets.context import Context
    from fixgen.versions import read_revision

    try:
        t = get_target(target)
        d = resolve_dialect(t, dialect)
        if name is not None and not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise FixgenError(f"--name must use letters, digits and underscores only, got {name!r}")
        if name is not None and len(name) > 100:
            raise FixgenError(f"--name is {len(name)} characters long; at most 100 (it is part of file names)")
        when = _timestamp(timestamp)
        s = _read_spec(spec)
        from fixgen.writer import find_fingerprint, free_timestamp, write_files

        migration = name or s.name or "fix_schema"
        ctx = Context(created=when, name=migration, source=Path(s.file or "-").name, version=__version__,
                      online=online, lock_timeout_ms=_milliseconds("--lock-timeout", lock_timeout, zero=False),
                      lock_wait_ms=_milliseconds("--lock-wait", lock_wait, zero=True),
                      statement_timeout_ms=_milliseconds("--statement-timeout", statement_timeout, zero=True),
                      run_lock_timeout_ms=_milliseconds("--run-lock-timeout", run_lock_timeout, zero=False))
        if t.name != "alembic" and (rev_id or down_revision):
            raise FixgenError("--rev-id and --down-revision are for --target alembic")
        plan = plan_for(s, t, d, migration)
        ctx = replace(ctx, fingerprint=fingerprint(plan, t, d, ctx))
        mine = find_fingerprint(out, ctx.fingerprint)
        revision, follows = read_revision(mine) if mine is not None and t.name == "alembic" else (None, None)
        if (rev_id and rev_id != revision) or (down_revision and down_revision != follows):
            mine = None  # ids the user gives that differ make another revision
        if mine is not None and not force:  # the same fixes, target and options: a second copy would run twice
            typer.echo(f"{mine} already holds this migration (the same fixes, target and options): nothing "
                       "written; --force regenerates it in place", err=True)
            return
        if mine is not None:  # regenerated in place: the same file name, and for Alembic the same ids
            stamp = len(when.strftime(t.stamp_format))
            if t.name == "alembic":
                rev_id, down_revision = rev_id or revision, down_revision or follows
            else:
                ctx = replace(ctx, created=_stamp_of(mine.name[:stamp], t.stamp_format))
        else:
            own = (f"{migration}.php", f"{migration}.up.sql", f"{migration}.down.sql", f"{migration}.py")
            ctx = replace(ctx, created=free_timestamp(out, when, t.stamp_format, own))
        if t.name == "alembic":
            ctx = _alembic_context(ctx, out, rev_id, down_revision)
        output = t.render(plan, d, ctx)
        if out is None:
            several = len(output.files) > 1
            for fname, text in output.files.items():
                if several:
                    typer.echo(f"-- ===== {fname} =====")
                typer.echo(text, nl=False)
            return

        for path in write_files(out, output.files, force=force):
            typer.echo(f"wrote {path}", err=True)
        if t.name == "alembic":  # autogenerate would drop the ledger: say how to keep it out
            from fixgen.targets.alembic.autogenerate import HINT

            typer.echo(HINT, err=True)
    except FixgenError as e:
        _fail(e)


def _stamp_of(text: str, stamp_format: str) -> datetime:
    try:
        return datetime.strptime(text, stamp_format).replace(tzinfo=timezone.utc)
    except ValueError:
        raise FixgenError(f"cannot read the time stamp of {text!r} to regenerate it in place") from None


def _alembic_context(ctx, out: Path | None, rev_id: str | None, down_revision: str | None):  # -> Context
    from dataclasses import replace

    from fixgen.targets.alembic.render import default_revision_id
    from fixgen.versions import read_revisions, single_head

    revision = rev_id or default_revision_id(ctx)
    _check_revision_id("--rev-id", revision)
    if down_revision is None:
        if out is not None:
            down_revision = single_head(out, revision)
    else:
        _check_revision_id("--down-revision", down_revision)
        if down_revision == revision:
            raise FixgenError(f"--down-revision {down_revision!r} is this revision's own id")
        if out is not None and down_revision not in (read_revisions(out) if out.is_dir() else {}):
            raise FixgenError(f"--down-revision {down_revision!r}: no revision file in {out} defines it "
                              "(leave --out out to write the revision to stdout)")
    return replace(ctx, revision=revision, down_revision=down_revision)


# Alembic keeps revision ids in alembic_version.version_num, a VARCHAR(32), and refuses '@', '-' and '+'
_REVISION_ID = re.compile(r"[A-Za-z0-9_]{1,32}")


def _check_revision_id(option: str, value: str) -> None:
    if not _REVISION_ID.fullmatch(value):
        raise FixgenError(f"{option} must be 1 to 32 ASCII letters, digits and underscores "
                          f"(what alembic_version can hold), got {value!r}")


@app.command()
def validate(
    spec: SpecArg,
    db: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--db", metavar="URL",
        help="Also run the migration's preflight, read-only, against this database (exit 1 if it would refuse).")] = None,
    target: Annotated[str, typer.Option("--target", "-t", help="Whose object names to check (with --db).")] = "sql",
    online: Annotated[bool, typer.Option("--online/--no-online", help="The mode the migration will run in.")] = True,
) -> None:
    """Check SPEC and report every problem; exit 0 if it is valid (with --db: and the database can take it)."""
    from fixgen.dialects import PORTABLE
    from fixgen.naming import CONVENTIONAL
    from fixgen.planner import build_plan

    try:
        s = _read_spec(spec)
        build_plan(s, CONVENTIONAL, PORTABLE)
        if db is None:
            typer.echo(f"{s.file}: {len(s.issues)} issue(s), valid")
            return
        from fixgen.dbcheck import problems_in
        from fixgen.dbschema import dialect_of
        from fixgen.findings import printable
        from fixgen.targets import get_target, plan_for, resolve_dialect

        t = get_target(target)
        d = resolve_dialect(t, dialect_of(db) if t.needs_dialect else None)
        problems = problems_in(plan_for(s, t, d, None), db, online)
    except FixgenError as e:
        _fail(e)
    if problems:
        typer.echo(f"{s.file}: the database cannot take these fixes; a migration would change nothing and say:",
                   err=True)
        for problem in problems:
            typer.echo(f"  - {printable(problem)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{s.file}: {len(s.issues)} issue(s), valid, and the database can take them")


@app.command()
def plan(
    spec: SpecArg,
    target: Annotated[str, typer.Option("--target", "-t")] = "sql",
    dialect: Annotated[Optional[str], typer.Option("--dialect", "-d")] = None,  # noqa: UP045
) -> None:
    """Show what up and down will do, in order."""
    from fixgen.findings import printable
    from fixgen.targets import get_target, plan_for, resolve_dialect

    try:
        t = get_target(target)
        d = resolve_dialect(t, dialect) if (dialect or not t.needs_dialect) else resolve_dialect(t, "postgresql")
        p = plan_for(_read_spec(spec), t, d, None)
    except FixgenError as e:
        _fail(e)
    typer.echo(f"plan {p.name}: {len(p.ops)} step(s); each runs only if the schema needs it")
    typer.echo("up:")
    for i, op in enumerate(p.ops, 1):
        refs = ", ".join(f"#{m.index + 1}" + (f" {printable(m.id)}" if m.id else "") for m in op.issues)
        typer.echo(f"  {i:>3}. {op.describe()}   [{refs}]")
    typer.echo("down (only what up did):")
    for i, op in enumerate(reversed(p.ops), 1):
        typer.echo(f"  {i:>3}. {op.reverse().describe()}")


@app.command()
def schema() -> None:
    """Print the spec format as JSON Schema."""
    from fixgen.jsonschema import spec_json_schema

    typer.echo(json.dumps(spec_json_schema(), indent=2))


# ------------------------------------------------------------------ import / detect

FORMAT_HELP = "yaml or json (a spec v1 for `fixgen emit`), or table (for people; detect only)."


def _finish_findings(findings, fmt: str, out: Path | None, force: bool, exit_zero: bool, allow_table: bool,
                     notes=()) -> None:
    """Print or write the spec, then exit like a linter: 0 nothing to fix, 1 issues found.

    `notes`: rows for `--format table` that are no issues (detect --laravel-app's warnings)."""
    from fixgen.findings import check_complete, dedupe, to_spec, to_table
    from fixgen.writer import write_file

    findings = dedupe(findings)
    if fmt == "table":
        if not allow_table:
            raise FixgenError("--format table is for detect; import writes yaml or json")
        check_complete(findings)
        rows = [*findings, *notes]
        text = to_table(rows, _terminal_width() if out is None else None) if rows else "no issues found\n"
    elif fmt in ("yaml", "json"):
        text = to_spec(findings, fmt)
    else:
        raise FixgenError(f"--format must be yaml, json or table, got {fmt!r}")
    if out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"wrote {write_file(out, text, force=force)}", err=True)
    typer.echo(f"{len(findings)} issue(s) found", err=True)
    if findings and not exit_zero:
        raise typer.Exit(1)


def _terminal_width() -> int | None:
    """The columns of the terminal stdout is (or $COLUMNS says), for `--format table`; None: not a terminal."""
    import os
    import shutil

    if not sys.stdout.isatty() and not os.environ.get("COLUMNS"):
        return None
    return shutil.get_terminal_size().columns


OutOpt = Annotated[Optional[Path], typer.Option(  # noqa: UP045
    "--out", "-o", help="Write the spec to this file instead of stdout.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")]
ExitZeroOpt = Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when issues were found.")]
RefOpt = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
    "--ref", help="COLUMN=TABLE or TABLE.COLUMN=TABLE: where a foreign key column points when its name doesn't say.")]


@app.command("import")
def import_(
    fmt: Annotated[str, typer.Argument(
        metavar="FORMAT", help="sql, schemalint, schemacrawler, active-record-doctor or alembic.")],
    file: Annotated[Optional[str], typer.Argument(  # noqa: UP045
        help="The tool's output, or - for standard input (not for alembic).")] = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    output_format: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "yaml",
    db: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--db", help="Database URL to take what a finding lacks from (and, for alembic, to compare with).")] = None,
    dialect: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--dialect", "-d", help="sql: the input's dialect, postgresql|mysql|sqlite (default: try each).")] = None,
    metadata: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--metadata", help="alembic: MODULE:ATTRIBUTE of a SQLAlchemy MetaData (the current directory is importable).")] = None,
    ref: RefOpt = None,
    skip_unsupported: Annotated[bool, typer.Option(
        "--skip-unsupported", help="Warn about findings no spec kind can express instead of failing.")] = False,
    exit_zero: ExitZeroOpt = False,
) -> None:
    """Turn a linter's findings or a fix script into a spec v1; exit 1 if it holds issues."""
    from fixgen.dbschema import load_schema, parse_ref_hints
    from fixgen.importers import FORMATS, NO_INPUT, ImportOptions, read_findings
    from fixgen.resolve import fill_gaps

    try:
        if fmt not in FORMATS:
            raise FixgenError(f"unknown import format {fmt!r}; expected one of: {', '.join(FORMATS)}")
        hints = parse_ref_hints(ref or [])
        if fmt in NO_INPUT:
            if file is not None:
                raise FixgenError(f"import {fmt} reads --metadata and --db, not a file")
            text, name = None, fmt
        else:
            if file is None:
                raise FixgenError(f"import {fmt} needs a FILE (or - for standard input)")
            text, name = _read_text(file)
        if dialect is not None:
            from fixgen.dialects import get_dialect

            dialect = get_dialect(dialect).name
        schema = load_schema(db) if db else None
        for w in schema.warnings if schema is not None and fmt not in NO_INPUT else []:
            typer.echo(f"warning: {w.text()}", err=True)  # import alembic reports them as "not compared"
        options = ImportOptions(dialect=dialect, db=schema, db_url=db, metadata=metadata, hints=hints)
        result = read_findings(fmt, text, name, options)
        if result.unsupported and not skip_unsupported:
            raise FixgenError([*result.unsupported, Problem(
                "nothing written: fixgen cannot express these as fixes (--skip-unsupported to leave them out)")])
        for problem in result.unsupported:
            typer.echo(f"warning: {problem} (left out)", err=True)
        findings = result.findings
        fill_gaps(findings, schema, hints)
        _finish_findings(findings, output_format, out, force, exit_zero, allow_table=False)
    except FixgenError as e:
        _fail(e)


def _read_text(path: str) -> tuple[str, str]:
    data, name = _read_input(path)
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError as e:
        raise FixgenError(f"{name}: not UTF-8 text (byte {e.start})") from None


@app.command()
def detect(
    url: Annotated[str, typer.Argument(help="Database URL: postgresql://user@host/db, mysql://root@host/db, sqlite:///file.db")],
    out: OutOpt = None,
    force: ForceOpt = False,
    output_format: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "yaml",
    db_schema: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--schema", help="Schema to inspect (default: the connection's own, e.g. public).")] = None,
    ref: RefOpt = None,
    exit_zero: ExitZeroOpt = False,
    laravel_app: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--laravel-app", help="A Laravel app's root (the folder that holds app/): add what its Eloquent models "
                              "need from the database; $fillable entries that are not columns are warnings.")] = None,
    workload: Annotated[bool, typer.Option(
        "--workload", help="Also propose the indexes the database's own query statistics prove, each verified "
                           "by the database (PostgreSQL: pg_stat_statements + hypopg; docs/workload.md).")] = False,
    only: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--only", help="workload: the workload's indexes alone, without the catalog checks; catalog: the "
                       "catalog checks alone (the default).")] = None,
    min_gain: Annotated[str, typer.Option(
        "--min-gain", help="workload: propose an index only if it lowers the summed cost of the queries it "
                           "serves by at least this much.")] = "50%",
    min_rows: Annotated[int, typer.Option(
        "--min-rows", help="workload: no index on tables with fewer (estimated) rows.")] = 10_000,
    top: Annotated[int, typer.Option("--top", help="workload: read this many statements, by total time.")] = 50,
) -> None:
    """Find missing foreign keys and indexes, redundant indexes and half-timestamped pivots in a live database."""
    from fixgen.dbschema import dialect_of, load_schema, parse_ref_hints
    from fixgen.detect import detect_findings

    try:
        hints = parse_ref_hints(ref or [])
        if only not in (None, "workload", "catalog"):
            raise FixgenError(f"--only must be workload or catalog, got {only!r}")
        use_workload = (workload or only == "workload") and only != "catalog"
        if workload and only == "catalog":
            raise FixgenError("--workload and --only catalog contradict each other: give one of them")
        options = None
        if use_workload:
            from fixgen.workload import WorkloadOptions, check_dialect

            check_dialect(dialect_of(url))
            if only == "workload" and laravel_app is not None:
                raise FixgenError("--laravel-app adds to the catalog checks, which --only workload leaves out")
            if min_rows < 0 or top < 1:
                raise FixgenError("--min-rows must be 0 or more and --top 1 or more")
            options = WorkloadOptions(top=top, min_gain=_fraction("--min-gain", min_gain), min_rows=min_rows)
        models = None
        if laravel_app is not None:
            from fixgen.laravel_app.detect import read_app

            models = read_app(laravel_app)  # a bad app dir is reported before connecting
        schema = load_schema(url, db_schema)
        findings = [] if only == "workload" else detect_findings(schema, hints)
        if options is not None:
            from fixgen.detect import usable_by_emit
            from fixgen.findings import dedupe
            from fixgen.workload import workload_findings
            from fixgen.workload.proposals import combine

            found = combine(findings, workload_findings(url, schema, options))
            findings, refused = usable_by_emit(dedupe(found), schema)
            schema.warnings.extend(refused)
        warnings = list(schema.warnings)  # what the snapshot left out or keeps as coverage only
        if models is not None:
            from fixgen.detect import usable_by_emit
            from fixgen.laravel_app.detect import combine

            findings, warnings = combine(models, schema, findings)  # schema.warnings first, then the app's
            findings, refused = usable_by_emit(findings, schema)  # the app's findings with the database's
            warnings = [*warnings, *refused]
        if output_format != "table":  # stdout is the spec: warnings go to stderr
            for w in warnings:
                typer.echo(f"warning: {w.text()}", err=True)
        _finish_findings(findings, output_format, out, force, exit_zero, allow_table=True,
                         notes=[w.row() for w in warnings] if output_format == "table" else [])
    except FixgenError as e:
        _fail(e)


@app.command()
def models(
    spec: SpecArg,
    app_dir: Annotated[Path, typer.Option(
        "--app", help="The app's root: a Laravel app (the folder that holds app/) or a SQLAlchemy app's Python.")],
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the fix as a unified diff on stdout (the report then goes to stderr).")] = False,
    write: Annotated[bool, typer.Option(
        "--write", help="Apply the fix to the files (each checked first: php -l, or Python's compile).")] = False,
    skip_unparsable: Annotated[bool, typer.Option(
        "--skip-unparsable", help="Warn about PHP or Python files that do not parse and go on without them.")] = False,
    orm: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--orm", help="laravel or sqlalchemy (default: laravel where app/ holds PHP, sqlalchemy where Python "
                      "declares tables).")] = None,
    env_py: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--env-py", help="sqlalchemy: also add the hook that keeps fixgen_ledger out of autogenerate to this "
                         "Alembic env.py.")] = None,
) -> None:
    """Laravel: find the app's PHP that still names a column the spec renames. SQLAlchemy: rewrite the models to
    declare what the fix creates (indexes, keys, columns, renames under the migration's names), so Alembic's
    autogenerate finds nothing to undo. Exit 1 if anything is to change or check by hand."""
    from fixgen.dialects import PORTABLE
    from fixgen.laravel_app.models import load_app
    from fixgen.laravel_app.patch import build_patches, check_patches, unified_diff, write_patches
    from fixgen.laravel_app.references import find_references, renames_of
    from fixgen.naming import CONVENTIONAL
    from fixgen.planner import build_plan

    try:
        s = _read_spec(spec)
        build_plan(s, CONVENTIONAL, PORTABLE)  # contradictions (a column renamed twice) are input errors here too
        from fixgen.sqlalchemy_app.source import orm_of

        if orm_of(app_dir, orm) == "sqlalchemy":
            _models_sqlalchemy(s, app_dir, diff, write, skip_unparsable, env_py)
            return
        if env_py is not None:
            raise FixgenError("--env-py is for SQLAlchemy apps (--orm sqlalchemy): Laravel has no env.py")
        from fixgen.laravel_app.php import parser

        parser()  # a missing tree-sitter is reported before anything else
        laravel = load_app(app_dir)
        if laravel.problems and not skip_unparsable:
            raise FixgenError([*laravel.problems, Problem("nothing checked (--skip-unparsable to go on without these files)")])
        for problem in laravel.problems:
            typer.echo(f"warning: {problem}", err=True)
        refs = find_references(laravel, renames_of(s))
        for ref in refs:
            typer.echo(ref.report_line(), err=diff)
        patches = build_patches(laravel, refs)
        if diff:
            typer.echo(unified_diff(patches), nl=False)
        if write and patches:
            if not check_patches(patches):
                typer.echo("warning: php not found on PATH: the patched files were not checked with php -l", err=True)
            for path in write_patches(patches):
                typer.echo(f"wrote {path}", err=True)
    except FixgenError as e:
        _fail(e)
    fixes = sum(r.replacement is not None for r in refs)
    typer.echo(f"{fixes} reference(s) to rewrite in {len(patches)} file(s), {len(refs) - fixes} to check by hand", err=True)
    if refs:
        raise typer.Exit(1)


@app.command()
def verify(
    spec: SpecArg,
    url: Annotated[str, typer.Argument(help="A scratch or staging copy of the database (never production).")],
    queries: Annotated[Optional[list[Path]], typer.Option(  # noqa: UP045
        "--queries", "-q", metavar="FILE", help="A file of ;-separated SELECTs to measure (repeatable); placeholders ($1, ?) get "
                                "values sampled from the table.")] = None,
    workload: Annotated[Optional[bool], typer.Option(  # noqa: UP045
        "--workload/--no-workload", help="Also measure the database's own workload (pg_stat_statements, "
                                         "performance_schema digests); default: when no --queries is given.")] = None,
    runs: Annotated[int, typer.Option("--runs", help="Timed runs per query, after a warm-up run.")] = 20,
    min_speedup: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--min-speedup", help="Exit 1 unless every index verify built and measured made its queries at least "
                               "this many times faster.")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the indexes in place (default: roll back).")] = False,
    online: Annotated[bool, typer.Option(
        "--online/--no-online", help="Build the indexes as the migration does online, not blocking writes "
                                     "(default); --no-online: plain CREATE INDEX, which locks writes.")] = True,
    explain: Annotated[bool, typer.Option(
        "--explain", help="PostgreSQL: also report EXPLAIN ANALYZE's execution time (server side).")] = False,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Measure the spec's indexes: time the queries they serve, build them with fixgen's migration, time
    again, roll back. For a scratch or staging copy: it builds and drops indexes."""
    from fixgen.verify import Options
    from fixgen.verify import verify as run_verify

    try:
        if output_format not in ("text", "json"):
            raise FixgenError(f"--format must be text or json, got {output_format!r}")
        if min_speedup is not None and min_speedup <= 0:
            raise FixgenError(f"--min-speedup must be more than 0, got {min_speedup}")
        s = _read_spec(spec)
        typer.echo("verify builds the spec's indexes on this database and drops them again: use a scratch or "
                   "staging copy", err=True)
        report = run_verify(s, url, Options(tuple(queries or ()), workload, runs, online, keep, explain))
    except FixgenError as e:
        _fail(e)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(report.as_json() if output_format == "json" else report.as_text(), nl=False)
    if min_speedup is not None:
        failing = report.failing(min_speedup)
        for r in failing:
            typer.echo(f"below --min-speedup {min_speedup:g}: {r.name} on {r.table} ({r.speedup:.1f}x)", err=True)
        if failing:
            raise typer.Exit(1)


def _models_sqlalchemy(s, app_dir: Path, diff: bool, write: bool, skip_unparsable: bool, env_py: Path | None) -> None:
    """`models --orm sqlalchemy`: report, diff, write; exit 1 if any line (like the Laravel mode)."""
    from fixgen.laravel_app.patch import unified_diff, write_patches
    from fixgen.sqlalchemy_app.app import check_compiles, rewrite_app
    from fixgen.targets import get_target, plan_for, resolve_dialect

    t = get_target("alembic")  # the models must name each object as the alembic revision does
    result = rewrite_app(plan_for(s, t, resolve_dialect(t, None), None), app_dir, env_py, skip_unparsable)
    for problem in result.problems:
        typer.echo(f"warning: {problem}", err=True)
    for change in result.changes:
        typer.echo(change.report_line(), err=diff)
    if diff:
        typer.echo(unified_diff(result.patches), nl=False)
    if write and result.patches:
        check_compiles(result.patches)
        for path in write_patches(result.patches):
            typer.echo(f"wrote {path}", err=True)
    fixes = sum(c.fix for c in result.changes)
    typer.echo(f"{fixes} change(s) in {len(result.patches)} file(s), {len(result.changes) - fixes} to check by hand",
               err=True)
    if result.changes:
        raise typer.Exit(1)


def main() -> None:
    import gc

    gc.disable()  # a short run that allocates millions of objects and no cycles worth collecting
    command = typer.main.get_command(app)
    name_placeholders(command)
    command()


def name_placeholders(command) -> None:  # a click.Command
    """Help shows each value as its name (SPEC, URL, --out OUT) rather than Typer's Python type (<str>,
    <list[str]>); an explicit metavar and the flags stay as they are."""
    for sub in getattr(command, "commands", {}).values():
        name_placeholders(sub)
    for param in command.params:
        if param.param_type_name == "argument":  # its name is its placeholder already; no type beside it
            param.display_type_rich = lambda ctx: None  # type: ignore[attr-defined]
            continue
        if param.metavar is None and not getattr(param, "is_flag", False) and param.name:
            longest = max(param.opts, key=len).lstrip("-")  # --lock-timeout: LOCK_TIMEOUT
            param.metavar = longest.upper().replace("-", "_")
