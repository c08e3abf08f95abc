"""From verified candidates to proposals: which to keep, and the `missing_index` finding each becomes.

Shared by every workload reader: a reader fills in each candidate's `costs` (per query, before and
after the index), `cost_before`/`cost_after` (their sums) and `verified`, then calls `choose` and
`finding_of`.
"""

from __future__ import annotations

import re

from fixgen.findings import Finding, printable
from fixgen.workload.model import Candidate

SOURCE = "fixgen detect: workload"
DEFAULT_MIN_GAIN = 0.5


def widen(cands: list[Candidate]) -> list[Candidate]:
    """Give each candidate the queries of the candidates it serves too (the leading-prefix rule: an index on
    (a, b, c) serves a query that asks for (a, b)), so that a wider index is judged on everything it would
    serve, and a narrower rival it covers can be dropped for it."""
    for wide in cands:
        for narrow in cands:
            if narrow is not wide and narrow.table == wide.table and narrow.served_by(wide.columns):
                wide.queries += [q for q in narrow.queries if q not in wide.queries]
    return cands


def choose(cands: list[Candidate], min_gain: float = DEFAULT_MIN_GAIN) -> list[Candidate]:
    """The candidates to propose: verified, lowering the summed cost of their queries by at least `min_gain`
    (0.5: to half or less), and of rivals on one table the one that saves the workload most (each query's cost
    drop times its calls); a candidate covered by (or covering) one kept, or whose queries the kept ones already
    serve, is not proposed too. In a stable order: by table, then columns."""
    good = [c for c in cands if c.gain is not None and c.gain >= min_gain]
    kept: list[Candidate] = []
    for cand in sorted(good, key=lambda c: (-c.saved, -(c.gain or 0), len(c.columns), c.table, c.columns)):
        rivals = [k for k in kept if k.table == cand.table]
        if any(cand.served_by(k.columns) or k.served_by(cand.columns) for k in rivals):
            continue
        served = {q for k in rivals for q in k.costs}
        if cand.costs and all(q in served for q in cand.costs):
            continue
        kept.append(cand)
    return sorted(kept, key=lambda c: (c.table, c.columns))


def finding_of(cand: Candidate, source: str, how: str) -> Finding:
    """`missing_index` on the candidate's columns (named by fixgen like any other), its message the evidence:
    the queries it serves (shortened), their calls and total time, and the summed cost before -> after."""
    queries = list(cand.costs) or cand.queries
    calls = sum(q.calls for q in queries)
    total_s = sum(q.total_ms for q in queries) / 1000
    n = len(queries)
    cols = ", ".join(cand.columns)
    shown = "; ".join(shorten(q.text) for q in sorted(queries, key=lambda q: -q.total_ms)[:3])
    more = f"; and {n - 3} more" if n > 3 else ""
    gain = f", -{_percent(cand.gain)}" if cand.gain is not None else ""
    message = (f"index {cand.table} ({cols}) serves {n} quer{'y' if n == 1 else 'ies'} ({calls:,} calls, "
               f"{total_s:,.1f} s): cost {_num(cand.cost_before)} -> {_num(cand.cost_after)} ({how}{gain}): "
               f"{shown}{more}")
    return Finding("missing_index", {"table": cand.table, "columns": list(cand.columns)}, source, message)


def combine(catalog: list[Finding], workload: list[Finding]) -> list[Finding]:
    """The catalog's findings, then the workload's; a catalog `missing_index` that a workload index serves by the
    leading-prefix rule (the workload's (agent_id, status) for a foreign key on agent_id) is left out and named
    in that index's message instead: two indexes, one a prefix of the other, would make the next detect report
    the narrower one as redundant."""
    def served(f: Finding, by: Finding) -> bool:
        cols, wide = list(f.fields["columns"]), list(by.fields["columns"])
        return (f.fields["table"] == by.fields["table"] and len(wide) >= len(cols)
                and set(wide[:len(cols)]) == set(cols))

    wide = [w for w in workload if w.kind == "missing_index"]
    out = []
    for f in catalog:
        by = next((w for w in wide if f.kind == "missing_index" and served(f, w)), None)
        if by is None:
            out.append(f)
        else:
            by.message += f"; it also serves what {f.source} asked for ({f.message})"
    return [*out, *workload]


def shorten(text: str, limit: int = 80) -> str:
    """A query for a message: one line, printable, at most `limit` characters."""
    one = printable(re.sub(r"\s+", " ", text).strip())
    return one if len(one) <= limit else one[:limit - 3] + "..."


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _percent(share: float) -> str:
    """99.996 % stays below 100 % when shown: "-100.0 %" would claim the queries cost nothing now."""
    shown = round(100 * share, 1)
    return f"{min(shown, 99.9) if share < 1 else shown:.1f} %"
