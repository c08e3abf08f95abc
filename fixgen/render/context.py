"""What every renderer needs besides the plan: identity and provenance of the migration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from fixgen.spec import Meta

LEDGER = "fixgen_ledger"


@dataclass(frozen=True)
class Context:
    created: datetime
    name: str
    source: str  # the spec's file name, or "<stdin>"
    version: str
    revision: str | None = None  # alembic: this revision's id
    down_revision: str | None = None  # alembic: the revision it follows
    online: bool = True  # PostgreSQL/MySQL: changes that don't block writes (see README, "Online mode")
    lock_timeout_ms: int = 5000  # online: give up waiting for a lock after this long
    statement_timeout_ms: int = 30000  # online: limit for statements that hold write-blocking locks

    @cached_property
    def lock_timeout(self) -> str:
        return _duration(self.lock_timeout_ms)

    @cached_property
    def statement_timeout(self) -> str:
        return _duration(self.statement_timeout_ms)

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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """Make user text safe inside a line comment of any target: no line breaks, ever."""
    if text.isprintable():  # the common case: no control or separator characters at all
        return text.strip()
    return _CONTROL.sub(" ", text).strip()


def issue_comments(issues: tuple[Meta, ...]) -> list[str]:
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
