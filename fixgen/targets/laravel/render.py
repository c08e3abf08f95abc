"""Target `laravel`: one anonymous-class migration that real Laravel 8.37-12 runs on pgsql, mysql/mariadb and sqlite.

The file is written for its reviewer: a docblock with the plan (what up() does, what down()
undoes), then up() and down() as one readable runtime call per step, each under comments naming
the issues it fixes. Down is render(plan.reverse()): one handler per op class in a dispatch
table (HANDLERS), the same for forward and rollback ops; the runtime's step methods know from
the mode (up() or down()) which they are doing.

The runtime is real PHP source, runtime.php (a trait, linted and unit-tested on its own). Only
the members the rendered up()/down() reach are embedded, in runtime.php's order: see
`runtime_members` for the parse and `reachable` for the static call graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from fixgen import ledger, partitions
from fixgen.coltypes import ColumnType
from fixgen.dialects import ACTIONS
from fixgen.escape import php_comment, php_string
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
from fixgen.spec import Meta
from fixgen.targets.context import Context
from fixgen.targets.templates import Code, render

RUNTIME = Path(__file__).with_name("runtime.php")
LINE_LIMIT = 120  # PSR-12's soft limit, kept as a hard one
STEP_INDENT = " " * 12  # inside up()'s and down()'s closure


# ----------------------------------------------------------------------------- PHP literals


def php(value: object) -> str:
    """A PHP literal (strings: fixgen.escape.php_string)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(php(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{php(k)} => {php(v)}" for k, v in value.items()) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return php_string(str(value))


def php_call(method: str, args: Iterable[object], indent: str) -> str:
    """`$this->method(args);` on one line if it fits, else PSR-12's one argument per line."""
    literals = [php(a) for a in args]
    line = f"{indent}$this->{method}({', '.join(literals)});"
    if len(line) <= LINE_LIMIT:
        return line
    inner = indent + "    "
    return f"{indent}$this->{method}(\n" + ",\n".join(inner + a for a in literals) + f"\n{indent});"


def comment_lines(text: str, first: str, rest: str) -> list[str]:
    """Outside text as comment lines (escaped by fixgen.escape.php_comment), wrapped at spaces to the line
    limit (a longer word is cut; cutting or wrapping cannot form `*/` or `?>`, it only separates characters)."""
    safe = php_comment(text)
    if len(first) + len(safe) <= LINE_LIMIT:
        return [first + safe]
    room = LINE_LIMIT - max(len(first), len(rest))
    words = [w[k:k + room] for w in safe.split(" ") if w for k in range(0, len(w), room)]
    lines: list[str] = []
    prefix, current = first, ""
    for w in words:
        if current and len(prefix) + len(current) + 1 + len(w) > LINE_LIMIT:
            lines.append(prefix + current)
            prefix, current = rest, w
        else:
            current = f"{current} {w}" if current else w
    lines.append(prefix + current)
    return lines


# ----------------------------------------------------------------------------- handlers: op -> call

_BLUEPRINT_TYPES = {
    "string": "string", "text": "text", "integer": "integer", "bigint": "bigInteger", "smallint": "smallInteger",
    "boolean": "boolean", "decimal": "decimal", "float": "double", "date": "date", "timestamp": "timestamp",
    "timestamptz": "timestampTz", "time": "time", "json": "json", "uuid": "uuid", "binary": "binary",
}


@dataclass(frozen=True)
class Call:
    """One runtime step call: `$this->method(...args)`."""

    method: str
    args: tuple[object, ...]


OpT = TypeVar("OpT", bound=Op)
Handler = Callable[[Op], Call]
HANDLERS: dict[type[Op], Handler] = {}


def handles(cls: type[OpT]) -> Callable[[Callable[[OpT], Call]], Callable[[OpT], Call]]:
    """Register the handler of one op class (forward or rollback: the runtime's mode tells them apart)."""
    def register(fn: Callable[[OpT], Call]) -> Callable[[OpT], Call]:
        HANDLERS[cls] = fn  # type: ignore[assignment]
        return fn
    return register


def _action(action: str) -> str:
    return ACTIONS[action].lower()  # as the SQL spells it: 'set null'


def _index_args(op: CreateIndex | DropIndex) -> tuple[object, ...]:
    return (op.table, op.name, list(op.columns), *((True,) if op.unique else ()))


@handles(CreateIndex)
def _create_index(op: CreateIndex) -> Call:
    return Call("createIndex", _index_args(op))


@handles(DropIndex)
def _drop_index(op: DropIndex) -> Call:
    return Call("dropIndex", _index_args(op))


@handles(AddColumn)
def _add_column(op: AddColumn) -> Call:
    t: ColumnType = op.type
    modifiers: dict[str, object] = {}
    if op.nullable:
        modifiers["nullable"] = True
    if op.has_default:
        modifiers["default"] = op.default
    args: tuple[object, ...] = (op.table, op.column, _BLUEPRINT_TYPES[t.name])
    if t.args or modifiers:
        args += (list(t.args),)
    if modifiers:
        args += (modifiers,)
    return Call("addColumn", args)


@handles(DropColumn)
def _drop_column(op: DropColumn) -> Call:
    return Call("dropColumn", (op.table, op.column))


@handles(RenameColumn)
def _rename_column(op: RenameColumn) -> Call:
    return Call("renameColumn", (op.table, op.old, op.new))


@handles(AddForeignKey)
def _add_foreign_key(op: AddForeignKey) -> Call:
    actions = [_action(op.on_delete), _action(op.on_update)]
    if actions[1] == "no action":  # the runtime's defaults are left out
        actions = actions[:1] if actions[0] != "no action" else []
    return Call("addForeignKey", (op.table, op.name, list(op.columns), op.ref_table, list(op.ref_columns), *actions))


@handles(DropForeignKey)
def _drop_foreign_key(op: DropForeignKey) -> Call:
    return Call("dropForeignKey", _add_foreign_key(op.reverse()).args)  # the key's definition: partitions need it


@handles(ChangeForeignKeyActions)
def _change_foreign_key_actions(op: ChangeForeignKeyActions) -> Call:
    return Call("changeForeignKeyActions", (
        op.table, op.name, list(op.columns), op.ref_table, list(op.ref_columns),
        [_action(op.old_on_delete), _action(op.old_on_update)], [_action(op.on_delete), _action(op.on_update)]))


def call_for(op: Op) -> Call:
    return HANDLERS[type(op)](op)


# ----------------------------------------------------------------------------- the runtime and its call graph

_MEMBER_START = re.compile(r"^    /\*\*", re.M)
_DECLARATION = re.compile(
    r"^    (?:(?:private|protected|public|static)\s+)+(?:function\s+(\w+)\s*\(|(?:\??[\w\\]+\s+)?\$(\w+))", re.M)
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_REFERENCE = re.compile(r"(?:\$this->|self::)(\w+)")


@dataclass(frozen=True)
class Member:
    """A property or method of runtime.php's trait: its text (docblock and code) and the members it names."""

    name: str
    text: str
    refs: frozenset[str]


def parse_runtime(source: str) -> tuple[Member, ...]:
    """The trait's members in file order. Convention (runtime.php's docblock): each member starts with a
    docblock opening at four spaces and nothing else sits between members."""
    head = re.search(r"^trait \w+\n\{\n", source, re.M)
    end = source.rstrip().rfind("\n}")
    if head is None or end < head.end():
        raise ValueError("runtime.php: no `trait Name {...}` at the top level")
    body = source[head.end():end]
    starts = [m.start() for m in _MEMBER_START.finditer(body)]
    if not starts or body[:starts[0]].strip():
        raise ValueError("runtime.php: the trait must start with a member's docblock")
    chunks = [body[a:b].strip("\n") for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]
    found: list[tuple[str, str, str]] = []
    for chunk in chunks:
        code = _COMMENTS.sub("", chunk)
        m = _DECLARATION.search(code)
        if m is None:
            raise ValueError(f"runtime.php: no property or method after the docblock:\n{chunk[:200]}")
        found.append((m.group(1) or m.group(2), chunk, code))
    names = {name for name, _, _ in found}
    if len(names) != len(found):
        raise ValueError("runtime.php: a member is declared twice")
    return tuple(Member(name, chunk, frozenset(set(_REFERENCE.findall(code)) & names - {name}))
                 for name, chunk, code in found)


@lru_cache(maxsize=1)
def runtime_members() -> tuple[Member, ...]:
    return parse_runtime(RUNTIME.read_text(encoding="utf-8"))


def reachable(members: tuple[Member, ...], roots: Iterable[str]) -> list[Member]:
    """The transitive closure of `roots` over the members' references, in the members' (file) order."""
    by_name = {m.name: m for m in members}
    missing = set(roots) - set(by_name)
    if missing:
        raise ValueError(f"runtime.php has no member {', '.join(sorted(missing))}")
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(by_name[name].refs - seen)
    return [m for m in members if m.name in seen]


# ----------------------------------------------------------------------------- the file


def _issue_label(m: Meta) -> str:
    return f"issue #{m.index + 1}" + (f" [{m.id}]" if m.id else "")


def _plan_lines(title: str, items: list[str]) -> list[str]:
    lines = [f" * {title}"]
    width = len(str(len(items)))
    for n, text in enumerate(items, 1):
        num = f" *  {n:>{width}}. "
        lines += comment_lines(text, num, " *" + " " * (len(num) - 2))
    return lines


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
        ops, undo = self.plan.ops, self.plan.reverse()
        number = {op.key: n for n, op in enumerate(ops, 1)}
        up_calls = [call_for(op) for op in ops]
        down_calls = [call_for(op) for op in undo]
        up: list[str] = []
        for n, (op, call) in enumerate(zip(ops, up_calls, strict=True), 1):
            up.append("")
            for k, m in enumerate(op.issues):
                head = f"{n}. " if k == 0 else " " * (len(str(n)) + 2)
                text = _issue_label(m) + (f": {m.message}" if m.message else "")
                if m.source:
                    text += f" (found by: {m.source})"
                up += comment_lines(text, f"{STEP_INDENT}// {head}", f"{STEP_INDENT}// {' ' * len(head)}")
            up.append(php_call(call.method, call.args, STEP_INDENT))
        down: list[str] = []
        for op, call in zip(undo, down_calls, strict=True):
            assert op.undoes is not None  # a rollback op: Plan.reverse() says which step of up() it undoes
            labels = ", ".join(_issue_label(m) for m in op.issues)
            down += comment_lines(f"undoes {number[op.undoes]}" + (f" ({labels})" if labels else ""),
                                  f"{STEP_INDENT}// ", f"{STEP_INDENT}//   ")
            down.append(php_call(call.method, call.args, STEP_INDENT))
        roots = {"run"} | {c.method for c in up_calls} | {c.method for c in down_calls}
        members = reachable(runtime_members(), roots)
        runtime = "\n".join([m.text for m in members] + self.partition_sql({m.name for m in members}))
        return render("laravel/migration.php.j2", header=[Code(line) for line in self.header(ops)],
                      constants=[Code(line) for line in self.constants()], online=self.ctx.online,
                      up=Code("\n".join(up[1:])), down=Code("\n".join(down)), runtime=Code(runtime))

    def partition_sql(self, members: set[str]) -> list[str]:
        """fixgen/partitions.py's queries the embedded members run, as a class constant of nowdoc strings."""
        if not members & {"partitionSteps", "partitionProblems"}:
            return []
        kinds = {op.kind for op in self.plan.ops}
        wanted = ["preflight"] + (["index_up", "index_down"] if CreateIndex.kind in kinds else [])
        wanted += ["fk_up", "fk_down"] if AddForeignKey.kind in kinds else []
        lines = ["", "    /**", "     * PostgreSQL partitioned tables: fixgen/partitions.py's queries, each returning the "
                 "statements to run", "     * (partitionSteps, partitionProblems).", "     */",
                 "    private const PARTITION_SQL = ["]
        for kind in wanted:
            sql = partitions.reflow(partitions.positional(partitions.queries(self.ctx.online)[kind]), LINE_LIMIT - 16)
            assert "\nSQL" not in sql
            lines += [f"        {php(kind)} => <<<'SQL'", *(("            " + line).rstrip() for line in sql.split("\n")),
                      "            SQL,"]
        return lines + ["    ];"]

    def header(self, ops: tuple[Op, ...]) -> list[str]:
        ctx = self.ctx
        lines = [*comment_lines(f"fixgen migration {self.migration_id}, generated by fixgen {ctx.version} from "
                                f"{ctx.source}.", " * ", " * "), " *"]
        lines += _plan_lines("up() fixes, in this order (a step whose fix is present, by definition, is skipped):",
                             [op.describe() for op in ops])
        lines += [" *", f" * down() undoes these steps, last first ({len(ops)} to 1), each only if the ledger table "
                        f"{ledger.TABLE} says", " * that up() made that change."]
        lines += [" *", " * Safe to run more than once, and after an interruption: the next run finishes the job.",
                  f" * Fingerprint: {php_comment(ctx.fingerprint)} (fixgen emit finds its own migration by this)."]
        if ctx.online:
            lines += [" * Online: PostgreSQL builds indexes CONCURRENTLY and adds foreign keys NOT VALID, then validates",
                      " * them; MySQL/MariaDB alters with ALGORITHM=INPLACE, LOCK=NONE; there is no surrounding",
                      f" * transaction, and lock waits give up after {php_comment(ctx.lock_timeout)}."]
        return lines

    def constants(self) -> list[str]:
        ctx = self.ctx
        online = ctx.online
        return [
            "/** The ledger key of this migration's changes. */",
            f"private const MIGRATION = {php(self.migration_id)};",
            "/** Online: build indexes and add foreign keys without blocking writes (PostgreSQL, MySQL/MariaDB). */",
            f"private const ONLINE = {php(online)};",
            f"private const LOCK_TIMEOUT_MS = {ctx.lock_timeout_ms if online else 0};",
            f"private const STATEMENT_TIMEOUT_MS = {ctx.statement_timeout_ms if online else 0};",
            "/** Online: keep trying a lock that writers conflict with, with backoff, this long in all (seconds). */",
            f"private const LOCK_RETRY_SECONDS = {ctx.lock_wait_ms / 1000 if online else 0};",
            "/** The ledger, as fixgen/ledger.py defines it. */",
            f"private const LEDGER = {php(ledger.TABLE)};",
            f"private const LEDGER_COLUMNS = {php(list(ledger.COLUMNS))};",
            f"private const LEDGER_KEY = {php(list(ledger.KEY_COLUMNS))};",
            f"private const LEDGER_WIDTH = {ledger.TEXT_WIDTH};",
            f"private const STEP_SEPARATOR = {php(ledger.STEP_SEPARATOR)};",
            f"private const LEDGER_MARKER = {php(ledger.MARKER_STEP)};",
            "/** One run at a time: the run lock (PostgreSQL advisory key, MySQL/MariaDB name) and how long to wait. */",
            f"private const RUN_LOCK_KEY = {_php_int(ledger.run_lock_key(self.migration_id))};",
            f"private const RUN_LOCK_NAME = {php(ledger.run_lock_name(self.migration_id))};",
            f"private const RUN_LOCK_SECONDS = {max(1, ctx.run_lock_timeout_ms // 1000)};",
        ]


def _php_int(n: int) -> str:
    """PHP reads -9223372036854775808 as a float (the literal overflows before the minus applies)."""
    return "PHP_INT_MIN" if n == -(2 ** 63) else str(n)


def render_laravel(plan: Plan, ctx: Context) -> tuple[str, str]:
    r = LaravelRenderer(plan, ctx)
    return r.file_name, r.render()
