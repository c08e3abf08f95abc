"""Read an Alembic versions directory to find the head to chain onto, without importing user code."""

from __future__ import annotations

import ast
from pathlib import Path

from fixgen.errors import FixgenError


def _literal(node: ast.AST) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def read_revision(path: Path) -> tuple[str | None, str | None]:
    """(revision, down_revision) of one revision file (down_revision only when it is a single id)."""
    values = _values(path)
    rev, down = values.get("revision"), values.get("down_revision")
    return (rev if isinstance(rev, str) else None), (down if isinstance(down, str) else None)


def _values(path: Path) -> dict[str, object]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError) as e:
        raise FixgenError(f"cannot read Alembic revision {path}: {e}") from None
    values: dict[str, object] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        if target in ("revision", "down_revision"):
            values[target] = _literal(value)
    return values


def read_revisions(directory: Path) -> dict[str, tuple[str, ...]]:
    """revision id -> its down revisions, for every revision file in `directory`."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(directory.glob("*.py")):
        values = _values(path)
        rev = values.get("revision")
        if not isinstance(rev, str):
            continue
        down = values.get("down_revision")
        if isinstance(down, str):
            out[rev] = (down,)
        elif isinstance(down, (tuple, list)):
            out[rev] = tuple(d for d in down if isinstance(d, str))
        else:
            out[rev] = ()
    return out


def single_head(directory: Path, own_revision: str) -> str | None:
    """The one head of the versions directory (ignoring our own revision), None if there is none.

    Several heads are an error: which branch a fix belongs to is the user's call.
    """
    if not directory.is_dir():
        return None
    revisions = read_revisions(directory)
    revisions.pop(own_revision, None)
    referenced = {d for downs in revisions.values() for d in downs}
    heads = sorted(set(revisions) - referenced)
    if len(heads) > 1:
        raise FixgenError(f"{directory} has several heads ({', '.join(heads)}): choose one with --down-revision")
    return heads[0] if heads else None
