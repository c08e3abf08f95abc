"""Target `alembic`: one revision file that reads like Alembic's own, guarded through the inspector.

Guards use `sa.inspect(op.get_bind())`, so they work on every backend and on Alembic
versions without `if_not_exists`; SQLite foreign keys go through op.batch_alter_table
with foreign keys switched off around the rebuild.

Online mode (ctx.online, the default) is decided at generation but applied at run time by
the connection's dialect: on PostgreSQL the steps run in Alembic's autocommit_block (no
surrounding transaction: CONCURRENTLY needs that), on MySQL/MariaDB the ALTERs carry
ALGORITHM=INPLACE, LOCK=NONE; SQLite is the same either way. The runtime helpers that
differ (`_create_index`, `_add_column`, ...) live in the template; --no-online renders the
revision exactly as before online mode existed.
"""

from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass

from fixgen.coltypes import ColumnType
from fixgen.dialects import ACTIONS
from fixgen.escape import py_string
from fixgen.ops import AddColumn, AddForeignKey, ChangeForeignKeyActions, CreateIndex, DropIndex, Op, RenameColumn
from fixgen.planner import Plan
from fixgen.targets.context import Context, issue_comments
from fixgen.targets.preflight import preflight_checks
from fixgen.targets.templates import Code, render

IND = " " * 4

_SA_TYPES = {
    "string": "sa.String({0})", "text": "sa.Text()", "integer": "sa.Integer()", "bigint": "sa.BigInteger()",
    "smallint": "sa.SmallInteger()", "boolean": "sa.Boolean()", "decimal": "sa.Numeric({0}, {1})",
    "float": "sa.Double()", "date": "sa.Date()", "timestamp": "sa.DateTime()",
    "timestamptz": "sa.DateTime(timezone=True)", "time": "sa.Time()", "json": "sa.JSON()",
    "uuid": 'sa.String(36).with_variant(sa.Uuid(), "postgresql")',
    "binary": "sa.LargeBinary()",
}


def py(value: object) -> str:
    """A Python literal (fixgen.escape.py_string)."""
    return py_string(value)


def sa_type(t: ColumnType) -> str:
    return _SA_TYPES[t.name].format(*t.args)


def server_default(value: object) -> str:
    if value is None:
        return 'sa.text("NULL")'
    if isinstance(value, bool):
        return "sa.true()" if value else "sa.false()"
    if isinstance(value, (int, float)):
        return f"sa.text({py(repr(value))})"
    return py(str(value))


def default_revision_id(ctx: Context) -> str:
    return hashlib.sha1(ctx.migration_id.encode()).hexdigest()[:12]


@dataclass
class PyBlock:
    comments: list[str]  # outside text: the template escapes it (py_comment)
    code: Code


