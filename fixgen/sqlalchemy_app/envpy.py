"""Add fixgen's `include_name` hook (fixgen/targets/alembic/autogenerate.py) to an Alembic env.py: the function
once, before env.py's first function, and `include_name=include_name` in every `context.configure(...)`.
Idempotent; an env.py with an `include_name` of its own is reported to edit by hand, never rewritten."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libcst as cst

from fixgen import ledger
from fixgen.errors import FixgenError, Problem
from fixgen.sqlalchemy_app import edits
from fixgen.sqlalchemy_app.models import call_name, keyword
from fixgen.sqlalchemy_app.rewrite import Change
from fixgen.targets.alembic.autogenerate import HOOK, HOOK_NAME


def patch_env_py(path: Path, shown: str) -> tuple[list[Change], str | None, bytes]:
    """(report lines, the new text or None when nothing changes, the bytes read)."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        data = path.read_bytes()
        module = cst.parse_module(data)
    except OSError as e:
        raise FixgenError([Problem(f"--env-py {shown}: {e.strerror or e}")]) from None
    except cst.ParserSyntaxError as e:
        raise FixgenError([Problem(f"not Python that parses: {e.message}", shown, e.raw_line)]) from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    pos = wrapper.resolve(PositionProvider)
    calls = _configure_calls(module)
    if not calls:
        raise FixgenError([Problem("no context.configure(...) call: is this Alembic's env.py?", shown)])
    changes: list[Change] = []
    hook = next((s for s in module.body if isinstance(s, cst.FunctionDef) and s.name.value == HOOK_NAME), None)
    ours = hook is not None and _same_code(cst.Module([]).code_for_node(hook.with_changes(leading_lines=[])), HOOK)
    if hook is not None and not ours:
        changes.append(Change(shown, pos[hook].start.line, HOOK_NAME, "env.py has an include_name of its own: make it "
                              f"return False for the table {ledger.TABLE}: check by hand", fix=False))
    replaced: dict[int, cst.Call] = {}
    for call in calls:
        arg = keyword(call, HOOK_NAME)
        if arg is None:
            if hook is None or ours:
                replaced[id(call)] = edits.add_arg(call, f"{HOOK_NAME}={HOOK_NAME}")
                changes.append(Change(shown, pos[call].start.line, "context.configure", f"{HOOK_NAME}={HOOK_NAME}"))
        elif not (isinstance(arg.value, cst.Name) and arg.value.value == HOOK_NAME):
            changes.append(Change(shown, pos[call].start.line, "context.configure",
                                  f"passes {HOOK_NAME}={cst.Module([]).code_for_node(arg.value)}: make it leave out "
                                  "fixgen_ledger: check by hand", fix=False))
    add_hook = hook is None and bool(replaced)
    first = next((s for s in module.body if isinstance(s, cst.FunctionDef)), None)  # where the hook goes
    line = pos[first].start.line if first is not None else len(data.splitlines()) + 1
    if not replaced:
        return changes, None, data
    module = module.visit(_Configure(replaced))
    if add_hook:
        module = _with_hook(module)
        changes.insert(0, Change(shown, line, HOOK_NAME, f"def {HOOK_NAME}(...): autogenerate leaves fixgen_ledger out"))
    return changes, module.code, data


def _same_code(a: str, b: str) -> bool:
    return [ln.rstrip() for ln in a.strip().splitlines()] == [ln.rstrip() for ln in b.strip().splitlines()]


def _configure_calls(module: cst.Module) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            f = node.func
            if call_name(node) == "configure" and isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) \
                    and f.value.value == "context":
                found.append(node)

    module.visit(Finder())
    return found


class _Configure(cst.CSTTransformer):
    def __init__(self, replaced: dict[int, cst.Call]) -> None:
        self.replaced = replaced

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> Any:
        new = self.replaced.get(id(original))
        return updated if new is None else updated.with_changes(args=new.args)


def _with_hook(module: cst.Module) -> cst.Module:
    """The hook before the first top-level function (or at the end), spaced as PEP 8 spaces functions."""
    body = list(module.body)
    at = next((i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)), len(body))
    hook = cst.parse_module(HOOK).body[0]
    two = [cst.EmptyLine(), cst.EmptyLine()]
    if at < len(body):
        first = body[at]
        hook = hook.with_changes(leading_lines=first.leading_lines)
        body[at] = first.with_changes(leading_lines=two)
    else:
        hook = hook.with_changes(leading_lines=two)
    body.insert(at, hook)
    return module.with_changes(body=body)
