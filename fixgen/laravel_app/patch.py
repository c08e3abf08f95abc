"""Turn references into patched file contents, a unified diff, and safe writes.

Only references with a replacement are applied ("check by hand" ones never are). Each
patched file is checked with `php -l` before it replaces the original, and replaced
atomically; a file that changed on disk since it was read is left alone.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fixgen.errors import FixgenError, Problem
from fixgen.laravel_app.models import App
from fixgen.laravel_app.references import Reference


@dataclass(frozen=True)
class Patch:
    file: str  # relative to the app root
    path: Path
    before: bytes
    after: bytes


def build_patches(app: App, refs: list[Reference]) -> list[Patch]:
    """One patch per file with something to rewrite, edits applied back to front so offsets hold."""
    by_file: dict[str, list[Reference]] = {}
    for r in refs:
        if r.replacement is not None:
            by_file.setdefault(r.file, []).append(r)
    sources = {s.path: s for s in app.sources}
    patches = []
    for file in sorted(by_file):
        data = sources[file].data
        out = data
        for r in sorted(by_file[file], key=lambda r: r.start, reverse=True):
            assert r.replacement is not None
            out = out[:r.start] + r.replacement.encode("utf-8") + out[r.end:]
        patches.append(Patch(file, app.root / file, data, out))
    return patches


def unified_diff(patches: list[Patch]) -> str:
    """`diff -u`-style text with a/ and b/ prefixes, so `patch -p1` applies it from the app root."""
    chunks = []
    for p in patches:
        a = p.before.decode("utf-8").splitlines(keepends=True)
        b = p.after.decode("utf-8").splitlines(keepends=True)
        for line in difflib.unified_diff(a, b, f"a/{p.file}", f"b/{p.file}"):
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def php_binary() -> str | None:
    return shutil.which("php")


def php_lint(data: bytes, file: str, php: str) -> str | None:
    """`php -l` on the text; None if it passes, else PHP's message."""
    proc = subprocess.run([php, "-d", "display_errors=1", "-d", "log_errors=0", "-l"], input=data,
                          capture_output=True, timeout=60)
    if proc.returncode == 0:
        return None
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    first = next((ln.strip() for ln in out.splitlines() if "error" in ln.lower()), out.strip() or f"exit {proc.returncode}")
    return f"{file}: php -l fails on the patched text, not written: {first.replace('Standard input code', file)}"


def check_patches(patches: list[Patch]) -> bool:
    """Lint every patched text; raise listing every failure. Returns False when php is not installed."""
    php = php_binary()
    if php is None:
        return False
    problems = [Problem(m) for p in patches if (m := php_lint(p.after, p.file, php)) is not None]
    if problems:
        raise FixgenError(problems)
    return True


def write_patches(patches: list[Patch]) -> list[Path]:
    """Replace each file atomically; refuse all if any file changed since it was read."""
    from fixgen.writer import replace_file

    changed = [p.file for p in patches if p.path.read_bytes() != p.before]
    if changed:
        raise FixgenError([Problem(f"{f}: changed on disk while fixgen ran; nothing written") for f in changed])
    return [replace_file(p.path, p.after) for p in patches]
