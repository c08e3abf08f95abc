"""The preflight checks a framework migration runs, as data; each renderer spells the calls.

Laravel and Alembic migrations carry runtime helpers with the same names and
arguments (`requireTable` / `_require_table`, ...), so what to check is decided once,
here, from the plan.
"""

from __future__ import annotations

from fixgen.ops import AddForeignKey, ChangeForeignKeyActions, CreateIndex, DropIndex, RenameColumn
from fixgen.planner import Plan

# check name -> its arguments after `problems`, in order
Check = tuple[str, tuple[object, ...]]


def preflight_checks(plan: Plan) -> list[Check]:
    checks: list[Check] = [("table", (t,)) for t in plan.tables()]
    for t, c, old in plan.needed_columns():
        checks.append(("column", (t, c, old) if old else (t, c)))
    renames = plan.renames()
    for op in plan.ops:
        if isinstance(op, RenameColumn):
            checks.append(("renamable", (op.table, op.old, op.new)))
        elif isinstance(op, CreateIndex):
            checks.append(("index_name", (op.table, op.name, list(op.columns), op.unique)))
        elif isinstance(op, DropIndex):
            checks.append(("index_definition", (op.table, op.name, list(op.columns), op.unique)))
        elif isinstance(op, AddForeignKey):
            old = {c: renames[(op.table, c)] for c in op.columns if (op.table, c) in renames}
            set_null = "set_null" in (op.on_delete, op.on_update)
            checks.append(("foreign_key_fits", (op.table, op.name, list(op.columns), op.ref_table,
                                                list(op.ref_columns), set_null, old)))
        elif isinstance(op, ChangeForeignKeyActions):
            old = {c: renames[(op.table, c)] for c in op.columns if (op.table, c) in renames}
            checks.append(("foreign_key_actions", (op.table, op.name, list(op.columns), op.ref_table,
                                                   list(op.ref_columns), op.on_delete, op.on_update,
                                                   op.old_on_delete, op.old_on_update, old)))
    return checks
