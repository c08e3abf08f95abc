"""PHP through tree-sitter: parsing, string literals and class-name resolution.

Everything that knows tree-sitter's node types lives here, so the Laravel logic in
models.py and references.py reads as Laravel, not as a syntax tree walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fixgen.errors import FixgenError

INSTALL_HINT = "pip install 'fixgen[laravel]'"
CALLS = ("member_call_expression", "nullsafe_member_call_expression", "scoped_call_expression")

_parser: Any = None


def parser() -> Any:
    """The PHP parser, created once; tree-sitter is imported only when a command needs it."""
    global _parser
    if _parser is None:
        try:
            import tree_sitter
            import tree_sitter_php
        except ImportError:
            raise FixgenError(f"fixgen models needs tree-sitter and tree-sitter-php: {INSTALL_HINT}") from None
        _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_php.language_php()))
    return _parser


@dataclass
class Source:
    """One parsed PHP file; `path` is relative to the app root (posix), `data` its exact bytes."""

    path: str
    data: bytes
    tree: Any
    namespace: str = ""
    uses: dict[str, str] = field(default_factory=dict)  # alias -> fully qualified class name

    @property
    def root(self) -> Any:
        return self.tree.root_node

    def resolve(self, name: str) -> str:
        """A class name as written here -> fully qualified (no leading backslash), PHP's rules."""
        if name.startswith("\\"):
            return name[1:]
        first, _, rest = name.partition("\\")
        if first in self.uses:
            return self.uses[first] + ("\\" + rest if rest else "")
        return f"{self.namespace}\\{name}" if self.namespace else name


def parse(path: str, data: bytes) -> Source:
    """Parse one file; a file tree-sitter cannot parse cleanly is an error naming its first bad line."""
    tree = parser().parse(data)
    if tree.root_node.has_error:
        bad = first_error(tree.root_node)
        line = bad.start_point[0] + 1 if bad is not None else 1
        raise FixgenError(f"{path}:{line}: PHP parse error; this file is skipped and never rewritten")
    src = Source(path, data, tree)
    _read_names(src)
    return src


def first_error(node: Any) -> Any:
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing or child.type == "ERROR":
            found = first_error(child)
            if found is not None:
                return found
    return None


def _read_names(src: Source) -> None:
    for node in src.root.children:
        if node.type == "namespace_definition":
            name = node.child_by_field_name("name")
            if name is not None:
                src.namespace = text(name)
        elif node.type == "namespace_use_declaration":
            _read_use(src, node)


def _read_use(src: Source, decl: Any) -> None:
    kinds = {c.type for c in decl.children if not c.is_named}
    if "function" in kinds or "const" in kinds:
        return
    prefix = next((text(c) for c in decl.named_children if c.type == "namespace_name"), "")
    group = decl.child_by_field_name("body")
    clauses = group.named_children if group is not None else decl.named_children
    for clause in clauses:
        if clause.type != "namespace_use_clause":
            continue
        alias = clause.child_by_field_name("alias")
        target = next(c for c in clause.named_children if c.type in ("name", "qualified_name"))
        full = text(target).lstrip("\\")
        if prefix:
            full = f"{prefix}\\{full}"
        short = text(alias) if alias is not None else full.rsplit("\\", 1)[-1]
        src.uses[short] = full


def text(node: Any) -> str:
    return node.text.decode("utf-8")


def line_of(node: Any) -> int:
    return node.start_point[0] + 1


def walk(node: Any) -> Iterator[Any]:
    """Every node below `node`, depth first, in source order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


@dataclass(frozen=True)
class Literal:
    """A plain string literal: its value and the byte range of that value inside the quotes."""

    node: Any
    value: str
    start: int
    end: int


def literal(node: Any) -> Literal | None:
    """A '...' or "..." string with no escapes or interpolation (those are never rewritten)."""
    if node is None or node.type not in ("string", "encapsed_string"):
        return None
    inner = node.children[1:-1]
    if not inner:
        return Literal(node, "", node.start_byte + 1, node.start_byte + 1)
    if len(inner) != 1 or inner[0].type != "string_content":
        return None
    return Literal(node, text(inner[0]), inner[0].start_byte, inner[0].end_byte)


def call_name(call: Any) -> str | None:
    name = call.child_by_field_name("name")
    return text(name) if name is not None and name.type == "name" else None


def arguments(call: Any) -> list[tuple[str | None, Any]]:
    """(name or None, expression) for each argument; spread (...$x) arguments end the list."""
    args = call.child_by_field_name("arguments")
    out: list[tuple[str | None, Any]] = []
    if args is None:
        return out
    for arg in args.named_children:
        if arg.type != "argument":
            continue
        if any(c.type == "..." for c in arg.children):
            break
        name = arg.child_by_field_name("name")
        value = arg.named_children[-1]
        out.append((text(name) if name is not None else None, value))
    return out


def bind(params: tuple[str, ...], args: list[tuple[str | None, Any]]) -> dict[str, Any]:
    """Positional and PHP 8 named arguments -> {parameter name: expression}."""
    bound: dict[str, Any] = {}
    for i, (name, value) in enumerate(args):
        if name is not None:
            bound[name] = value
        elif i < len(params):
            bound[params[i]] = value
    return bound


def class_ref(src: Source, node: Any) -> str | None:
    """The fully qualified class a `Foo::class` or 'App\\Foo' argument names, else None."""
    if node is None:
        return None
    if node.type == "class_constant_access_expression":
        parts = node.named_children
        if len(parts) == 2 and text(parts[1]) == "class" and parts[0].type in ("name", "qualified_name"):
            return src.resolve(text(parts[0]))
        return None
    lit = literal(node)
    if lit is not None and lit.value and all(p.isidentifier() for p in lit.value.strip("\\").split("\\")):
        return lit.value.replace("\\\\", "\\").lstrip("\\")
    return None


def array_items(node: Any) -> list[tuple[Any, Any]]:
    """(key node or None, value node) of an array literal."""
    if node is None or node.type != "array_creation_expression":
        return []
    out = []
    for item in node.named_children:
        if item.type != "array_element_initializer":
            continue
        kids = item.named_children
        if len(kids) == 2:
            out.append((kids[0], kids[1]))
        elif len(kids) == 1:
            out.append((None, kids[0]))
    return out


def enclosing(node: Any, types: tuple[str, ...]) -> Any:
    n = node.parent
    while n is not None and n.type not in types:
        n = n.parent
    return n
