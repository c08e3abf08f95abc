"""`fixgen models SPEC --app DIR --orm sqlalchemy`: the models rewritten, the renamed columns' raw-SQL strings
reported, env.py given the ledger hook; the CLI prints, diffs and writes what this returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fixgen.errors import FixgenError, Problem
from fixgen.laravel_app.patch import Patch
from fixgen.ops import RenameColumn
from fixgen.planner import Plan
from fixgen.sqlalchemy_app.source import libcst, load_sources


@dataclass(frozen=True)
class ModelsResult:
    changes: list  # of rewrite.Change, in file and line order (env.py last)
    patches: list[Patch]
    problems: list[Problem]  # files that do not parse (skipped with --skip-unparsable)


def rewrite_app(plan: Plan, root: Path, env_py: Path | None = None, skip_unparsable: bool = False) -> ModelsResult:
    libcst()  # a missing libcst is reported before anything else
    from fixgen.sqlalchemy_app.models import read_models
    from fixgen.sqlalchemy_app.references import string_references
    from fixgen.sqlalchemy_app.rewrite import Change, Rewriter

    sources, problems = load_sources(root)
    if problems and not skip_unparsable:
        raise FixgenError([*problems, Problem("nothing checked (--skip-unparsable to go on without these files)")])
    models = read_models(sources)
    if not models.tables:
        raise FixgenError([Problem(f"--app {root}: no SQLAlchemy model (a class with __tablename__) or Table(...) found")])
    changes: list[Change] = []
    for table, first, second in models.duplicates:
        changes.append(Change(second.source.path, second.line, second.label, f"table {table} is declared again (first "
                              f"at {first.source.path}:{first.line}); only the first is rewritten: check by hand", fix=False))
    rewriter = Rewriter(models, plan)
    rewriter.run()
    result = rewriter.result()
    renames = [op for op in plan.ops if isinstance(op, RenameColumn)]
    changes = sorted([*changes, *result.changes, *string_references(sources, renames, models)],
                     key=lambda c: (c.file != plan.file, c.file, c.line))
    patches = [Patch(path, src.full, src.data, text.encode("utf-8")) for path, (src, text) in result.files.items()]
    if env_py is not None:
        from fixgen.sqlalchemy_app.envpy import patch_env_py

        shown = _shown(env_py, root)
        env_changes, text, data = patch_env_py(env_py, shown)
        changes += env_changes
        if text is not None:
            patches.append(Patch(shown, env_py, data, text.encode("utf-8")))
    return ModelsResult(changes, patches, problems)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def check_compiles(patches: list[Patch]) -> None:
    """Every patched text must compile (the rewrite is meant to keep it valid; this makes sure before writing)."""
    problems = []
    for p in patches:
        try:
            compile(p.after, p.file, "exec", dont_inherit=True)
        except SyntaxError as e:
            problems.append(Problem(f"the patched text does not compile, nothing written: {e.msg}", p.file, e.lineno))
    if problems:
        raise FixgenError(problems)
