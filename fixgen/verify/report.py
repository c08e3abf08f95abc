"""What verify measured, per index: its queries, mean/median before -> after, the speed-up; as text or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from fixgen.verify.measure import Timing
from fixgen.verify.queries import Statement, short


@dataclass
class QueryResult:
    statement: Statement
    texts: list[str]  # what runs: the query itself, or one copy per sampled row with the placeholders bound
    before: Timing | None = None
    after: Timing | None = None

    @property
    def speedup(self) -> float | None:
        if self.before is None or self.after is None or self.after.mean_ms <= 0:
            return None
        return self.before.mean_ms / self.after.mean_ms

    def as_dict(self) -> dict:
        s = self.statement
        return {"query": s.text, "origin": s.origin, "calls": s.calls, "total_ms": s.total_ms, "samples": len(self.texts),
                "before": self.before and self.before.as_dict(), "after": self.after and self.after.as_dict(),
                "speedup": _round(self.speedup)}


@dataclass
class IndexResult:
    table: str
    columns: tuple[str, ...]
    name: str
    issue: int  # 1-based number of the issue in the spec
    status: str = "measured"  # "measured" | "present" (the migration made nothing) | "no queries"
    queries: list[QueryResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # queries that use the table but could not run, and why

    @property
    def before_ms(self) -> float | None:
        return _sum(q.before for q in self.queries)

    @property
    def after_ms(self) -> float | None:
        return _sum(q.after for q in self.queries)

    @property
    def speedup(self) -> float | None:
        """Summed mean time of its queries before over after (each query counts once)."""
        before, after = self.before_ms, self.after_ms
        if before is None or after is None or after <= 0:
            return None
        return before / after

    def as_dict(self) -> dict:
        return {"issue": self.issue, "table": self.table, "columns": list(self.columns), "name": self.name,
                "status": self.status, "before_ms": _round(self.before_ms), "after_ms": _round(self.after_ms),
                "speedup": _round(self.speedup), "queries": [q.as_dict() for q in self.queries],
                "skipped": self.skipped}


@dataclass
class Report:
    database: str  # the URL, password hidden
    dialect: str
    runs: int
    online: bool
    kept: bool  # --keep: the indexes were left in place
    indexes: list[IndexResult]
    also: list[str] = field(default_factory=list)  # the spec's other fixes applied with the indexes (they need them)
    warnings: list[str] = field(default_factory=list)  # for the person running it (the CLI prints them to stderr)

    def failing(self, min_speedup: float) -> list[IndexResult]:
        """Indexes verify built and measured whose queries got less than `min_speedup` times faster (one already
        there, or without a query to run, is no failure: the report lists it)."""
        return [r for r in self.indexes if r.status == "measured" and r.speedup is not None and r.speedup < min_speedup]

    def as_json(self) -> str:
        return json.dumps({"database": self.database, "dialect": self.dialect, "runs": self.runs,
                           "online": self.online, "kept": self.kept, "also_applied": self.also, "warnings": self.warnings,
                           "indexes": [r.as_dict() for r in self.indexes]}, indent=2) + "\n"

    def as_text(self) -> str:
        lines = [f"verify on {self.database} ({self.dialect}): mean of up to {self.runs} runs per query, before -> after", ""]
        for r in self.indexes:
            head = f"#{r.issue} {r.name} on {r.table} ({', '.join(r.columns)})"
            if r.status == "present":
                head += ": already there before the migration (it made nothing); measured as it is"
            elif r.status == "no queries":
                head += ": no query to measure"
            elif r.speedup is not None:
                head += f": {_ms(r.before_ms)} -> {_ms(r.after_ms)}, {r.speedup:.1f}x faster"
            lines.append(head)
            for q in r.queries:
                if q.before is None or q.after is None:
                    continue
                calls = f", {q.statement.calls} calls" if q.statement.calls is not None else ""
                lines.append(f"  {_ms(q.before.mean_ms):>10} -> {_ms(q.after.mean_ms):>9}  {_x(q.speedup):>8}  "
                             f"median {_ms(q.before.median_ms)} -> {_ms(q.after.median_ms)}  "
                             f"[{q.statement.origin}{calls}] {short(q.statement.text, 70)}")
            for why in r.skipped:
                lines.append(f"  not run: {why}")
        lines.append("")
        for what in self.also:
            lines.append(f"also applied, as the indexes need it: {what}")
        lines.append("the indexes were kept (--keep)" if self.kept else
                     "rolled back with the migration's downgrade(): the database is as it was")
        return "\n".join(lines) + "\n"


def _sum(timings) -> float | None:  # Iterable[Timing | None]
    values = [t.mean_ms for t in timings if t is not None]
    return sum(values) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"
