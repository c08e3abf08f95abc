"""Error types shared by every stage; the CLI maps them to exit codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    index: int | None = None  # 0-based position of the issue in the spec

    def __str__(self) -> str:
        if self.file is None and self.line is None and self.index is None:
            return self.message
        where = self.file or "<spec>"
        if not where.isprintable():  # a file name with a line break or an escape sequence: shown, not obeyed
            where = repr(where)
        if self.line is not None:
            where += f":{self.line}"
        if self.index is not None:
            where += f": issue #{self.index + 1}"
        return f"{where}: {self.message}"


class FixgenError(Exception):
    """Base class of the errors a user can act on (exit code 2)."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SpecError(FixgenError):
    """The spec is malformed, invalid or self-contradicting."""


class UnsupportedError(FixgenError):
    """The chosen target/dialect cannot express some fix safely."""


class OutputError(FixgenError):
    """The output location is unusable (exists, not a directory, ...)."""