class AlembicRenderer:
    def __init__(self, plan: Plan, ctx: Context, revision: str, down_revision: str | None) -> None:
        self.plan = plan
        self.ctx = ctx
        self.revision = revision
        self.down_revision = down_revision

    @property
    def file_name(self) -> str:
        return f"{self.revision}_{self.ctx.name}.py"

    def render(self) -> str:
        up = [PyBlock([op.describe(), *issue_comments(op.issues)], Code(self.up_code(op))) for op in self.plan.ops]
        down = [PyBlock([f"undo: {op.describe()} (only if upgrade() did it)", *issue_comments(op.issues)],
                        Code(self.down_code(op))) for op in reversed(self.plan.ops)]
        if self.ctx.online:  # the steps run inside `with _online_session():`
            for block in (*up, *down):
                block.code = Code(textwrap.indent(block.code, IND))
        return render("alembic/revision.py.j2", ctx=self.ctx, revision=self.revision,
                      down_revision=self.down_revision, migration_id=f"{self.revision}_{self.ctx.name}",
                      message=self.ctx.name.replace("_", " "), indent=Code(IND if self.ctx.online else ""),
                      create_date=self.ctx.created.strftime("%Y-%m-%d %H:%M:%S%z"),
                      up_blocks=up, down_blocks=down, preflight=self.preflight(),
                      lock_wait_seconds=max(1, -(-self.ctx.lock_timeout_ms // 1000)))  # MySQL: whole seconds, rounded up

    def preflight(self) -> list[str]:
        return [Code(f"_require_{name}(problems, {', '.join(py(a) for a in args)})")
                for name, args in preflight_checks(self.plan)]

    def _apply(self, op: Op, present: str, done: str, perform: str) -> str:
        i = IND
        return (f"{i}_apply(\n{i}    {py(op.key)}, {py(op.object_name)},\n{i}    present=lambda: {present},\n"
                f"{i}    done=lambda: {done},\n{i}    perform=lambda: {perform},\n{i})")

    def _revert(self, op: Op, undoable: str, undo: str) -> str:
        i = IND
        return f"{i}_revert(\n{i}    {py(op.key)},\n{i}    undoable=lambda: {undoable},\n{i}    undo=lambda: {undo},\n{i})"

    def _create_index(self, op: CreateIndex | DropIndex) -> str:
        if self.ctx.online:  # CONCURRENTLY / ALGORITHM=INPLACE, LOCK=NONE, chosen at run time
            return f"_create_index({py(op.name)}, {py(op.table)}, {py(list(op.columns))}, unique={op.unique})"
        return f"op.create_index({py(op.name)}, {py(op.table)}, {py(list(op.columns))}, unique={op.unique})"

    def _drop_index(self, op: CreateIndex | DropIndex) -> str:
        if self.ctx.online:
            return f"_drop_index({py(op.name)}, {py(op.table)})"
        return f"op.drop_index({py(op.name)}, table_name={py(op.table)})"

    def _valid_index_named(self, op: CreateIndex | DropIndex) -> str:
        """Online, an index of that name may be the INVALID leftover of an interrupted concurrent build."""
        fn = "_valid_index_named" if self.ctx.online else "_index_named"
        return f"{fn}({py(op.table)}, {py(op.name)})"

    def up_code(self, op: Op) -> str:
        t = py(op.table)
        if isinstance(op, RenameColumn):
            gone = f"not _has_column({t}, {py(op.old)})"
            return self._apply(op, gone, f"{gone} and _has_column({t}, {py(op.new)})",
                               f"_rename_column({t}, {py(op.old)}, {py(op.new)})")
        if isinstance(op, AddColumn):
            has = f"_has_column({t}, {py(op.column)})"
            col = f"sa.Column({py(op.column)}, {sa_type(op.type)}, nullable={op.nullable}"
            if op.has_default:
                col += f", server_default={server_default(op.default)}"
            add = "_add_column" if self.ctx.online else "op.add_column"
            return self._apply(op, has, has, f"{add}({t}, {col}))")
        if isinstance(op, CreateIndex):
            return self._apply(op, f"_has_index({t}, {py(list(op.columns))}, {op.unique})",
                               self._valid_index_named(op), self._create_index(op))
        if isinstance(op, DropIndex):
            gone = f"not _index_named({t}, {py(op.name)})"
            return self._apply(op, gone, gone, self._drop_index(op))
        if isinstance(op, AddForeignKey):
            perform = (f"_add_foreign_key(\n{IND}        {py(op.name)}, {t}, {py(op.ref_table)}, "
                       f"{py(list(op.columns))}, {py(list(op.ref_columns))},\n{IND}        "
                       f"ondelete={py(ACTIONS[op.on_delete])}, onupdate={py(ACTIONS[op.on_update])},\n{IND}    )")
            present = f"_has_foreign_key({t}, {py(list(op.columns))}, {py(op.ref_table)}, {py(list(op.ref_columns))})"
            if not self.ctx.online:
                return self._apply(op, present, f"_foreign_key_named({t}, {py(op.name)})", perform)
            # done = named and validated (PostgreSQL adds it NOT VALID first); MySQL: rows written meanwhile
            recheck = f"{IND}_recheck_foreign_key(\n{IND}    {py(op.key)},\n{IND}    {self._fk_args(op)},\n{IND})"
            return self._apply(op, present, f"_foreign_key_valid({t}, {py(op.name)})", perform) + "\n" + recheck
        if isinstance(op, ChangeForeignKeyActions):
            return self._change_actions_up(op)
        raise AssertionError(op)

    def _fk_args(self, op: AddForeignKey | ChangeForeignKeyActions) -> str:
        return f"{py(op.name)}, {py(op.table)}, {py(list(op.columns))}, {py(op.ref_table)}, {py(list(op.ref_columns))}"

    def _change_actions(self, op: ChangeForeignKeyActions, old: bool, recheck: bool = False) -> str:
        """The runtime call that re-creates the foreign key with the new (or, `old`, the previous) actions."""
        fk = op.as_foreign_key(old=old)
        extra = ", recheck=True" if recheck else ""
        return (f"_change_foreign_key_actions(\n{IND}        {self._fk_args(op)},\n{IND}        "
                f"ondelete={py(ACTIONS[fk.on_delete])}, onupdate={py(ACTIONS[fk.on_update])}{extra},\n{IND}    )")

    def _has_actions(self, op: ChangeForeignKeyActions) -> str:
        return (f"_foreign_key_has_actions({py(op.table)}, {py(op.name)}, "
                f"{py(ACTIONS[op.on_delete])}, {py(ACTIONS[op.on_update])})")

    def _change_actions_up(self, op: ChangeForeignKeyActions) -> str:
        """present: any foreign key on these columns with the wanted actions; done: `name` has them (online
        PostgreSQL: and is validated, since it is re-added NOT VALID)."""
        t = py(op.table)
        actions = f"({py(ACTIONS[op.on_delete])}, {py(ACTIONS[op.on_update])})"
        present = (f"_has_foreign_key({t}, {py(list(op.columns))}, {py(op.ref_table)}, {py(list(op.ref_columns))}, "
                   f"actions={actions})")
        if not self.ctx.online:
            return self._apply(op, present, self._has_actions(op), self._change_actions(op, old=False))
        done = f"{self._has_actions(op)} and _foreign_key_valid({t}, {py(op.name)})"
        # MySQL/MariaDB: rows written between the drop and the add (foreign_key_checks off) are checked on every run
        recheck = f"{IND}_recheck_foreign_key(\n{IND}    {py(op.key)},\n{IND}    {self._fk_args(op)},\n{IND})"
        return self._apply(op, present, done, self._change_actions(op, old=False)) + "\n" + recheck

    def down_code(self, op: Op) -> str:
        t = py(op.table)
        if isinstance(op, RenameColumn):
            return self._revert(op, f"not _has_column({t}, {py(op.old)}) and _has_column({t}, {py(op.new)})",
                                f"_rename_column({t}, {py(op.new)}, {py(op.old)})")
        if isinstance(op, AddColumn):
            drop = "_drop_column" if self.ctx.online else "op.drop_column"
            return self._revert(op, f"_has_column({t}, {py(op.column)})", f"{drop}({t}, {py(op.column)})")
        if isinstance(op, CreateIndex):  # online: an invalid leftover of ours is dropped too
            return self._revert(op, f"_index_named({t}, {py(op.name)})", f"_drop_created_index({py(op.name)}, {t})")
        if isinstance(op, DropIndex):  # online: recreated unless a usable index of that name is back
            return self._revert(op, f"not {self._valid_index_named(op)}", self._create_index(op))
        if isinstance(op, AddForeignKey):
            undo = (f"_drop_foreign_key(\n{IND}        {py(op.name)}, {t}, {py(list(op.columns))}, "
                    f"{py(op.ref_table)}, {py(list(op.ref_columns))},\n{IND}        "
                    f"ondelete={py(ACTIONS[op.on_delete])}, onupdate={py(ACTIONS[op.on_update])},\n{IND}    )")
            return self._revert(op, f"_foreign_key_named({t}, {py(op.name)})", undo)
        if isinstance(op, ChangeForeignKeyActions):  # still the new actions, or gone half-way (MySQL: between drop and add)
            undoable = f"{self._has_actions(op)} or not _foreign_key_named({t}, {py(op.name)})"
            if self.ctx.online:  # PostgreSQL: an undo stopped before VALIDATE left the old actions NOT VALID
                undoable += f" or not _foreign_key_valid({t}, {py(op.name)})"
            return self._revert(op, undoable, self._change_actions(op, old=True, recheck=self.ctx.online))
        raise AssertionError(op)


def render_alembic(plan: Plan, ctx: Context, revision: str | None, down_revision: str | None) -> tuple[str, str]:
    r = AlembicRenderer(plan, ctx, revision or default_revision_id(ctx), down_revision)
    return r.file_name, r.render()
