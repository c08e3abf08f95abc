"""Copy into a revision only the runtime functions its upgrade(), downgrade() and preflight() reach.

The runtime (runtime.py, next to this file) is read as text through importlib.resources and parsed with
`ast`; it is never imported here. Each top-level definition (a def with its decorators and the comment
lines right above it, or an assignment such as `_log = ...`) is taken by line range. Its `if ONLINE:`
statements are resolved for the revision's mode first, since a revision holds one mode's code:

* ``if ONLINE:`` / ``if not ONLINE:`` (optionally with ``else:``) become the branch the mode takes,
  dedented; when that branch ends in ``return`` or ``raise``, the statements after it in the same block
  are unreachable and go too;
* ``if ONLINE and <test>:`` becomes ``if <test>:`` online and disappears (its ``else:`` stays) otherwise.

Any other use of ONLINE is refused, so no definition can depend on the mode at run time. The static call
graph (every ast.Name a definition mentions that is another definition) then gives the transitive
closure of the names the rendered code calls, embedded in runtime.py's order with the imports it uses.
The names a revision defines itself (RevisionConstants: MIGRATION, LEDGER_TABLE, ...) are not copied.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

MODE = "ONLINE"
# what every revision defines itself (render.py gives the values): runtime.py's assignments to these are
# stand-ins for its unit tests and are never copied
REVISION_CONSTANTS = ("revision", "down_revision", "MIGRATION", "ONLINE", "LOCK_TIMEOUT", "STATEMENT_TIMEOUT",
                      "LOCK_WAIT_SECONDS", "LEDGER_TABLE", "LEDGER_COLUMNS", "LEDGER_KEY", "LEDGER_WIDTH",
                      "STEP_SEPARATOR", "LEDGER_MARKER",
                      "RUN_LOCK_KEY", "RUN_LOCK_NAME", "RUN_LOCK_SECONDS", "PARTITION_SQL",
                      "LOCK_RETRY_SECONDS")


class EmbedError(Exception):
    """runtime.py uses a form the embedder cannot copy faithfully (a bug in runtime.py, caught by the tests)."""


@dataclass(frozen=True)
class Definition:
    name: str
    text: str  # the source lines, mode resolved, without a trailing newline
    uses: frozenset[str]  # every name it mentions


@dataclass(frozen=True)
class Import:
    name: str  # the name it binds
    text: str  # `import x` / `from x import y` (one name per statement)
    section: int  # isort section in runtime.py (0: standard library, 1: third party, ...)
    key: tuple[bool, str]  # isort order inside a section: plain imports first, then by module


@dataclass(frozen=True)
class Runtime:
    definitions: dict[str, Definition]  # in runtime.py's order
    imports: dict[str, Import]

    def closure(self, roots: set[str] | frozenset[str]) -> list[Definition]:
        """The definitions `roots` reach, transitively, in runtime.py's order."""
        seen: set[str] = set()
        todo = [n for n in roots if n in self.definitions]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(n for n in self.definitions[name].uses if n in self.definitions and n not in seen)
        return [d for n, d in self.definitions.items() if n in seen]


def source() -> str:
    return files("fixgen.targets.alembic").joinpath("runtime.py").read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def runtime(online: bool, text: str | None = None) -> Runtime:
    """runtime.py (or `text`), parsed, with every definition resolved for `online`."""
    text = source() if text is None else text
    lines = text.split("\n")
    tree = ast.parse(text)
    definitions: dict[str, Definition] = {}
    imports: dict[str, Import] = {}
    section, last_import_end = 0, None
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if last_import_end is not None and node.lineno > last_import_end + 1:
                section += 1  # a blank line between import blocks starts the next isort section
            last_import_end = node.end_lineno
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if isinstance(node, ast.ImportFrom):
                    stmt, key = f"from {node.module} import {_alias(alias)}", (True, node.module or "")
                else:
                    stmt, key = f"import {_alias(alias)}", (False, alias.name)
                imports[bound] = Import(bound, stmt, section, key)
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                raise EmbedError(f"line {node.lineno}: only `name = value` assignments can be embedded")
            name = targets[0].id
            if name in REVISION_CONSTANTS:
                continue
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        else:
            raise EmbedError(f"line {node.lineno}: a top-level {type(node).__name__} cannot be embedded")
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        while first > 1 and lines[first - 2].startswith("#"):
            first -= 1  # the comment lines right above belong to it
        body = "\n".join(_resolve(lines[first - 1 : node.end_lineno], online, name))
        definitions[name] = Definition(name, body, _names(ast.parse(body), name))
    return Runtime(definitions, imports)


