"""Plan operations. Each knows its reverse, like Alembic's ops.py.

An operation is a *desired change*; renderers wrap it in the guard that makes it
idempotent, and the ledger step that makes its reverse run only if up performed it.
Down is the plan reversed (Plan.reverse): each reversed op carries `undoes`, the ledger
step of the op it undoes, so a renderer tells a rollback step from a forward one by that
fact, never by its class. Opposites are siblings: no op class derives from another, so a
dispatch on the class cannot take one for its opposite.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from fixgen.coltypes import ColumnType
from fixgen.dialects import ACTIONS
from fixgen.ledger import STEP_SEPARATOR, step_key
from fixgen.spec import Meta


@dataclass(frozen=True)
class Op:
    table: str
    issues: tuple[Meta, ...] = field(default=(), compare=False)
    # down: the ledger step of the forward op this one undoes (None: a forward op)
    undoes: str | None = field(default=None, compare=False, kw_only=True)

    kind = "op"

    @property
    def key(self) -> str:
        """Stable ledger step id: what up records when it performs this op."""
        return step_key(self.kind, self.table, self.object_name)

    def undoing(self, op: Op) -> Op:
        """This op as the rollback of `op` (set in place: it is a fresh op, and replace() is slow on 10k ops)."""
        object.__setattr__(self, "undoes", op.key)
        return self

    @property
    def object_name(self) -> str:
        raise NotImplementedError

    def reverse(self) -> Op:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def with_issues(self, issues: tuple[Meta, ...]) -> Op:
        return replace(self, issues=issues)


def _cols(cols: tuple[str, ...]) -> str:
    return ", ".join(cols)


@dataclass(frozen=True)
class _IndexFields(Op):
    """What defines an index (its drop needs it too: the rollback of a drop recreates it)."""

    name: str = ""
    columns: tuple[str, ...] = ()
    unique: bool = False

    @property
    def object_name(self) -> str:
        return self.name

    def _what(self) -> str:
        return f"{'unique index' if self.unique else 'index'} {self.name} on {self.table} ({_cols(self.columns)})"


@dataclass(frozen=True)
class CreateIndex(_IndexFields):
    for_foreign_key: bool = False

    kind = "create_index"

    def reverse(self) -> DropIndex:
        return DropIndex(self.table, self.issues, self.name, self.columns, self.unique).undoing(self)

    def describe(self) -> str:
        why = " (supports a foreign key)" if self.for_foreign_key else ""
        return f"create {self._what()}{why}"


@dataclass(frozen=True)
class DropIndex(_IndexFields):
    kind = "drop_index"

    def reverse(self) -> CreateIndex:
        return CreateIndex(self.table, self.issues, self.name, self.columns, self.unique).undoing(self)

    def describe(self) -> str:
        return f"drop {self._what()}"


@dataclass(frozen=True)
class _ForeignKeyFields(Op):
    """What defines a foreign key (its drop needs it too: SQLite rebuilds the table without its clause)."""

    name: str = ""
    columns: tuple[str, ...] = ()
    ref_table: str = ""
    ref_columns: tuple[str, ...] = ()
    on_delete: str = "no_action"
    on_update: str = "no_action"

    @property
    def object_name(self) -> str:
        return self.name


@dataclass(frozen=True)
class AddForeignKey(_ForeignKeyFields):
    kind = "add_foreign_key"

    def reverse(self) -> DropForeignKey:
        return DropForeignKey(self.table, self.issues, self.name, self.columns, self.ref_table,
                              self.ref_columns, self.on_delete, self.on_update).undoing(self)

    def describe(self) -> str:
        return (f"add foreign key {self.name} on {self.table} ({_cols(self.columns)}) -> "
                f"{self.ref_table} ({_cols(self.ref_columns)}) on delete {ACTIONS[self.on_delete]}"
                f" on update {ACTIONS[self.on_update]}")


@dataclass(frozen=True)
class DropForeignKey(_ForeignKeyFields):
    kind = "drop_foreign_key"

    def reverse(self) -> AddForeignKey:
        return AddForeignKey(self.table, self.issues, self.name, self.columns, self.ref_table,
                             self.ref_columns, self.on_delete, self.on_update).undoing(self)

    def describe(self) -> str:
        return f"drop foreign key {self.name} on {self.table} ({_cols(self.columns)})"


@dataclass(frozen=True)
class _ColumnFields(Op):
    column: str = ""
    type: ColumnType = ColumnType("text")
    nullable: bool = True
    default: object = None
    has_default: bool = False

    @property
    def object_name(self) -> str:
        return self.column


@dataclass(frozen=True)
class AddColumn(_ColumnFields):
    kind = "add_column"

    def reverse(self) -> DropColumn:
        return DropColumn(self.table, self.issues, self.column, self.type, self.nullable,
                          self.default, self.has_default).undoing(self)

    def describe(self) -> str:
        null = "NULL" if self.nullable else "NOT NULL"
        default = f" default {self.default!r}" if self.has_default else ""
        return f"add column {self.table}.{self.column} {self.type} {null}{default}"


@dataclass(frozen=True)
class DropColumn(_ColumnFields):
    kind = "drop_column"

    def reverse(self) -> AddColumn:
        return AddColumn(self.table, self.issues, self.column, self.type, self.nullable,
                         self.default, self.has_default).undoing(self)

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column}"


@dataclass(frozen=True)
class RenameColumn(Op):
    old: str = ""
    new: str = ""

    kind = "rename_column"

    @property
    def object_name(self) -> str:
        return f"{self.old}{STEP_SEPARATOR}{self.new}"

    def reverse(self) -> RenameColumn:
        return RenameColumn(self.table, self.issues, self.new, self.old).undoing(self)

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"


@dataclass(frozen=True)
class ChangeForeignKeyActions(_ForeignKeyFields):
    """Re-create an existing foreign key with other ON DELETE / ON UPDATE actions (`old_*`: what it had).

    Not a kind of AddForeignKey (a dispatch on the class keeps them apart): they share the fields only."""

    old_on_delete: str = "no_action"
    old_on_update: str = "no_action"

    kind = "foreign_key_actions"

    def reverse(self) -> ChangeForeignKeyActions:
        return replace(self, on_delete=self.old_on_delete, on_update=self.old_on_update,
                       old_on_delete=self.on_delete, old_on_update=self.on_update).undoing(self)

    def as_foreign_key(self, old: bool = False) -> AddForeignKey:
        """The foreign key with the new actions (or, `old`, the ones it had)."""
        return AddForeignKey(self.table, self.issues, self.name, self.columns, self.ref_table, self.ref_columns,
                             self.old_on_delete if old else self.on_delete, self.old_on_update if old else self.on_update)

    def describe(self) -> str:
        return (f"change foreign key {self.name} on {self.table} ({_cols(self.columns)}) -> {self.ref_table} "
                f"({_cols(self.ref_columns)}): on delete {ACTIONS[self.old_on_delete]} -> {ACTIONS[self.on_delete]}, "
                f"on update {ACTIONS[self.old_on_update]} -> {ACTIONS[self.on_update]}")
