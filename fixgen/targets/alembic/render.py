"""Target `alembic`: one revision file that reads like Alembic's own, with a reviewer-first layout.

The file opens with the plan (a numbered list in the module docstring); upgrade() and downgrade() hold
one readable call per step, each after comment lines naming the issue(s) it fixes, e.g.
`create_index("agents", "ix_agents_created_by_user_id", ["created_by_user_id"])`. downgrade() is the
rendering of plan.reverse(), as Alembic renders `downgrade_ops`: one handler per op class (HANDLERS),
and the mode-aware runtime makes `drop_index(...)` in downgrade() mean "undo what upgrade's
create_index recorded". The functions those calls reach are copied from runtime.py (embed.py) below
them, resolved for online mode (ctx.online) or not; nothing else of the runtime is in the file.

Generated code passes `ruff check` and `ruff format --check` with the project's settings and keeps
lines within 120 characters: calls are laid out here the way ruff's formatter lays them out (one line,
else the arguments on one indented line, else one argument per line with a magic trailing comma).
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from fixgen import ledger, partitions
from fixgen.coltypes import ColumnType
from fixgen.dialects import ACTIONS
from fixgen.escape import py_comment, py_docstring, py_string
from fixgen.ops import (
    AddColumn,
    AddForeignKey,
    ChangeForeignKeyActions,
    CreateIndex,
    DropColumn,
    DropForeignKey,
    DropIndex,
    Op,
    RenameColumn,
)
from fixgen.planner import Plan
from fixgen.targets.alembic.embed import REVISION_CONSTANTS, runtime
from fixgen.targets.context import Context, issue_comments
from fixgen.targets.preflight import preflight_checks
from fixgen.targets.templates import Code, render

WIDTH = 120  # generated lines stay within this
RUFF_WIDTH = 130  # the project's ruff line-length: what ruff's formatter joins lines up to
STEP_INDENT = 8  # steps sit in `with migration(...):` inside upgrade()/downgrade()

_SA_TYPES = {
    "string": "sa.String({0})", "text": "sa.Text()", "integer": "sa.Integer()", "bigint": "sa.BigInteger()",
    "smallint": "sa.SmallInteger()", "boolean": "sa.Boolean()", "decimal": "sa.Numeric({0}, {1})",
    "float": "sa.Double()", "date": "sa.Date()", "timestamp": "sa.DateTime()",
    "timestamptz": "sa.DateTime(timezone=True)", "time": "sa.Time()", "json": "sa.JSON()",
    "uuid": 'sa.String(36).with_variant(sa.Uuid(), "postgresql")',
    "binary": "sa.LargeBinary()",
}


def default_revision_id(ctx: Context) -> str:
    return hashlib.sha1(ctx.migration_id.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- Python literals, as ruff writes them


@lru_cache(maxsize=65536)  # names repeat through a file: table, columns, index names
def py_str(value: str) -> str:
    """A string literal (fixgen.escape.py_string) in the quotes ruff's formatter prefers: double quotes unless
    they would need more escapes than single ones."""
    text = py_string(value)
    if text[0] == '"':  # repr chose double quotes: the text has a ' and no "
        return text
    singles, doubles = value.count("'"), value.count('"')
    if doubles == 0:
        return '"' + text[1:-1] + '"'  # repr escaped no quote: there is none
    if doubles > singles:
        return text
    return '"' + text[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'


def literal(value: object) -> str:
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, (list, tuple, dict)):
        return flat(node(value))
    return py_string(value)


# --------------------------------------------------------------------------- expressions and their layout


@dataclass(frozen=True)
class Call:
    """`fn(args..., key=value...)`; args and values are Python values, Code or other Calls."""

    fn: str
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class _Brackets:
    open: str
    items: tuple  # nodes; a keyword argument or dict entry is (prefix, node)
    close: str
    one_tuple: bool = False


def node(value: object) -> object:
    """An expression tree: Code/str atoms (already Python text) and _Brackets."""
    if isinstance(value, Code):
        return value
    if isinstance(value, Call):
        items = tuple(node(a) for a in value.args) + tuple((f"{k}=", node(v)) for k, v in value.kwargs)
        return _Brackets(value.fn + "(", items, ")")
    if isinstance(value, list):
        return _Brackets("[", tuple(node(v) for v in value), "]")
    if isinstance(value, tuple):
        return _Brackets("(", tuple(node(v) for v in value), ")", one_tuple=len(value) == 1)
    if isinstance(value, dict):
        return _Brackets("{", tuple((f"{literal(k)}: ", node(v)) for k, v in value.items()), "}")
    return Code(literal(value))


def _item_text(item: object) -> str:
    return item[0] + flat(item[1]) if isinstance(item, tuple) else flat(item)


def flat(n: object) -> str:
    if isinstance(n, _Brackets):
        inner = ", ".join(_item_text(i) for i in n.items)
        return n.open + inner + ("," if n.one_tuple else "") + n.close
    return n


def layout(n: object, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """Lines of `prefix + n + suffix` at `indent`, as ruff's formatter lays them out, within WIDTH where
    anything can be split (a longer line holds a single literal that cannot)."""
    pad = " " * indent
    text = prefix + flat(n) + suffix
    if indent + len(text) <= WIDTH or not isinstance(n, _Brackets) or not n.items:
        return [pad + text]
    inner = ", ".join(_item_text(i) for i in n.items) + ("," if n.one_tuple else "")
    if indent + len(text) > RUFF_WIDTH and indent + 4 + len(inner) <= WIDTH and not n.one_tuple:
        return [pad + prefix + n.open, pad + "    " + inner, pad + n.close + suffix]  # ruff's own split
    # one per line, with a magic trailing comma: ruff keeps that however short it gets
    lines = [pad + prefix + n.open]
    for item in n.items:
        if isinstance(item, tuple):
            lines += layout(item[1], indent + 4, item[0], ",")
        else:
            lines += layout(item, indent + 4, "", ",")
    return lines + [pad + n.close + suffix]


def code(value: object, indent: int) -> list[str]:
    """`layout(node(value), indent)`, without building the tree when the one-line form fits (most calls)."""
    text = _flat_value(value)
    return [" " * indent + text] if indent + len(text) <= WIDTH else layout(node(value), indent)


def _flat_value(value: object) -> str:
    if isinstance(value, Code):
        return value
    if isinstance(value, Call):
        args = [_flat_value(a) for a in value.args] + [f"{k}={_flat_value(v)}" for k, v in value.kwargs]
        return f"{value.fn}({', '.join(args)})"
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_flat_value, value)) + "]"
    return flat(node(value))


def comment_lines(texts: list[str], indent: int) -> list[str]:
    """`# ` comments of outside text (fixgen.escape.py_comment), wrapped within WIDTH."""
    pad, width = " " * indent, WIDTH - indent - 2
    out = []
    for text in texts:
        text = py_comment(text)
        if not text:
            continue
        out += [f"{pad}# {line}" for line in _wrap(text, width, "  ")]
    return out


def _wrap(text: str, width: int, hanging: str) -> list[str]:
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, subsequent_indent=hanging, break_long_words=False, break_on_hyphens=False)


# --------------------------------------------------------------------------- one handler per op class

Handler = Callable[[Op], Call]
HANDLERS: dict[type[Op], Handler] = {}


def handles(op_class: type[Op]) -> Callable[[Handler], Handler]:
    """Register the handler of one op class (like Alembic's renderers.dispatch_for)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[op_class] = fn
        return fn

    return register


def _actions(ondelete: str, onupdate: str) -> tuple[tuple[str, object], ...]:
    """ON DELETE / ON UPDATE keywords, omitted where NO ACTION (the runtime's default)."""
    out = []
    for key, action in (("ondelete", ondelete), ("onupdate", onupdate)):
        if action != "no_action":
            out.append((key, ACTIONS[action]))
    return tuple(out)


@handles(CreateIndex)
def _create_index(op: CreateIndex) -> Call:
    # upgrade: build it unless present by definition; downgrade (op.undoes: a redundant index's drop): rebuild it
    return Call("create_index", (op.table, op.name, list(op.columns)), (("unique", True),) if op.unique else ())


@handles(DropIndex)
def _drop_index(op: DropIndex) -> Call:
    # upgrade (a redundant index): drop it; downgrade (op.undoes a create_index): drop what upgrade built
    # the definition goes along: on a partitioned table, the partitions' indexes need it
    return Call("drop_index", (op.table, op.name, list(op.columns)), (("unique", True),) if op.unique else ())


@handles(AddColumn)
def _add_column(op: AddColumn) -> Call:
    kwargs: tuple[tuple[str, object], ...] = (("nullable", op.nullable),)
    if op.has_default:
        kwargs += (("server_default", server_default(op.default)),)
    return Call("add_column", (op.table, Call("sa.Column", (op.column, Code(sa_type(op.type))), kwargs)))


@handles(DropColumn)
def _drop_column(op: DropColumn) -> Call:
    return Call("drop_column", (op.table, op.column))


@handles(RenameColumn)
def _rename_column(op: RenameColumn) -> Call:
    return Call("rename_column", (op.table, op.old, op.new))  # down: the reverse op, names swapped


def _foreign_key(fn: str, op: AddForeignKey | DropForeignKey) -> Call:
    return Call(fn, (op.table, op.name, list(op.columns), op.ref_table, list(op.ref_columns)),
                _actions(op.on_delete, op.on_update))


@handles(AddForeignKey)
def _add_foreign_key(op: AddForeignKey) -> Call:
    return _foreign_key("add_foreign_key", op)


@handles(DropForeignKey)
def _drop_foreign_key(op: DropForeignKey) -> Call:
    # downgrade: SQLite removes the very clause upgrade added, so the definition goes along
    return _foreign_key("drop_foreign_key", op)


@handles(ChangeForeignKeyActions)
def _change_foreign_key_actions(op: ChangeForeignKeyActions) -> Call:
    # the reverse op swaps old and new: downgrade re-creates the key with the actions it had
    old = (ACTIONS[op.old_on_delete], ACTIONS[op.old_on_update])
    new = (ACTIONS[op.on_delete], ACTIONS[op.on_update])
    return Call("change_foreign_key_actions", (op.table, op.name, list(op.columns), op.ref_table,
                                               list(op.ref_columns)), (("old", old), ("new", new)))


def sa_type(t: ColumnType) -> str:
    return _SA_TYPES[t.name].format(*t.args)


def server_default(value: object) -> object:
    if value is None:
        return Code('sa.text("NULL")')
    if isinstance(value, bool):
        return Code("sa.true()" if value else "sa.false()")
    if isinstance(value, (int, float)):
        return Call("sa.text", (repr(value),))
    return str(value)


# --------------------------------------------------------------------------- preflight


def _preflight_calls(plan: Plan) -> list[Call]:
    """fixgen.targets.preflight's checks as calls. A table's own check and those of the columns it needs
    are one `require_columns(problems, table, column, (column, name before a rename), ...)`."""
    columns: dict[str, list[object]] = {}
    calls: list[Call] = []
    for name, args in preflight_checks(plan):
        if name == "table":
            columns[args[0]] = []
        elif name == "column":
            columns.setdefault(args[0], []).append(args[1] if len(args) == 2 else (args[1], args[2]))
        elif name == "foreign_key_actions":  # actions as SQL spells them (fixgen.dialects.ACTIONS, their one home)
            t, n, cols, rt, rcols, on_delete, on_update, old_on_delete, old_on_update, old = args
            now, wanted = (ACTIONS[old_on_delete], ACTIONS[old_on_update]), (ACTIONS[on_delete], ACTIONS[on_update])
            calls.append(Call("require_foreign_key_actions", (Code("problems"), t, n, cols, rt, rcols, now, wanted, old)))
        else:
            calls.append(Call(f"require_{name}", (Code("problems"), *args)))
    tables = [Call("require_columns", (Code("problems"), t, *cols)) for t, cols in columns.items()]
    return tables + calls


# --------------------------------------------------------------------------- the file


class AlembicRenderer:
    def __init__(self, plan: Plan, ctx: Context, revision: str, down_revision: str | None) -> None:
        self.plan = plan
        self.ctx = ctx
        self.revision = revision
        self.down_revision = down_revision

    @property
    def file_name(self) -> str:
        return f"{self.revision}_{self.ctx.name}.py"

    @property
    def migration_id(self) -> str:
        return f"{self.revision}_{self.ctx.name}"

    def steps(self, ops: tuple[Op, ...], used: set[str]) -> list[str]:
        lines: list[str] = []
        count = len(ops)
        for n, op in enumerate(ops, 1):
            call = HANDLERS[type(op)](op)
            used.add(call.fn)
            if op.undoes is None:  # upgrade: the issues it fixes (the docstring's step n describes it)
                lines += comment_lines(issue_comments(op.issues), STEP_INDENT)
            else:  # downgrade: the reverse of upgrade's step count + 1 - n
                heads = [f"undo {count + 1 - n}: {issue_comments((m,))[0]}" for m in op.issues]
                lines += comment_lines(heads, STEP_INDENT)
            lines += code(call, STEP_INDENT)
        return lines or [" " * STEP_INDENT + "pass"]

    def docstring(self) -> list[str]:
        ctx, n = self.ctx, len(self.plan.ops)
        out = [f"Generated by fixgen {py_docstring(ctx.version)} from {py_docstring(ctx.source)}: guarded, "
               "idempotent fixes with an exact rollback.",
               f"Fingerprint: {py_docstring(ctx.fingerprint)} (fixgen emit finds its own revision by this).", "",
               f"upgrade() makes each fix not already present (by definition), recording it in {ledger.TABLE}:"]
        for i, op in enumerate(self.plan.ops, 1):
            out += _wrap(f"  {i}. {py_docstring(op.describe())}", WIDTH, "     ")
        out += [f"downgrade() undoes, from {n} to 1, only what upgrade() recorded, then drops {ledger.TABLE} "
                "once it is empty.", ""]
        if ctx.online:
            about = ("Online (the default): no step blocks writes for more than a moment. PostgreSQL: no surrounding "
                     "transaction (autocommit_block), indexes built and dropped concurrently, foreign keys validated "
                     f"after being added; statement_timeout {py_docstring(ctx.statement_timeout)}. MySQL/MariaDB: "
                     "in place, never locking writes. A lock that writers conflict with is tried for at most "
                     f"{py_docstring(ctx.lock_timeout)} at a time (MySQL/MariaDB: {self.lock_wait_seconds} s), then "
                     f"again with backoff for up to {py_docstring(ctx.lock_wait)}. After a failure, fix the cause and "
                     "run the upgrade again: every step is safe to repeat.")
        else:
            about = "Plain mode (fixgen emit --no-online): ordinary DDL; on PostgreSQL, one transaction."
        about += " Offline mode (alembic upgrade --sql) cannot inspect a database: use `fixgen emit --target sql`."
        autogenerate = (f"Alembic autogenerate: leave {ledger.TABLE} out in env.py (include_name, see fixgen's "
                        "docs/targets.md), or it proposes dropping it, and this downgrade then refuses to run.")
        return out + textwrap.wrap(about, WIDTH) + [""] + textwrap.wrap(autogenerate, WIDTH)

    @property
    def lock_wait_seconds(self) -> int:
        return max(1, -(-self.ctx.lock_timeout_ms // 1000))  # MySQL: whole seconds, rounded up

    def constants(self, used: set[str]) -> list[str]:
        values: dict[str, tuple[object, str]] = {
            "MIGRATION": (self.migration_id, "the ledger key of this revision's steps"),
            "LOCK_TIMEOUT": (self.ctx.lock_timeout, "online, PostgreSQL: wait at most this long for a lock"),
            "STATEMENT_TIMEOUT": (self.ctx.statement_timeout, "online, PostgreSQL: limit of write-blocking statements"),
            "LOCK_WAIT_SECONDS": (self.lock_wait_seconds, "online, MySQL/MariaDB: lock_wait_timeout (both)"),
            "LOCK_RETRY_SECONDS": (self.ctx.lock_wait_ms / 1000, "online: keep trying a lock, with backoff, this long"),
            "LEDGER_TABLE": (ledger.TABLE, "what upgrade() changed, so that downgrade() undoes only that"),
            "LEDGER_COLUMNS": (ledger.COLUMNS, ""),
            "LEDGER_KEY": (ledger.KEY_COLUMNS, ""),
            "LEDGER_WIDTH": (ledger.TEXT_WIDTH, ""),
            "STEP_SEPARATOR": (ledger.STEP_SEPARATOR, ""),
            "LEDGER_MARKER": (ledger.MARKER_STEP, "upgrade ran: what tells a lost ledger from nothing to undo"),
            "RUN_LOCK_KEY": (ledger.run_lock_key(self.migration_id), "PostgreSQL advisory lock: one run at a time"),
            "RUN_LOCK_NAME": (ledger.run_lock_name(self.migration_id), "MySQL/MariaDB GET_LOCK"),
            "RUN_LOCK_SECONDS": (max(1, self.ctx.run_lock_timeout_ms // 1000), "wait at most this long for another run"),
        }
        out = []
        for name in REVISION_CONSTANTS:
            if name in values and (name in used or name == "MIGRATION"):
                value, note = values[name]
                out.append(f"{name} = {literal(value)}" + (f"  # {note}" if note else ""))
        return out

    def partition_sql(self, used: set[str]) -> list[str]:
        """fixgen/partitions.py's queries the plan's steps may run, as triple-quoted strings a reviewer can read
        (one text: the runtime's last definition)."""
        if "PARTITION_SQL" not in used:
            return []
        kinds = {op.kind for op in self.plan.ops}
        wanted = ["preflight"] + (["index_up", "index_down"] if CreateIndex.kind in kinds else [])
        wanted += ["fk_up", "fk_down"] if AddForeignKey.kind in kinds else []
        lines = ["# PostgreSQL partitioned tables: fixgen/partitions.py's queries, each returning the statements to run",
                 "PARTITION_SQL = {"]
        for kind in wanted:
            sql = partitions.reflow(partitions.named(partitions.queries(self.ctx.online)[kind], ledger.TABLE), WIDTH - 12)
            assert '"""' not in sql and "\\" not in sql
            lines += [f'    "{kind}": """', *(("        " + line).rstrip() for line in sql.split("\n")), '""",']
        return ["\n".join([*lines, "}"])]

    def render(self) -> str:
        used: set[str] = {"migration"}
        up = self.steps(self.plan.ops, used)
        down = self.steps(self.plan.reverse(), used)
        checks = []
        for call in _preflight_calls(self.plan):
            used.add(call.fn)
            checks += code(call, 4)
        if any(type(op) is AddColumn for op in self.plan.ops):
            used.add("sa")
        rt = runtime(self.ctx.online)
        defs = rt.closure(used)
        names = used.union(*(d.uses for d in defs))
        imports = [i for n, i in rt.imports.items() if n in names]
        std = sorted([i for i in imports if i.section == 0], key=lambda i: i.key)
        std_lines = [i.text for i in std if not i.key[0]] + [i.text for i in std if i.key[0]]
        std_lines.append("from typing import Sequence, Union")  # Alembic's header (script.py.mako)
        std_lines.sort(key=lambda s: (s.startswith("from "), s.split()[1]))
        third = [i.text for i in imports if i.section > 0]
        return render(
            "alembic/revision.py.j2",
            title=Code(py_docstring(self.ctx.name.replace("_", " "))),
            revision_id=Code(py_docstring(self.revision)),
            revises=Code(f" {py_docstring(self.down_revision)}" if self.down_revision else ""),
            create_date=Code(py_docstring(self.ctx.created.strftime("%Y-%m-%d %H:%M:%S%z"))),
            about=Code("\n".join(line.rstrip() for line in self.docstring())),
            imports=Code("\n".join(std_lines) + "\n\n" + "\n".join(third)),
            revision=Code(literal(self.revision)),
            down_revision=Code(literal(self.down_revision)),
            constants=Code("\n".join(self.constants(names))),
            upgrade=Code("\n".join(up)),
            downgrade=Code("\n".join(down)),
            preflight=Code("\n".join(checks) or "    pass"),
            runtime=Code("\n\n\n".join([*(d.text for d in defs), *self.partition_sql(names)])),
        )


def render_alembic(plan: Plan, ctx: Context, revision: str | None, down_revision: str | None) -> tuple[str, str]:
    r = AlembicRenderer(plan, ctx, revision or default_revision_id(ctx), down_revision)
    return r.file_name, r.render()
