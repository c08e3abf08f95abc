"""Wall time of queries: each runnable copy once to warm the caches, then `runs` timed runs in turn.

A query whose runs take more than 30 s in all stops after 3 (its `runs` says how many ran). Timed on one
autocommit connection, rows fetched to the last (a query is done when its rows are), with
`time.perf_counter`. PostgreSQL can add the server's own figure: `EXPLAIN (ANALYZE, FORMAT JSON)`'s
Execution Time, which leaves out the network and the driver.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass

from fixgen.errors import FixgenError

BUDGET_MS = 30_000  # timed runs of one query stop once they took this long in all ...
MIN_RUNS = 3  # ... and at least this many ran


@dataclass(frozen=True)
class Timing:
    """Milliseconds per run of one query."""

    runs: int
    mean_ms: float
    median_ms: float
    rows: int  # rows the query returned on its last run
    server_ms: float | None = None  # PostgreSQL: mean EXPLAIN ANALYZE execution time

    def as_dict(self) -> dict[str, float | int | None]:
        return {"runs": self.runs, "mean_ms": round(self.mean_ms, 3), "median_ms": round(self.median_ms, 3),
                "rows": self.rows, "server_ms": None if self.server_ms is None else round(self.server_ms, 3)}


def time_query(conn, texts: list[str], runs: int, explain: str = "") -> Timing:  # conn: sqlalchemy.Connection
    """Time `runs` runs of the query, going round its runnable copies (`texts`, one per sampled row);
    `explain`: the dialect's EXPLAIN ANALYZE pattern, to add the server's own execution time."""
    import sqlalchemy as sa

    raw = conn.execution_options(no_parameters=True)  # the text goes as it is: `%` and `:` are no markers
    try:
        for text in texts:  # warm-up: caches and the plan cache hold the same on both sides
            raw.exec_driver_sql(text).fetchall()
        times: list[float] = []
        rows = 0
        for i in range(runs):
            text = texts[i % len(texts)]
            start = time.perf_counter()
            rows = len(raw.exec_driver_sql(text).fetchall())
            times.append((time.perf_counter() - start) * 1000)
            if len(times) >= MIN_RUNS and sum(times) > BUDGET_MS:
                break  # a query of seconds: a few runs say enough, and the index will not take as long
        server = None
        if explain:
            server = statistics.fmean(_execution_ms(raw, explain, t) for t in texts)
    except sa.exc.DBAPIError as e:
        raise FixgenError(f"the query failed: {str(e.orig).strip() or e}\n  query: {texts[0]}") from None
    return Timing(len(times), statistics.fmean(times), statistics.median(times), rows, server)


def _execution_ms(raw, explain: str, text: str) -> float:  # raw: sqlalchemy.Connection
    [(plan,)] = raw.exec_driver_sql(explain.format(query=text)).fetchall()
    doc = json.loads(plan) if isinstance(plan, str) else plan
    return float(doc[0]["Execution Time"])
