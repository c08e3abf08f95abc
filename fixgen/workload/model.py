"""What a workload is made of, shared by every database's reader and the candidate planner.

A workload reader (PostgreSQL's pg_stat_statements, MySQL/MariaDB's statement digests) yields
`Query` rows; the planner turns them into `Candidate` indexes; a verifier fills in the costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Query:
    """One normalized statement as the database's statistics hold it."""

    text: str  # normalized: parameters as $1 (PostgreSQL) or ? (MySQL digests)
    calls: int
    total_ms: float
    dialect: str  # fixgen's dialect name: postgresql, mysql, sqlite
    truncated: bool = False  # the statistics cut the text short (MySQL digests end with "..."): not runnable

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0


@dataclass
class Candidate:
    """An index the workload asks for, and what verifying it found."""

    table: str
    columns: tuple[str, ...]  # equality columns first, then range, then sort
    queries: list[Query] = field(default_factory=list)
    cost_before: float | None = None  # summed planner cost of `queries` without the index
    cost_after: float | None = None  # ... with it (hypothetical where the database can, measured otherwise)
    verified: str = "no"  # how: "hypopg" | "explain" | "no"
    costs: dict[Query, tuple[float, float]] = field(default_factory=dict)  # per query: (before, after)
    eq_count: int = 0  # how many leading `columns` the queries compare with = / IN / IS NULL (any order among them)

    @property
    def saved(self) -> float:
        """The workload's cost saved: each verified query's cost drop times its calls (to rank rivals)."""
        return sum(q.calls * (before - after) for q, (before, after) in self.costs.items())

    @property
    def key(self) -> tuple[str, frozenset[str], tuple[str, ...]]:
        """Identity: the table, the equality columns as a set, the rest in order."""
        return self.table, frozenset(self.columns[:self.eq_count]), self.columns[self.eq_count:]

    def served_by(self, columns: tuple[str, ...]) -> bool:
        """An index on `columns` serves whatever this one would: its first `eq_count` columns are this one's
        equality columns in some order, then this one's other columns in order (the leading-prefix rule)."""
        n = len(self.columns)
        return (len(columns) >= n and set(columns[:self.eq_count]) == set(self.columns[:self.eq_count])
                and columns[self.eq_count:n] == self.columns[self.eq_count:])

    @property
    def gain(self) -> float | None:
        """Fraction of the summed cost the index removes (0.9 = 90 % cheaper)."""
        if self.cost_before is None or self.cost_after is None or self.cost_before <= 0:
            return None
        return 1 - self.cost_after / self.cost_before
