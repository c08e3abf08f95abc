"""How one module names SQLAlchemy's objects, and the imports a rewrite adds to it (merged into the module's own
`from x import` lines, kept in isort's order when they were in it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst


@dataclass
class ImportNames:
    """How one module can name SQLAlchemy's objects: `from sqlalchemy import Index as Ix` -> Ix,
    `import sqlalchemy as sa` -> sa.Index; a name it cannot spell yet is imported (`needed`)."""

    direct: dict[tuple[str, str], str]  # (module, name) -> local name
    modules: dict[str, str]  # module -> local name (import sqlalchemy as sa)
    needed: list[tuple[str, str]] = field(default_factory=list)  # (module, name) to add with `from module import name`
    bare_imports: list[str] = field(default_factory=list)  # modules to add with `import module`

    @classmethod
    def of(cls, module: cst.Module) -> ImportNames:
        direct: dict[tuple[str, str], str] = {}
        modules: dict[str, str] = {}
        for stmt in module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative \
                        and not isinstance(small.names, cst.ImportStar):
                    mod = _dotted(small.module)
                    for alias in small.names:
                        name = _dotted(alias.name)
                        local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                        direct[(mod, name)] = local
                elif isinstance(small, cst.Import):
                    for alias in small.names:
                        name = _dotted(alias.name)
                        if alias.asname:
                            modules[name] = alias.asname.name.value  # type: ignore[union-attr]
                        else:
                            modules.setdefault(name.split(".")[0], name.split(".")[0])
                            modules[name] = name
        return cls(direct, modules)

    def local(self, module: str, name: str) -> str | None:
        """The local spelling of module.name if the module already imports it, else None."""
        if (module, name) in self.direct:
            return self.direct[(module, name)]
        if module in self.modules:
            return f"{self.modules[module]}.{name}"
        return None

    def sa(self, name: str) -> str:
        """A name of the `sqlalchemy` package (Index, ForeignKey, String, text ...)."""
        for mod in ("sqlalchemy", "sqlalchemy.schema", "sqlalchemy.types", "sqlalchemy.sql"):
            if (mod, name) in self.direct:
                return self.direct[(mod, name)]
        if "sqlalchemy" in self.modules:
            return f"{self.modules['sqlalchemy']}.{name}"
        return self._need("sqlalchemy", name)

    def orm(self, name: str) -> str:
        """A name of `sqlalchemy.orm` (mapped_column, Mapped)."""
        found = self.local("sqlalchemy.orm", name)
        if found is not None:
            return found
        if ("sqlalchemy", "orm") in self.direct:
            return f"{self.direct[('sqlalchemy', 'orm')]}.{name}"
        return self._need("sqlalchemy.orm", name)

    def typing(self, name: str) -> str:
        return self.local("typing", name) or self._need("typing", name)

    def datetime(self, name: str) -> str:
        """datetime.datetime / .date / .time as this module can spell it."""
        if ("datetime", name) in self.direct:
            return self.direct[("datetime", name)]
        if "datetime" in self.modules:
            return f"{self.modules['datetime']}.{name}"
        if any(local == "datetime" for local in self.direct.values()):  # `from datetime import datetime` only
            return self._need("datetime", name)
        self.bare_imports.append("datetime")
        self.modules["datetime"] = "datetime"
        return f"datetime.{name}"

    def decimal(self) -> str:
        return self.local("decimal", "Decimal") or self._need("decimal", "Decimal")

    def _need(self, module: str, name: str) -> str:
        if (module, name) not in self.needed:
            self.needed.append((module, name))
        self.direct[(module, name)] = name
        return name


def _dotted(node: Any) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    raise TypeError(node)


def add_imports(module: Any, names: ImportNames) -> Any:
    """The module with the imports `names` found missing, merged into its own `from x import` lines."""
    if not names.needed and not names.bare_imports:
        return module
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    ctx = CodemodContext()
    for mod, name in names.needed:
        AddImportsVisitor.add_needed_import(ctx, mod, name)
    for mod in names.bare_imports:
        AddImportsVisitor.add_needed_import(ctx, mod)
    added = AddImportsVisitor(ctx).transform_module(module)
    return added.visit(_KeepSorted({m for m, _ in names.needed}, {n for _, n in names.needed}))


def _isort_key(name: str) -> tuple[int, str]:
    """isort's (and ruff's) default order in a `from x import` list: CONSTANTS, Classes, functions."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name


class _KeepSorted(cst.CSTTransformer):
    """A `from x import` list that was sorted stays sorted with the names added to it (else they go first)."""

    def __init__(self, modules: set[str], added: set[str]) -> None:
        self.modules = modules
        self.added = added

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        if updated.module is None or isinstance(updated.names, cst.ImportStar) or _dotted(updated.module) not in self.modules:
            return updated
        aliases = list(updated.names)
        keys = [_isort_key(_dotted(a.name)) for a in aliases]
        own = [k for a, k in zip(aliases, keys, strict=True) if _dotted(a.name) not in self.added or a.asname]
        if own != sorted(own) or keys == sorted(keys):
            return updated
        commas = [a.comma for a in aliases]
        ordered = sorted(aliases, key=lambda a: _isort_key(_dotted(a.name)))
        return updated.with_changes(names=[a.with_changes(comma=c) for a, c in zip(ordered, commas, strict=True)])
