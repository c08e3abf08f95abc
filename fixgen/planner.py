"""Turn validated issues into an ordered, merged list of operations.

Order: renames, columns, index creations, index drops, foreign keys; down runs the
reverse. Identical fixes merge (their issue metadata is kept for comments);
contradicting ones are an input error, reported with both issue positions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TypeVar

from fixgen import spec as s
from fixgen.coltypes import ColumnType
from fixgen.dialects import Dialect
from fixgen.errors import Problem, SpecError
from fixgen.naming import Naming
from fixgen.ops import AddColumn, AddForeignKey, ChangeForeignKeyActions, CreateIndex, DropIndex, Op, RenameColumn

OpT = TypeVar("OpT", bound=Op)

GROUPS = (RenameColumn, AddColumn, CreateIndex, DropIndex, AddForeignKey, ChangeForeignKeyActions)
TIMESTAMP = ColumnType("timestamp")


@dataclass(frozen=True)
class Plan:
    ops: tuple[Op, ...]
    name: str
    file: str | None = None  # the spec's, for error messages

    def of(self, cls: type[OpT]) -> list[OpT]:
        """The ops of one class, in plan order."""
        return [op for op in self.ops if type(op) is cls]

    def reverse(self) -> tuple[Op, ...]:
        """Down: every op's reverse, last first (Alembic's `reversed([op.reverse() ...])`)."""
        return tuple(op.reverse() for op in reversed(self.ops))

    def renames(self) -> dict[tuple[str, str], str]:
        """(table, new name) -> old name, for columns up renames."""
        return {(op.table, op.new): op.old for op in self.ops if isinstance(op, RenameColumn)}

    def added_columns(self) -> set[tuple[str, str]]:
        return {(op.table, op.column) for op in self.ops if isinstance(op, AddColumn)}

    def needed_columns(self) -> list[tuple[str, str, str | None]]:
        """(table, column, its name before a rename of this plan or None) for every column that must
        exist before up changes anything; columns the plan adds are not needed."""
        renames, added = self.renames(), self.added_columns()
        out: dict[tuple[str, str], str | None] = {}
        for op in self.ops:
            refs: list[tuple[str, str]] = []
            if isinstance(op, (CreateIndex, AddForeignKey, ChangeForeignKeyActions)):
                refs = [(op.table, c) for c in op.columns]
            if isinstance(op, (AddForeignKey, ChangeForeignKeyActions)):
                refs += [(op.ref_table, c) for c in op.ref_columns]
            for key in refs:
                if key not in added and key not in out:
                    out[key] = renames.get(key)
        return [(t, c, old) for (t, c), old in out.items()]

    def tables(self) -> list[str]:
        seen: dict[str, None] = {}
        for op in self.ops:
            seen[op.table] = None
            if isinstance(op, (AddForeignKey, ChangeForeignKeyActions)):
                seen[op.ref_table] = None
        return list(seen)


def build_plan(spec: s.Spec, naming: Naming, dialect: Dialect, name: str | None = None) -> Plan:
    problems: list[Problem] = []
    ops: list[Op] = []
    for issue in spec.issues:
        ops.extend(_expand(issue, naming, dialect, spec.file, problems))
    merged = _merge(ops, spec.file, problems)
    _check_old_names(merged, spec.file, problems)
    _check_rename_chains(merged, spec.file, problems)
    if problems:
        raise SpecError(problems)
    merged = _drop_redundant_supporting_indexes(merged)
    ordered = sorted(merged, key=lambda op: GROUPS.index(type(op)))
    return Plan(ops=tuple(ordered), name=name or spec.name or "fix_schema", file=spec.file)


def _problem(issue: s.Issue, file: str | None, message: str) -> Problem:
    return Problem(message, file, issue.meta.line, issue.meta.index)


def _explicit(name: str | None, dialect: Dialect, issue: s.Issue, file: str | None,
              problems: list[Problem]) -> str | None:
    if name is not None and not dialect.fits(name):
        unit = "bytes" if dialect.limit_in_bytes else "characters"
        problems.append(_problem(issue, file, f"name {name!r} is longer than {dialect.max_identifier} {unit}, "
                                              f"the identifier limit of {dialect.name}"))
    return name


def _expand(issue: s.Issue, naming: Naming, dialect: Dialect, file: str | None,
            problems: list[Problem]) -> list[Op]:
    meta = (issue.meta,)
    t = issue.table
    if isinstance(issue, s.MissingIndex):
        name = _explicit(issue.name, dialect, issue, file, problems) or naming.index_name(
            t, issue.columns, issue.unique, dialect)
        return [CreateIndex(t, meta, name, issue.columns, issue.unique)]
    if isinstance(issue, s.MissingForeignKey):
        fk = _explicit(issue.name, dialect, issue, file, problems) or naming.foreign_key_name(
            t, issue.columns, issue.ref_table, dialect)
        idx = naming.index_name(t, issue.columns, False, dialect)
        return [CreateIndex(t, meta, idx, issue.columns, False, for_foreign_key=True),
                AddForeignKey(t, meta, fk, issue.columns, issue.ref_table, issue.ref_columns,
                              issue.on_delete, issue.on_update)]
    if isinstance(issue, s.MissingColumn):
        return [AddColumn(t, meta, issue.column, issue.type, issue.nullable, issue.default, issue.has_default)]
    if isinstance(issue, s.MissingTimestamps):
        return [AddColumn(t, meta, "created_at", TIMESTAMP), AddColumn(t, meta, "updated_at", TIMESTAMP)]
    if isinstance(issue, s.RenameColumn):
        return [RenameColumn(t, meta, issue.old, issue.new)]
    if isinstance(issue, s.RedundantIndex):
        _explicit(issue.name, dialect, issue, file, problems)
        return [DropIndex(t, meta, issue.name, issue.columns, issue.unique)]
    if isinstance(issue, s.ForeignKeyActions):
        _explicit(issue.name, dialect, issue, file, problems)
        return [ChangeForeignKeyActions(t, meta, issue.name, issue.columns, issue.ref_table, issue.ref_columns,
                                        issue.on_delete, issue.on_update, issue.current_on_delete,
                                        issue.current_on_update)]
    raise AssertionError(issue)


def _where(op: Op) -> str:
    return ", ".join(f"issue #{m.index + 1}" for m in op.issues)


def _slots(op: Op) -> list[tuple]:
    """The identities an op claims; two ops with one identity must be the same fix."""
    if isinstance(op, (CreateIndex, DropIndex)):
        # index names share one namespace per schema on PostgreSQL: key them globally
        slots: list[tuple] = [("index-name", op.name)]
        if isinstance(op, CreateIndex):
            slots.append(("index-def", op.table, op.columns, op.unique))
        return slots
    if isinstance(op, (AddForeignKey, ChangeForeignKeyActions)):
        return [("fk-name", op.table, op.name), ("fk-cols", op.table, op.columns)]
    if isinstance(op, AddColumn):
        return [("column", op.table, op.column)]
    if isinstance(op, RenameColumn):
        return [("rename-from", op.table, op.old), ("rename-to", op.table, op.new)]
    raise AssertionError(op)


def _conflict_text(slot: tuple) -> str:
    kind, *key = slot
    return {
        "index-name": lambda: f"two definitions for index {key[0]}",
        "fk-name": lambda: f"two definitions for foreign key {key[1]}",
        "fk-cols": lambda: f"two foreign keys on {key[0]} ({', '.join(key[1])})",
        "column": lambda: f"two definitions for column {key[0]}.{key[1]}",
        "rename-from": lambda: f"column {key[0]}.{key[1]} renamed twice",
        "rename-to": lambda: f"two columns renamed to {key[0]}.{key[1]}",
    }[kind]()


def _merge(ops: list[Op], file: str | None, problems: list[Problem]) -> list[Op]:
    """Merge identical ops; report ops that claim the same object with different definitions."""
    by_slot: dict[tuple, int] = {}  # identity -> position in `out`
    out: list[Op] = []
    for op in ops:
        slots = _slots(op)
        pos = next((by_slot[slot] for slot in slots if slot in by_slot), None)
        if pos is None:
            for slot in slots:
                by_slot[slot] = len(out)
            out.append(op)
            continue
        prev = out[pos]
        slot = next(slot for slot in slots if by_slot.get(slot) == pos)
        if not _same(prev, op) and slot[0] != "index-def":  # same definition under two names: one index serves both
            meta = op.issues[0]
            problems.append(Problem(f"contradicts {_where(prev)}: {_conflict_text(slot)} "
                                    f"({prev.describe()} / {op.describe()})", file, meta.line, meta.index))
        keep = prev
        if isinstance(prev, CreateIndex) and isinstance(op, CreateIndex) and prev.for_foreign_key \
                and not op.for_foreign_key:
            keep = op  # an explicit index request wins over the conventional supporting one
        out[pos] = keep.with_issues(prev.issues + tuple(m for m in op.issues if m not in prev.issues))
        for slot in slots:
            by_slot.setdefault(slot, pos)
    _check_drop_vs_create(out, file, problems)
    return out


def _same(a: Op, b: Op) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, CreateIndex) and isinstance(b, CreateIndex):
        return (a.table, a.name, a.columns, a.unique) == (b.table, b.name, b.columns, b.unique)
    return a == b


def _check_drop_vs_create(ops: list[Op], file: str | None, problems: list[Problem]) -> None:
    creates = {(op.table, op.columns, op.unique): op for op in ops if isinstance(op, CreateIndex)}
    for op in ops:
        if isinstance(op, DropIndex) and (op.table, op.columns, op.unique) in creates:
            first = creates[(op.table, op.columns, op.unique)]
            meta = op.issues[0]
            problems.append(Problem(f"contradicts {_where(first)}: drops index {op.name} that another issue "
                                    "asks to create", file, meta.line, meta.index))


def _check_old_names(ops: list[Op], file: str | None, problems: list[Problem]) -> None:
    """An issue naming a column by the name a rename removes would fail after the rename."""
    old = {(op.table, op.old): op.new for op in ops if isinstance(op, RenameColumn)}
    for op in ops:
        cols: tuple[str, ...] = ()
        if isinstance(op, (CreateIndex, DropIndex, AddForeignKey, ChangeForeignKeyActions)):
            cols = op.columns
        elif isinstance(op, AddColumn):
            cols = (op.column,)
        refs: list[tuple[str, str]] = [(op.table, c) for c in cols]
        if isinstance(op, (AddForeignKey, ChangeForeignKeyActions)):
            refs += [(op.ref_table, c) for c in op.ref_columns]
        for table, col in refs:
            if (table, col) in old:
                meta = op.issues[0]
                problems.append(Problem(
                    f"names {table}.{col}, which a rename in this spec turns into {old[(table, col)]}: "
                    f"use the new name", file, meta.line, meta.index))


def _check_rename_chains(ops: list[Op], file: str | None, problems: list[Problem]) -> None:
    """a->b with b->a (a swap) or b->c (a chain) depends on run order and cannot be guarded by name."""
    renames = [op for op in ops if isinstance(op, RenameColumn)]
    targets = {(op.table, op.new): op for op in renames}
    for op in renames:
        first = targets.get((op.table, op.old))
        if first is not None:
            meta = op.issues[0]
            problems.append(Problem(
                f"contradicts {_where(first)}: renames {op.table}.{op.old}, which another issue renames to; "
                "swapped or chained renames cannot be guarded: split them into separate migrations",
                file, meta.line, meta.index))


def _drop_redundant_supporting_indexes(ops: list[Op]) -> list[Op]:
    """A foreign key's supporting index is not needed if another planned index already leads with its columns."""
    leading: Counter[tuple[str, tuple[str, ...]]] = Counter()  # (table, prefix) -> planned indexes leading with it
    for op in ops:
        if isinstance(op, CreateIndex):
            leading.update((op.table, op.columns[:n]) for n in range(1, len(op.columns) + 1))
    return [op for op in ops
            if not (isinstance(op, CreateIndex) and op.for_foreign_key and leading[(op.table, op.columns)] > 1)]