def _alias(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def _names(tree: ast.AST, where: str) -> frozenset[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    if MODE in names:
        raise EmbedError(f"{where}: {MODE} may only appear as `if {MODE}:`, `if not {MODE}:` or `if {MODE} and ...:`")
    return frozenset(names)


def _test_kind(test: ast.expr) -> str | None:
    """'on' (if ONLINE), 'off' (if not ONLINE), 'and' (if ONLINE and ...) or None."""
    if isinstance(test, ast.Name) and test.id == MODE:
        return "on"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name) \
            and test.operand.id == MODE:
        return "off"
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and isinstance(test.values[0], ast.Name) \
            and test.values[0].id == MODE:
        return "and"
    return None


def _resolve(lines: list[str], online: bool, where: str) -> list[str]:
    """The definition's lines with its mode tests resolved, one at a time from the last (so that the line
    numbers of those before stay right) until none is left."""
    while True:
        tree = ast.parse("\n".join(lines))
        found = _mode_tests(tree)
        if not found:
            return lines
        node, block = found[-1]
        lines = _resolve_one(lines, node, block, online, where)


def _mode_tests(tree: ast.AST) -> list[tuple[ast.If, list[ast.stmt]]]:
    """Every `if` on the mode with the statement list it is in, in source order; nested ones come after
    the one they are in, so resolving the last first never moves an outer one."""
    out: list[tuple[ast.If, list[ast.stmt]]] = []
    for parent in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list):
                out.extend((n, block) for n in block if isinstance(n, ast.If) and _test_kind(n.test))
        for handler in getattr(parent, "handlers", []):
            out.extend((n, handler.body) for n in handler.body if isinstance(n, ast.If) and _test_kind(n.test))
    return sorted(out, key=lambda item: (item[0].lineno, item[0].col_offset))


def _resolve_one(lines: list[str], node: ast.If, block: list[ast.stmt], online: bool, where: str) -> list[str]:
    kind = _test_kind(node.test)
    head = lines[node.lineno - 1]
    if head.lstrip().startswith("elif") or node.test.end_lineno != node.lineno:
        raise EmbedError(f"{where}: a mode test must be a one-line `if` (not an `elif`)")
    if node.orelse and isinstance(node.orelse[0], ast.If) and lines[node.orelse[0].lineno - 1].lstrip().startswith("elif"):
        raise EmbedError(f"{where}: a mode test cannot have an `elif`")
    start, end = node.lineno - 1, node.end_lineno  # lines[start:end] is the whole `if`
    body = lines[node.lineno : node.body[-1].end_lineno]
    orelse: list[str] = []
    if node.orelse:
        else_line = next(i for i in range(node.body[-1].end_lineno, node.orelse[0].lineno)
                         if lines[i].strip().startswith("else"))
        orelse = lines[else_line + 1 : node.orelse[-1].end_lineno]
    if kind == "and":
        if not online:
            return lines[:start] + _dedent(orelse, where) + lines[end:]
        text = f"{MODE} and "
        if head.count(text) != 1:
            raise EmbedError(f"{where}: write `if {MODE} and <test>:` with single spaces")
        return lines[:start] + [head.replace(text, "", 1)] + lines[start + 1 :]
    taken, stmts = (body, node.body) if (kind == "on") == online else (orelse, node.orelse)
    after = end
    if stmts and isinstance(stmts[-1], (ast.Return, ast.Raise)) and block[-1] is not node:
        after = block[-1].end_lineno  # what follows the `if` in its block cannot run
    return lines[:start] + _dedent(taken, where) + lines[after:]


def _dedent(lines: list[str], where: str) -> list[str]:
    out = []
    for line in lines:
        if line.strip() and not line.startswith("    "):
            raise EmbedError(f"{where}: cannot dedent {line!r} (a multi-line string in a mode branch?)")
        out.append(line[4:])
    return out
