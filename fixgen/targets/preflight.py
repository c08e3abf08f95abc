"""The preflight checks a framework migration runs, as data; each renderer spells the calls.

Laravel and Alembic migrations carry runtime helpers with the same names and
arguments (`requireTable` / `_require_table`, ...), so what to check is decided once,
here, from the plan.
"""

from __future__ import annotations

from collections.abc import Callable

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
        handler = _CHECKS.get(op.kind)
        if handler is not None:
            checks.append(handler(op, renames))
    return checks


def _renamed(op: AddForeignKey | ChangeForeignKeyActions, renames: dict[tuple[str, str], str]) -> dict[str, str]:
    """column -> its name before a rename of this plan, for the key's columns that have one."""
    return {c: renames[(op.table, c)] for c in op.columns if (op.table, c) in renames}


def _rename(op: RenameColumn, renames: dict[tuple[str, str], str]) -> Check:
    return ("renamable", (op.table, op.old, op.new))


def _create_index(op: CreateIndex, renames: dict[tuple[str, str], str]) -> Check:
    return ("index_name", (op.table, op.name, list(op.columns), op.unique))


def _drop_index(op: DropIndex, renames: dict[tuple[str, str], str]) -> Check:
    return ("index_definition", (op.table, op.name, list(op.columns), op.unique))


def _add_foreign_key(op: AddForeignKey, renames: dict[tuple[str, str], str]) -> Check:
    set_null = "set_null" in (op.on_delete, op.on_update)
    return ("foreign_key_fits", (op.table, op.name, list(op.columns), op.ref_table, list(op.ref_columns), set_null,
                                 _renamed(op, renames)))


def _foreign_key_actions(op: ChangeForeignKeyActions, renames: dict[tuple[str, str], str]) -> Check:
    return ("foreign_key_actions", (op.table, op.name, list(op.columns), op.ref_table, list(op.ref_columns),
                                    op.on_delete, op.on_update, op.old_on_delete, op.old_on_update,
                                    _renamed(op, renames)))


# op kind -> its check (kinds without one: adding a column needs nothing the table checks do not cover)
_CHECKS: dict[str, Callable[..., Check]] = {
    RenameColumn.kind: _rename,
    CreateIndex.kind: _create_index,
    DropIndex.kind: _drop_index,
    AddForeignKey.kind: _add_foreign_key,
    ChangeForeignKeyActions.kind: _foreign_key_actions,
}
