"""The only module that touches the disk: atomic writes that never clobber by accident."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from fixgen.errors import OutputError


def write_files(directory: Path, files: dict[str, str], force: bool = False) -> list[Path]:
    """Write every file or none: all existence checks happen before the first write."""
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"--out {directory} exists and is not a directory")
    targets = [directory / name for name in files]
    if not force:
        existing = [str(p) for p in targets if p.exists()]
        if existing:
            raise OutputError(f"refusing to overwrite {', '.join(existing)} (use --force)")
    clash = [str(p) for p in targets if p.is_dir()]
    if clash:
        raise OutputError(f"cannot write {', '.join(clash)}: a directory is in the way")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create --out {directory}: {e.strerror or e}") from None
    written = []
    for path, text in zip(targets, files.values(), strict=True):
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as e:
            raise OutputError(f"cannot write into {directory}: {e.strerror or e}") from None
        _fill_and_replace(fd, tmp, path, text.encode("utf-8"), _mode_for(path))
        written.append(path)
    return written


def _mode_for(path: Path) -> int:
    """The mode a plain write would give: an existing file keeps its own (--force), a new one follows the umask
    (mkstemp's 0600 would hide a migration from the deploy user that runs it)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fill_and_replace(fd: int, tmp: str, path: Path, data: bytes, mode: int | None = None) -> None:
    """Write the temp file, then move it over `path` in one step; on any failure no temp file stays."""
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_file(path: Path, text: str, force: bool = False) -> Path:
    """One file, atomically (a spec from `import`/`detect --out`)."""
    if path.is_dir():
        raise OutputError(f"--out {path} is a directory; give a file name")
    return write_files(path.parent, {path.name: text}, force=force)[0]


def free_timestamp(directory: Path | None, when: datetime, stamp_format: str, own_suffixes: tuple[str, ...]) -> datetime:
    """Bump `when` by a second while another migration in `directory` already starts with its stamp.

    Like Laravel's migration file names, stamps order migrations: two with one stamp
    run in an arbitrary order. Files that are exactly ours (same stamp and name) are
    not "another migration": overwriting them is --force's business.
    """
    if directory is None or not directory.is_dir():
        return when
    names = [p.name for p in directory.iterdir()]
    for _ in range(3600):
        prefix = when.strftime(stamp_format) + "_"
        others = [n for n in names if n.startswith(prefix) and not n.endswith(tuple(prefix + s for s in own_suffixes))]
        if not others:
            return when
        when += timedelta(seconds=1)
    raise OutputError(f"no free migration timestamp in {directory} within an hour of the requested one")


def replace_file(path: Path, data: bytes) -> Path:
    """Replace an existing file's bytes atomically (temp file in its directory + os.replace), keeping its mode."""
    try:
        mode = path.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    _fill_and_replace(fd, tmp, path, data, mode)
    return path


def find_fingerprint(directory: Path | None, fingerprint: str) -> Path | None:
    """The migration in `directory` whose header states this fingerprint (its .up.sql for the sql target)."""
    if directory is None or not directory.is_dir():
        return None
    needle = f"Fingerprint: {fingerprint} "
    for path in sorted(directory.iterdir()):
        if path.suffix not in (".php", ".py", ".sql") or path.name.endswith(".down.sql") or not path.is_file():
            continue
        try:
            with path.open(encoding="utf-8", errors="replace") as f:
                head = f.read(8192)
        except OSError:
            continue
        if needle in head:
            return path
    return None
