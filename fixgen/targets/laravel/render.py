"""Target `laravel`: one anonymous-class migration that real Laravel 8.37-12 runs on pgsql, mysql/mariadb and sqlite.

Blueprint methods do the changes wherever they exist in every supported version;
catalog queries (not Schema::hasIndex/getForeignKeys, which arrived in 10.x) do the
guards; native RENAME COLUMN avoids doctrine/dbal. SQLite foreign keys go through a
table rebuild, because Laravel 8 silently ignores $table->foreign() there.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixgen.coltypes import ColumnType
from fixgen.dialects import ACTIONS
from fixgen.escape import php_string
from fixgen.ops import AddColumn, AddForeignKey, ChangeForeignKeyActions, CreateIndex, DropIndex, Op, RenameColumn
from fixgen.planner import Plan
from fixgen.targets.context import Context, issue_comments
from fixgen.targets.preflight import preflight_checks
from fixgen.targets.templates import Code, render

IND = " " * 8


def php(value: object) -> str:
    """A PHP literal (strings: fixgen.escape.php_string)."""
    if isinstance(value, (list, tuple)):
        return php_list(value)
    if isinstance(value, dict):
        return "[" + ", ".join(f"{php(k)} => {php(v)}" for k, v in value.items()) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return php_string(str(value))


def php_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(php(v) for v in values) + "]"


_BLUEPRINT_TYPES = {
    "string": "string", "text": "text", "integer": "integer", "bigint": "bigInteger", "smallint": "smallInteger",
    "boolean": "boolean", "decimal": "decimal", "float": "double", "date": "date", "timestamp": "timestamp",
    "timestamptz": "timestampTz", "time": "time", "json": "json", "uuid": "uuid", "binary": "binary",
}


def blueprint_column(column: str, t: ColumnType, nullable: bool, has_default: bool, default: object) -> str:
    args = [php(column), *(str(a) for a in t.args)]
    code = f"$table->{_BLUEPRINT_TYPES[t.name]}({', '.join(args)})"
    if nullable:
        code += "->nullable()"
    if has_default:
        text = isinstance(default, str)
        code += f"->default($this->text({php(default)}))" if text else f"->default({php(default)})"
    return code + ";"


@dataclass
class PhpBlock:
    comments: list[str]  # outside text: the template escapes it (php_comment)
    code: Code


def _schema_table(table: str, body: str, indent: str) -> str:  # Blueprint changes: columns
    return (f"Schema::table({php(table)}, function (Blueprint $table) {{\n"
            f"{indent}    {body}\n{indent}}})")


class LaravelRenderer:
    def __init__(self, plan: Plan, ctx: Context) -> None:
        self.plan = plan
        self.ctx = ctx

    @property
    def migration_id(self) -> str:
        return f"{self.ctx.created.strftime('%Y_%m_%d_%H%M%S')}_{self.ctx.name}"

    @property
    def file_name(self) -> str:
        return f"{self.migration_id}.php"

    def render(self) -> str:
        up = [PhpBlock([op.describe(), *issue_comments(op.issues)], Code(self.up_code(op))) for op in self.plan.ops]
        down = [PhpBlock([f"undo: {op.describe()} (only if up() did it)", *issue_comments(op.issues)],
                         Code(self.down_code(op))) for op in reversed(self.plan.ops)]
        return render("laravel/migration.php.j2", ctx=self.ctx, migration_id=self.migration_id, php=php,
                      up_blocks=up, down_blocks=down, preflight=self.preflight())

    # ------------------------------------------------------------------ preflight
    def preflight(self) -> list[str]:
        def call(name: str) -> str:  # foreign_key_fits -> requireForeignKeyFits
            return "require" + "".join(part.capitalize() for part in name.split("_"))

        return [Code(f"$this->{call(name)}($problems, {', '.join(php(a) for a in args)});")
                for name, args in preflight_checks(self.plan)]

    # ------------------------------------------------------------------ up / down
    def _apply(self, op: Op, present: str, done: str, perform: str) -> str:
        i = IND
        return (f"{i}$this->applyFix({php(op.key)}, {php(op.object_name)},\n"
                f"{i}    fn () => {present},\n{i}    fn () => {done},\n{i}    fn () => {perform});")

    def _revert(self, op: Op, undoable: str, undo: str) -> str:
        i = IND
        return f"{i}$this->revertFix({php(op.key)},\n{i}    fn () => {undoable},\n{i}    fn () => {undo});"

    def _has_column(self, table: str, column: str) -> str:
        return f"Schema::hasColumn({php(table)}, {php(column)})"

    def _index_named(self, op: CreateIndex | DropIndex) -> str:
        return f"$this->indexNamed({php(op.table)}, {php(op.name)})"

    def _index_ready(self, op: CreateIndex | DropIndex) -> str:
        """Named and usable: an invalid leftover of an interrupted online build does not count."""
        return f"$this->indexReady({php(op.table)}, {php(op.name)})"

    def _create_index(self, op: CreateIndex | DropIndex) -> str:
        return f"$this->createIndex({php(op.table)}, {php(op.name)}, {php_list(op.columns)}, {php(op.unique)})"

    def _drop_index(self, op: CreateIndex | DropIndex) -> str:
        return f"$this->dropIndex({php(op.table)}, {php(op.name)}, {php(op.unique)})"

    def _sqlite_clause(self, op: AddForeignKey) -> str:
        return (f"$this->sqliteForeignKeyClause({php(op.name)}, {php_list(op.columns)}, {php(op.ref_table)}, "
                f"{php_list(op.ref_columns)}, {php(ACTIONS[op.on_delete].lower())}, {php(ACTIONS[op.on_update].lower())})")

    def _actions(self, on_delete: str, on_update: str) -> str:
        """ON DELETE / ON UPDATE as PHP arguments, spelled as the SQL wants them ('set null')."""
        return f"{php(ACTIONS[on_delete].lower())}, {php(ACTIONS[on_update].lower())}"

    def _change_actions(self, op: ChangeForeignKeyActions, old: bool = False) -> str:
        fk = op.as_foreign_key(old=old)
        return (f"$this->changeForeignKeyActions({php(op.table)}, {php(op.name)}, {php_list(op.columns)}, "
                f"{php(op.ref_table)}, {php_list(op.ref_columns)}, {self._actions(fk.on_delete, fk.on_update)})")

    def up_code(self, op: Op) -> str:
        t = php(op.table)
        if isinstance(op, RenameColumn):
            gone = f"! {self._has_column(op.table, op.old)}"
            return self._apply(op, gone, f"{gone} && {self._has_column(op.table, op.new)}",
                               f"$this->renameColumn({t}, {php(op.old)}, {php(op.new)})")
        if isinstance(op, AddColumn):
            has = self._has_column(op.table, op.column)
            column = blueprint_column(op.column, op.type, op.nullable, op.has_default, op.default)
            return self._apply(op, has, has, _schema_table(op.table, column, IND + "    "))
        if isinstance(op, CreateIndex):
            return self._apply(op, f"$this->hasIndex({t}, {php_list(op.columns)}, {php(op.unique)})",
                               self._index_ready(op), self._create_index(op))
        if isinstance(op, DropIndex):
            gone = f"! {self._index_named(op)}"
            return self._apply(op, gone, gone, self._drop_index(op))
        if isinstance(op, AddForeignKey):
            perform = (f"$this->addForeignKey({t}, {php(op.name)}, {php_list(op.columns)}, {php(op.ref_table)}, "
                       f"{php_list(op.ref_columns)}, {php(ACTIONS[op.on_delete].lower())}, "
                       f"{php(ACTIONS[op.on_update].lower())})")
            return self._apply(op, f"$this->hasForeignKey({t}, {php_list(op.columns)}, {php(op.ref_table)}, "
                                   f"{php_list(op.ref_columns)})",
                               f"$this->foreignKeyReady({t}, {php(op.name)})", perform)
        if isinstance(op, ChangeForeignKeyActions):
            new = self._actions(op.on_delete, op.on_update)
            return self._apply(op, f"$this->hasForeignKeyWithActions({t}, {php_list(op.columns)}, {php(op.ref_table)}, "
                                   f"{php_list(op.ref_columns)}, {new})",
                               f"$this->foreignKeyActionsDone({t}, {php(op.name)}, {new})", self._change_actions(op))
        raise AssertionError(op)

    def down_code(self, op: Op) -> str:
        t = php(op.table)
        if isinstance(op, RenameColumn):
            return self._revert(op, f"! {self._has_column(op.table, op.old)} && {self._has_column(op.table, op.new)}",
                                f"$this->renameColumn({t}, {php(op.new)}, {php(op.old)})")
        if isinstance(op, AddColumn):
            return self._revert(op, self._has_column(op.table, op.column),
                                f"$this->dropColumn({t}, {php(op.column)})")
        if isinstance(op, CreateIndex):  # an invalid leftover is dropped too
            return self._revert(op, self._index_named(op), self._drop_index(op))
        if isinstance(op, DropIndex):
            return self._revert(op, f"! {self._index_ready(op)}", self._create_index(op))
        if isinstance(op, AddForeignKey):
            return self._revert(op, f"$this->foreignKeyNamed({t}, {php(op.name)})",
                                f"$this->dropForeignKey({t}, {php(op.name)}, {self._sqlite_clause(op)})")
        if isinstance(op, ChangeForeignKeyActions):  # up()'s actions still, or gone half-way: the old ones back
            undoable = (f"$this->foreignKeyActionsUndoable({t}, {php(op.name)}, {self._actions(op.on_delete, op.on_update)}, "
                        f"{self._actions(op.old_on_delete, op.old_on_update)})")
            return self._revert(op, undoable, self._change_actions(op, old=True))
        raise AssertionError(op)


def render_laravel(plan: Plan, ctx: Context) -> tuple[str, str]:
    r = LaravelRenderer(plan, ctx)
    return r.file_name, r.render()
