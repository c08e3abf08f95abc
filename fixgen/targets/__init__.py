"""Targets: how a plan becomes named files. The CLI picks one; renderers do the work."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from fixgen.dialects import PORTABLE, Dialect, get_dialect
from fixgen.errors import FixgenError, Problem, UnsupportedError
from fixgen.identifiers import shown
from fixgen.naming import CONVENTIONAL, LARAVEL, Naming
from fixgen.planner import Plan, build_plan
from fixgen.spec import Spec
from fixgen.targets.context import Context


@dataclass(frozen=True)
class Output:
    """Rendered files in write order: file name -> text."""

    files: dict[str, str]


@dataclass(frozen=True)
class Target:
    name: str
    naming: Naming
    needs_dialect: bool
    render: Callable[[Plan, Dialect, Context], Output]
    stamp_format: str = "%Y%m%d%H%M%S"  # how file names start; a taken stamp is bumped by a second


def _render_sql(plan: Plan, dialect: Dialect, ctx: Context) -> Output:
    from fixgen.targets.sql import render_sql

    m = render_sql(plan, dialect, ctx)
    base = ctx.migration_id
    return Output({f"{base}.up.sql": m.up, f"{base}.down.sql": m.down})


def _render_laravel(plan: Plan, dialect: Dialect, ctx: Context) -> Output:
    from fixgen.targets.laravel.render import render_laravel

    name, text = render_laravel(plan, ctx)
    return Output({name: text})


def _render_alembic(plan: Plan, dialect: Dialect, ctx: Context) -> Output:
    from fixgen.targets.alembic.render import render_alembic

    name, text = render_alembic(plan, ctx, ctx.revision, ctx.down_revision)
    return Output({name: text})


TARGETS: dict[str, Target] = {
    "sql": Target("sql", CONVENTIONAL, True, _render_sql),
    "laravel": Target("laravel", LARAVEL, False, _render_laravel, "%Y_%m_%d_%H%M%S"),
    "alembic": Target("alembic", CONVENTIONAL, False, _render_alembic),
}


def get_target(name: str) -> Target:
    if name not in TARGETS:
        raise FixgenError(f"unknown target {name!r}; choose one of: {', '.join(TARGETS)}")
    return TARGETS[name]


def resolve_dialect(target: Target, dialect: str | None) -> Dialect:
    if target.needs_dialect:
        if not dialect:
            raise FixgenError(f"target {target.name} needs --dialect (postgresql, mysql or sqlite)")
        return get_dialect(dialect)
    if dialect:
        raise FixgenError(f"target {target.name} runs on every database its framework supports: drop --dialect")
    return PORTABLE


def plan_for(spec: Spec, target: Target, dialect: Dialect, name: str | None) -> Plan:
    """The plan, refused (UnsupportedError) where the target/dialect cannot guard a step."""
    plan = build_plan(spec, target.naming, dialect, name)
    if target.name == "sql":
        from fixgen.targets.sql import renderer_for

        check_name_lengths(spec, dialect)
        renderer_for(dialect).check_plan(plan)
    return plan


# the Issue fields that hold names of database objects
_NAME_FIELDS = ("table", "columns", "ref_table", "ref_columns", "name", "column", "old", "new")


def check_name_lengths(spec: Spec, dialect: Dialect) -> None:
    """A name over the dialect's limit: PostgreSQL would cut it silently and act on another object."""
    problems = []
    for issue in spec.issues:
        for field in _NAME_FIELDS:
            value = getattr(issue, field, None)
            for n in (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ():
                if n and not dialect.fits(n):
                    size = f"{len(n.encode())} bytes" if dialect.limit_in_bytes else f"{len(n)} characters"
                    unit = "bytes" if dialect.limit_in_bytes else "characters"
                    problems.append(Problem(
                        f"name {shown(n)} is {size}: {dialect.name} names are at most {dialect.max_identifier} {unit}",
                        spec.file, issue.meta.line, issue.meta.index))
    if problems:
        raise UnsupportedError(problems)


def emit(spec: Spec, target: Target, dialect: Dialect, ctx: Context) -> Output:
    plan = plan_for(spec, target, dialect, ctx.name)
    return target.render(plan, dialect, replace(ctx, fingerprint=fingerprint(plan, target, dialect, ctx)))


def fingerprint(plan: Plan, target: Target, dialect: Dialect, ctx: Context) -> str:
    """What the migration does, whatever its time stamp, ids and comments: the same spec emitted again with the
    same target and options has the same fingerprint, which its header states (fixgen emit reads it back)."""
    h = hashlib.sha1()
    for part in (target.name, dialect.name, ctx.name, ctx.online, ctx.lock_timeout_ms, ctx.statement_timeout_ms,
                 ctx.run_lock_timeout_ms, ctx.lock_wait_ms,
                 *(repr(replace(op, issues=())) for op in plan.ops)):
        h.update(str(part).encode("utf-8") + b"\0")
    return "fixgen-" + h.hexdigest()[:16]
