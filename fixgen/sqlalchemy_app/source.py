"""An app's Python files, parsed once: which files are read, and how each module spells SQLAlchemy's names.

Migrations are history and are never read or touched: an Alembic script directory (env.py next to
script.py.mako, and its versions/) is skipped, like virtual environments and caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixgen.errors import FixgenError, Problem

SKIP_DIRS = frozenset({"__pycache__", "node_modules", "vendor", "site-packages", "venv", "env", "build", "dist", "versions"})


def libcst() -> Any:
    """The libcst module, or a clear error naming the extra that installs it."""
    try:
        import libcst as cst
    except ImportError:
        raise FixgenError([Problem("fixgen models --orm sqlalchemy needs libcst: pip install 'fixgen[sqlalchemy]'")]) from None
    return cst


@dataclass
class Source:
    """One parsed file: `path` relative to the app root, its bytes, the module and its positions."""

    path: str
    full: Path
    data: bytes
    module: Any  # libcst.Module
    positions: Any  # node -> libcst CodeRange
    names: Any  # imports.ImportNames: how this module spells SQLAlchemy's names

    def line(self, node: Any) -> int:
        return self.positions[node].start.line


def python_files(root: Path) -> list[Path]:
    """The app's .py files in path order, without migrations, virtual environments, caches and hidden folders."""
    out: list[Path] = []

    def walk(d: Path) -> None:
        if (d / "env.py").is_file() and (d / "script.py.mako").is_file():
            return  # an Alembic script directory: migrations are history
        for p in sorted(d.iterdir()):
            if p.name.startswith("."):
                continue
            if p.is_dir():
                if p.name not in SKIP_DIRS and not (p / "pyvenv.cfg").exists():
                    walk(p)
            elif p.suffix == ".py" and p.is_file():
                out.append(p)

    walk(root)
    return out


def load_sources(root: Path) -> tuple[list[Source], list[Problem]]:
    """Every file parsed, and one problem per file that is not UTF-8 Python libcst can read."""
    cst = libcst()
    from libcst.metadata import MetadataWrapper, PositionProvider

    from fixgen.sqlalchemy_app.imports import ImportNames

    if not root.is_dir():
        raise FixgenError([Problem(f"--app {root}: no such directory")])
    sources, problems = [], []
    for full in python_files(root):
        rel = full.relative_to(root).as_posix()
        data = full.read_bytes()
        try:
            module = cst.parse_module(data)
        except cst.ParserSyntaxError as e:
            problems.append(Problem(f"not Python that parses: {e.message}", rel, e.raw_line))
            continue
        except UnicodeDecodeError:
            problems.append(Problem("not UTF-8 text", rel))
            continue
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)  # keep node identity: edits find nodes by it
        src = Source(rel, full, data, module, wrapper.resolve(PositionProvider), ImportNames.of(module))
        sources.append(src)
    return sources, problems


def orm_of(root: Path, explicit: str | None) -> str:
    """laravel or sqlalchemy: `--orm` if given, else what DIR holds (an app/ with PHP: Laravel; Python that
    declares tables: SQLAlchemy); both is an error asking for --orm, neither is Laravel (whose loader says why
    DIR is no Laravel app)."""
    if explicit is not None:
        if explicit not in ("laravel", "sqlalchemy"):
            raise FixgenError([Problem(f"--orm must be laravel or sqlalchemy, got {explicit!r}")])
        return explicit
    if not root.is_dir():
        raise FixgenError([Problem(f"--app {root}: no such directory")])
    laravel = (root / "app").is_dir() and next((root / "app").rglob("*.php"), None) is not None
    sqlalchemy = any(_declares_tables(p) for p in python_files(root))
    if laravel and sqlalchemy:
        raise FixgenError([Problem(f"--app {root} holds a Laravel app/ and SQLAlchemy models: say which with "
                                   "--orm laravel or --orm sqlalchemy")])
    return "sqlalchemy" if sqlalchemy else "laravel"  # neither: Laravel, the default, says what it misses


def _declares_tables(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "sqlalchemy" in text and ("__tablename__" in text or "Table(" in text)
