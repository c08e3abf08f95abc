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

    @cached_property
    def stamp(self) -> str:
        return self.created.strftime("%Y%m%d%H%M%S")

    @cached_property
    def migration_id(self) -> str:
        """The key under which the ledger records this migration's steps."""
        return f"{self.stamp}_{self.name}"


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
