"""What every renderer needs besides the plan: identity and provenance of the migration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from fixgen import ledger
from fixgen.escape import one_line
from fixgen.spec import Meta

LEDGER = ledger.TABLE


@dataclass(frozen=True)
class Context:
    created: datetime
    name: str
    source: str  # the spec's file name, or "<stdin>"
    version: str
    revision: str | None = None  # alembic: this revision's id
    down_revision: str | None = None  # alembic: the revision it follows
    online: bool = True  # PostgreSQL/MySQL: changes that do not block writes (docs/online.md)
    lock_timeout_ms: int = 500  # online: each try at a write-conflicting lock waits at most this long
    lock_wait_ms: int = 120_000  # online: keep trying such a lock (with backoff) for at most this long in all
    statement_timeout_ms: int = 30000  # online: limit for statements that hold write-blocking locks
    run_lock_timeout_ms: int = 600_000  # wait at most this long for another run of the same migration
    fingerprint: str = ""  # the same spec, target and options give the same one: how emit finds its own migration

    @cached_property
    def lock_timeout(self) -> str:
        return _duration(self.lock_timeout_ms)

    @cached_property
    def lock_wait(self) -> str:
        return _duration(self.lock_wait_ms)

    @cached_property
    def statement_timeout(self) -> str:
        return _duration(self.statement_timeout_ms)

    @cached_property
    def run_lock_timeout(self) -> str:
        return _duration(self.run_lock_timeout_ms)

    @cached_property
    def stamp(self) -> str:
        return self.created.strftime("%Y%m%d%H%M%S")

    @cached_property
    def migration_id(self) -> str:
        """The key under which the ledger records this migration's steps."""
        return f"{self.stamp}_{self.name}"


def _duration(ms: int) -> str:
    """PostgreSQL's spelling of a duration: '5s', '1500ms'."""
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def issue_comments(issues: tuple[Meta, ...]) -> list[str]:
    """Where each issue came from, a line each: outside text, escaped by whoever writes it into a comment."""
    lines = []
    for m in issues:
        head = f"issue #{m.index + 1}"
        if m.id:
            head += f" [{m.id}]"
        if m.message:
            head += f": {m.message}"
        lines.append(one_line(head))
        if m.source:
            lines.append(one_line(f"  found by: {m.source}"))
    return lines
