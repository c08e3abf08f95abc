"""PostgreSQL partitioned tables: how fixgen adds an index or a foreign key to one, and takes it away again.

A partitioned table's index or key is a parent object with one child per partition. PostgreSQL makes
a partition's own matching index or key that child (it *adopts* it), and dropping the parent drops
every child, adopted ones too. So fixgen does it step by step, the way PostgreSQL documents for live
partitioned tables, and keeps count in the ledger:

* index: ``CREATE INDEX … ON ONLY parent`` (invalid, no build); per partition, attach its own
  equivalent index (adopted) or build one (``CONCURRENTLY`` online) and attach it (created); the
  parent index turns valid by itself once every partition has one.
* foreign key: a partitioned table takes no ``NOT VALID`` key, so online each partition without an
  equivalent key first gets one ``NOT VALID``, then validated (brief locks, a scan that lets writes
  through); then the parent key, which adopts every partition's key without a scan (a brief SHARE ROW
  EXCLUSIVE lock on the table, its partitions and the referenced table). Without online mode the
  parent key is added in one statement that checks the partitions lacking one.
* rollback: drop the parent object (its children go with it), then re-create every adopted child
  as it was (same name, same definition: adoption requires exactly fixgen's definition), and drop
  any created child an interrupted run left unattached.

The work is written once, here, as queries that *return the statements to run*, in order: the psql
target runs them with ``\\gexec`` (online) or ``EXECUTE`` in a ``DO`` block, the Laravel and Alembic
runtimes with one loop. Each query reads the catalog when it is run, so a re-run after an
interruption returns only what is left. Parameters are ``:name`` markers, each used once, in the
order of PARAMS; ``__LEDGER__`` stands for the quoted ledger table. Only one level of partitions is
handled: a partition that is itself partitioned, or a foreign table, is refused by the preflight.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from fixgen import ledger
from fixgen.dialects import ACTIONS, POSTGRES_ACTION_CODES

LEDGER_MARK = "__LEDGER__"
CREATED, ADOPTED = "created", "adopted"  # the roles of a partition's object in its ledger row's step key


_SEP = ledger.STEP_SEPARATOR


def _child_key(role: str, partition: str = "kname") -> str:
    """The ledger step of a partition object's row, as SQL: the op's step, its role (CREATED, ADOPTED, or an SQL
    expression), the partition (regclass text), joined as fixgen.ledger.step_key joins a step's parts."""
    if role in (CREATED, ADOPTED):
        return f"pb.step || '{_SEP}{role}{_SEP}' || {partition}"
    return f"pb.step || '{_SEP}' || {role} || '{_SEP}' || {partition}"


_M, _S, _O = ledger.COLUMNS[:3]

_ACTION_CODE = ("CASE upper({}) " + " ".join(f"WHEN '{ACTIONS[a]}' THEN '{c}'" for a, c in POSTGRES_ACTION_CODES.items()
                                              if a in ACTIONS) + " END")
_ACTION_SQL = ("CASE {} " + " ".join(f"WHEN '{c}' THEN '{ACTIONS[a]}'" for a, c in POSTGRES_ACTION_CODES.items()
                                     if a in ACTIONS) + " END")

# The arguments every query takes (:tbl and :name unqualified, in current_schema(), as every other guard),
# then `pb`: the partitioned table (no row if it is not one) and `kids`: its partitions.
_ARGS = """\
a AS (SELECT :tbl::text AS tbl, :name::text AS name, :cols::text AS cols, {extra}
             :migration::text AS migration, :step::text AS step⟨+, :lock_timeout::text AS lock_timeout,
             :statement_timeout::text AS statement_timeout+⟩),
pb AS (SELECT a.*, p.oid AS parent, p.oid::regclass::text AS pname,
              (SELECT string_agg(quote_ident(x.c), ', ' ORDER BY x.o)
                 FROM json_array_elements_text(a.cols::json) WITH ORDINALITY AS x(c, o)) AS collist,
              ⟨+'SET lock_timeout = 0'+⟩⟨-NULL::text-⟩ AS unlimit,
              ⟨+'SET statement_timeout = 0'+⟩⟨-NULL::text-⟩ AS unlimit_statements,
              ⟨+format('SET lock_timeout = %L', a.lock_timeout)+⟩⟨-NULL::text-⟩ AS limit_locks,
              ⟨+format('SET statement_timeout = %L', a.statement_timeout)+⟩⟨-NULL::text-⟩ AS limit_statements
         FROM a JOIN pg_catalog.pg_class p ON p.oid = to_regclass(format('%I.%I', current_schema(), a.tbl))
          AND p.relkind = 'p'),
kids AS (SELECT k.oid AS kid, k.oid::regclass::text AS kname, k.relname AS krel, n.nspname AS kschema
           FROM pb JOIN pg_catalog.pg_inherits h ON h.inhparent = pb.parent
           JOIN pg_catalog.pg_class k ON k.oid = h.inhrelid
           JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace)"""

# The ledger rows of the partition objects of this step: role, partition (regclass text), object name.
_RECORDED = f"""\
rk AS (SELECT role.r AS role, l.{_O} AS obj, substr(l.{_S}, length(pb.step) + length(role.r) + {2 * len(_SEP) + 1}) AS kname
         FROM pb CROSS JOIN (VALUES ('{CREATED}'), ('{ADOPTED}')) AS role(r)
         JOIN {LEDGER_MARK} l ON l.{_M} = pb.migration
          AND left(l.{_S}, length(pb.step) + length(role.r) + {2 * len(_SEP)}) = pb.step || '{_SEP}' || role.r || '{_SEP}'),
rec AS (SELECT rk.*, k.oid AS kid, n.nspname AS kschema FROM rk
          JOIN pg_catalog.pg_class k ON k.oid = to_regclass(rk.kname)
          JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace)"""

# The name of what fixgen makes on a partition: <name>_<partition> if free (or already that partition's:
# fixgen's own, from an earlier run), else a hash of both; at most 63 bytes either way.
_CHILD_NAME = """\
CASE WHEN octet_length(pb.name || '_' || kids.krel) <= 63 AND ({taken} IS NULL OR {mine})
     THEN pb.name || '_' || kids.krel
     ELSE 'fixgen_' || left(md5(pb.name || ':' || kids.kname), 24) END"""


# an object this step made on the partition in an earlier, interrupted run: its own, never one to adopt
_MINE = (f"EXISTS (SELECT 1 FROM {LEDGER_MARK} l WHERE l.{_M} = pb.migration "
         f"AND l.{_S} = {_child_key(CREATED, 'kids.kname')} AND l.{_O} = {{obj}})")


def _ledger_row(step: str, obj: str) -> str:
    return (f"format('INSERT INTO {LEDGER_MARK} ({_M}, {_S}, {_O}) VALUES (%L, %L, %L) ON CONFLICT DO NOTHING', "
            f"pb.migration, {step}, {obj})")


def _forget(role: str) -> str:
    return (f"format('DELETE FROM {LEDGER_MARK} WHERE {_M} = %L AND {_S} = %L', pb.migration, "
            f"{_child_key(role)})")


def _rows(body: str) -> str:
    """The statements of `body` (SELECTs of stage, partition, text[]), one per row in order, NULLs left out."""
    return (f"SELECT s.sql FROM ({body}) AS steps(stage, part, list) CROSS JOIN LATERAL unnest(steps.list) "
            'WITH ORDINALITY AS s(sql, n) WHERE s.sql IS NOT NULL ORDER BY steps.stage, steps.part COLLATE "C", s.n')


# ⟨+online only+⟩ ⟨-without online mode only-⟩: resolved by queries(online), so a file holds one mode's SQL
_CONCURRENTLY = "⟨+'CONCURRENTLY '+⟩⟨-''-⟩"
_BEGIN, _COMMIT = "⟨+'BEGIN'+⟩⟨-NULL-⟩", "⟨+'COMMIT'+⟩⟨-NULL-⟩"

# ----------------------------------------------------------------------------- index, up
_INDEX_ARGS = ":uniq::boolean AS uniq, "
_U = "CASE WHEN pb.uniq THEN 'UNIQUE ' ELSE '' END"
_CHILD_INDEX = "to_regclass(format('%I.%I', kids.kschema, pb.name || '_' || kids.krel))"

_INDEX_CHILD = _CHILD_NAME.format(
    taken=_CHILD_INDEX,
    mine=f"EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = kids.kid AND x.indexrelid = {_CHILD_INDEX})")
_INDEX_UP_BODY = f"""SELECT 0, '', ARRAY[format('CREATE %sINDEX IF NOT EXISTS %I ON ONLY %s (%s)', {_U}, pb.name, pb.pname,
                                    pb.collist)] FROM pb
  UNION ALL
  SELECT 1, kname, CASE WHEN equiv IS NOT NULL THEN ARRAY[
      {_BEGIN},
      {_ledger_row(_child_key(ADOPTED), "equiv")},
      format('ALTER INDEX %I ATTACH PARTITION %I.%I', pb.name, kschema, equiv),
      {_COMMIT}]
    ELSE ARRAY[
      {_ledger_row(_child_key(CREATED), "child")},
      ⟨+CASE WHEN made IS NOT NULL AND NOT (SELECT x.indisvalid FROM pg_catalog.pg_index x
                                                        WHERE x.indexrelid = made)
           THEN format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I', kschema, child) END,+⟩
      pb.unlimit, pb.unlimit_statements,
      format('CREATE %sINDEX %sIF NOT EXISTS %I ON %s (%s)', {_U}, {_CONCURRENTLY}, child, kname, pb.collist),
      pb.limit_locks, pb.limit_statements,
      format('ALTER INDEX %I ATTACH PARTITION %I.%I', pb.name, kschema, child)] END
    FROM e CROSS JOIN pb"""
INDEX_UP = f"""WITH {_ARGS.format(extra=_INDEX_ARGS)},
c AS (SELECT kids.*,
        (SELECT x.indexrelid FROM pg_catalog.pg_index x JOIN pg_catalog.pg_inherits h ON h.inhrelid = x.indexrelid
          WHERE x.indrelid = kids.kid AND h.inhparent = to_regclass(format('%I.%I', current_schema(), pb.name))
          LIMIT 1) AS attached,
        (SELECT ic.relname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
          WHERE x.indrelid = kids.kid AND x.indisvalid AND ic.reltablespace = 0
            AND pg_catalog.pg_get_indexdef(x.indexrelid) = format('CREATE %sINDEX %I ON %I.%I USING btree (%s)',
                                                                  {_U}, ic.relname, kids.kschema, kids.krel, pb.collist)
            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = x.indexrelid)
            AND NOT {_MINE.format(obj='ic.relname')}
          ORDER BY ic.relname LIMIT 1) AS equiv,
        {_INDEX_CHILD} AS child
        FROM kids CROSS JOIN pb),
e AS (SELECT c.*, to_regclass(format('%I.%I', c.kschema, c.child)) AS made FROM c WHERE c.attached IS NULL)
{_rows(_INDEX_UP_BODY)}"""

# ----------------------------------------------------------------------------- index, down
_INDEX_DOWN_BODY = f"""SELECT 0, '', ARRAY[format('DROP INDEX IF EXISTS %I.%I', current_schema(), pb.name)] FROM pb
  UNION ALL
  SELECT 1, role || kname, ARRAY[
      -- a created index goes with the parent's, but one an interrupted run left unattached
      CASE WHEN role = '{CREATED}' AND standalone THEN pb.unlimit END,
      CASE WHEN role = '{CREATED}' AND standalone THEN pb.unlimit_statements END,
      CASE WHEN role = '{CREATED}' AND standalone
           THEN format('DROP INDEX %sIF EXISTS %I.%I', {_CONCURRENTLY}, kschema, obj) END,
      -- an adopted index goes with the parent's: build it again as it was (an unusable leftover of that first)
      ⟨+CASE WHEN role = '{ADOPTED}' AND standalone
            AND NOT (SELECT x.indisvalid FROM pg_catalog.pg_index x WHERE x.indexrelid = there)
           THEN format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I', kschema, obj) END,+⟩
      CASE WHEN role = '{ADOPTED}' THEN pb.unlimit END,
      CASE WHEN role = '{ADOPTED}' THEN pb.unlimit_statements END,
      CASE WHEN role = '{ADOPTED}'
           THEN format('CREATE %sINDEX %sIF NOT EXISTS %I ON %s (%s)', {_U}, {_CONCURRENTLY}, obj, kname,
                       pb.collist) END,
      pb.limit_locks, pb.limit_statements,
      {_forget("role")}]
    FROM g CROSS JOIN pb"""
INDEX_DOWN = f"""WITH {_ARGS.format(extra=_INDEX_ARGS)},
{_RECORDED},
f AS (SELECT rec.*, to_regclass(format('%I.%I', rec.kschema, rec.obj)) AS there FROM rec),
g AS (SELECT f.*, f.there IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h
        WHERE h.inhrelid = f.there AND h.inhparent = to_regclass(format('%I.%I', current_schema(), pb.name)))
        AS standalone FROM f CROSS JOIN pb)
{_rows(_INDEX_DOWN_BODY)}"""

# ----------------------------------------------------------------------------- foreign key
_FK_ARGS = (":reftbl::text AS reftbl, :refcols::text AS refcols, :on_delete::text AS on_delete, "
            ":on_update::text AS on_update, ")
_FK_PARENT = f"""\
pf AS (SELECT to_regclass(format('%I.%I', current_schema(), pb.reftbl)) AS ref,
              {_ACTION_CODE.format("pb.on_delete")} AS del, {_ACTION_CODE.format("pb.on_update")} AS upd,
              format('FOREIGN KEY (%s) REFERENCES %I (%s) ON DELETE %s ON UPDATE %s', pb.collist, pb.reftbl,
                     (SELECT string_agg(quote_ident(x.c), ', ' ORDER BY x.o)
                        FROM json_array_elements_text(pb.refcols::json) WITH ORDINALITY AS x(c, o)),
                     {_ACTION_SQL.format(_ACTION_CODE.format("pb.on_delete"))},
                     {_ACTION_SQL.format(_ACTION_CODE.format("pb.on_update"))}) AS def,
              (SELECT k.oid FROM pg_catalog.pg_constraint k WHERE k.conrelid = pb.parent AND k.conname = pb.name)
                AS parentfk
         FROM pb)"""


def _attnums(rel: str, cols: str) -> str:
    return (f"(SELECT array_agg(at.attnum ORDER BY x.o) FROM json_array_elements_text({cols}::json) "
            f"WITH ORDINALITY AS x(c, o) JOIN pg_catalog.pg_attribute at ON at.attrelid = {rel} "
            "AND at.attname = x.c AND NOT at.attisdropped)")


_CHILD_FK = ("(SELECT k.oid FROM pg_catalog.pg_constraint k WHERE k.conrelid = kids.kid "
             "AND k.conname = pb.name || '_' || kids.krel{})")

_FK_CHILD = _CHILD_NAME.format(taken=_CHILD_FK.format(""),
                               mine=_CHILD_FK.format(" AND k.contype = 'f'") + " IS NOT NULL")
_FK_EQUIV_KEYS = f"k.conkey = {_attnums('kids.kid', 'pb.cols')} AND k.confkey = {_attnums('pf.ref', 'pb.refcols')}"
_MID = f"{_SEP}{ADOPTED}{_SEP}"  # between the op's step and the partition in an adopted row's step
_FK_UP_BODY = f"""SELECT 1, kname, ⟨+CASE WHEN equiv IS NULL THEN ARRAY[
      {_ledger_row(_child_key(CREATED), "child")},
      CASE WHEN NOT made THEN format('ALTER TABLE %s ADD CONSTRAINT %I %s NOT VALID', kname, child, pf.def) END,
      pb.unlimit, pb.unlimit_statements,
      format('ALTER TABLE %s VALIDATE CONSTRAINT %I', kname, child),
      pb.limit_locks, pb.limit_statements] END+⟩⟨-NULL::text[]-⟩
    FROM e CROSS JOIN pb CROSS JOIN pf
  UNION ALL
  -- one transaction: record the keys to be adopted, add the parent's, forget those PostgreSQL did not adopt
  SELECT 2, '', ARRAY[{_BEGIN}]
    || coalesce((SELECT array_agg({_ledger_row(_child_key(ADOPTED, "e.kname"), "e.equiv")} ORDER BY e.kname)
                   FROM e WHERE e.equiv IS NOT NULL), '{{}}')
    || ARRAY[format('ALTER TABLE %s ADD CONSTRAINT %I %s', pb.pname, pb.name, pf.def),
             format('DELETE FROM {LEDGER_MARK} l WHERE l.{_M} = %L AND left(l.{_S}, %s) = %L AND NOT EXISTS ('
                    'SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = to_regclass(substr(l.{_S}, %s)) '
                    'AND k.conname = l.{_O} AND k.conparentid <> 0)', pb.migration,
                    length(pb.step) + {len(_MID)}, pb.step || '{_MID}', length(pb.step) + {len(_MID) + 1}),
             {_COMMIT}]
    FROM pb CROSS JOIN pf WHERE pf.parentfk IS NULL"""
FK_UP = f"""WITH {_ARGS.format(extra=_FK_ARGS)},
{_FK_PARENT},
c AS (SELECT kids.*,
        -- the partition's own key that PostgreSQL adopts: same columns, reference and actions, and valid
        (SELECT k.conname FROM pg_catalog.pg_constraint k
          WHERE k.contype = 'f' AND k.conrelid = kids.kid AND k.confrelid = pf.ref
            AND {_FK_EQUIV_KEYS}
            AND k.confdeltype = pf.del AND k.confupdtype = pf.upd AND k.confmatchtype = 's'
            AND NOT k.condeferrable AND k.convalidated AND k.conparentid = 0
            AND NOT {_MINE.format(obj='k.conname')}
          ORDER BY k.conname LIMIT 1) AS equiv,
        {_FK_CHILD} AS child
        FROM kids CROSS JOIN pb CROSS JOIN pf WHERE pf.parentfk IS NULL),
e AS (SELECT c.*, EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.kid AND k.conname = c.child)
        AS made FROM c)
{_rows(_FK_UP_BODY)}"""

_FK_DOWN_BODY = f"""SELECT 0, '', ARRAY[{_BEGIN}, format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', pb.pname, pb.name)]
    FROM pb
  UNION ALL
  SELECT 1, role || kname, ARRAY[
      -- a created key goes with the parent's, but one an interrupted run left unattached
      CASE WHEN role = '{CREATED}' AND there = 0
           THEN format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', kname, obj) END,
      -- an adopted key goes with the parent's: add it again as it was
      CASE WHEN role = '{ADOPTED}' AND (there IS NULL OR there = pf.parentfk)
           THEN format('ALTER TABLE %s ADD CONSTRAINT %I %s%s', kname, obj, pf.def,
                       ⟨+' NOT VALID'+⟩⟨-''-⟩) END]
    FROM f CROSS JOIN pb CROSS JOIN pf
  UNION ALL
  SELECT 2, '', ARRAY[{_COMMIT}] FROM pb
  UNION ALL
  SELECT 3, role || kname, ARRAY[
      ⟨+CASE WHEN role = '{ADOPTED}' THEN pb.unlimit END,+⟩
      ⟨+CASE WHEN role = '{ADOPTED}' THEN pb.unlimit_statements END,+⟩
      ⟨+CASE WHEN role = '{ADOPTED}' THEN format('ALTER TABLE %s VALIDATE CONSTRAINT %I', kname, obj) END,+⟩
      CASE WHEN role = '{ADOPTED}' THEN pb.limit_locks END,
      CASE WHEN role = '{ADOPTED}' THEN pb.limit_statements END,
      {_forget("role")}]
    FROM f CROSS JOIN pb"""
FK_DOWN = f"""WITH {_ARGS.format(extra=_FK_ARGS)},
{_FK_PARENT},
{_RECORDED},
f AS (SELECT rec.*, (SELECT k.conparentid FROM pg_catalog.pg_constraint k WHERE k.conrelid = rec.kid
                     AND k.conname = rec.obj) AS there FROM rec)
{_rows(_FK_DOWN_BODY)}"""

# ----------------------------------------------------------------------------- preflight
# What PostgreSQL would refuse for an index or key step (on a partitioned table, or a key whose column types
# have no equality in the referenced key's index), or fixgen cannot undo exactly, as problem texts (no row:
# nothing wrong). Key steps pass the referenced table and columns; others '' and '[]'. Columns not there
# (yet: a rename or an addition of the same plan) are left to the other checks.
PREFLIGHT = """WITH RECURSIVE a AS (SELECT :tbl::text AS tbl, :cols::text AS cols, :uniq::boolean AS uniq, :kind::text AS kind,
                  :what::text AS what, :reftbl::text AS reftbl, :refcols::text AS refcols),
fkt AS (SELECT c.col AS fcol, r.col AS rcol, fa.atttypid AS ftyp, ra.atttypid AS rtyp, ra.attnum AS rnum,
               ra.attrelid AS ref
          FROM a CROSS JOIN json_array_elements_text(a.cols::json) WITH ORDINALITY AS c(col, i)
          JOIN json_array_elements_text(a.refcols::json) WITH ORDINALITY AS r(col, i) ON r.i = c.i
          JOIN pg_catalog.pg_attribute fa ON fa.attrelid = to_regclass(format('%I.%I', current_schema(), a.tbl))
           AND fa.attname = c.col AND NOT fa.attisdropped
          JOIN pg_catalog.pg_attribute ra ON ra.attrelid = to_regclass(format('%I.%I', current_schema(), a.reftbl))
           AND ra.attname = r.col AND NOT ra.attisdropped
         WHERE a.kind = 'add_foreign_key'),
-- as PostgreSQL decides it: an equality operator of the referenced index's operator family between the
-- two (base) types, or an implicit cast of the column's type to the one the family compares
-- a column's type through every domain level down to its base type
dom AS (SELECT t.oid AS typ, t.oid AS cur, t.typbasetype AS nxt FROM pg_catalog.pg_type t
         WHERE t.oid IN (SELECT ftyp FROM fkt)
        UNION ALL
        SELECT dom.typ, t.oid, t.typbasetype FROM dom JOIN pg_catalog.pg_type t ON t.oid = dom.nxt),
fko AS (SELECT fkt.*, (SELECT d.cur FROM dom d WHERE d.typ = fkt.ftyp AND d.nxt = 0) AS fbase,
               (SELECT k.cls FROM pg_catalog.pg_index x
                  CROSS JOIN LATERAL unnest(x.indkey::int2[], x.indclass::oid[]) AS k(att, cls)
                 WHERE x.indrelid = fkt.ref AND x.indisunique AND x.indpred IS NULL AND k.att = fkt.rnum
                 LIMIT 1) AS opclass
          FROM fkt),
pb AS (SELECT a.*, p.oid AS parent FROM a JOIN pg_catalog.pg_class p
         ON p.oid = to_regclass(format('%I.%I', current_schema(), a.tbl)) AND p.relkind = 'p')
SELECT format('cannot %s: %s is a partitioned table, where fixgen adds indexes and foreign keys but does not drop '
              'or change them (a rollback could not give each partition back its own): do it by hand', what, tbl)
  FROM pb WHERE kind IN ('drop_index', 'foreign_key_actions')
UNION ALL
SELECT format('cannot %s: partition %s of %s is %s, and fixgen handles one level of partitions that are '
              'tables: do it by hand', what, k.oid::regclass, tbl,
              CASE k.relkind WHEN 'p' THEN 'itself partitioned' ELSE 'a foreign table' END)
  FROM pb JOIN pg_catalog.pg_inherits h ON h.inhparent = pb.parent JOIN pg_catalog.pg_class k ON k.oid = h.inhrelid
 WHERE kind IN ('create_index', 'add_foreign_key') AND k.relkind IN ('p', 'f')
UNION ALL
SELECT format('cannot %s: a unique index on partitioned table %s must include every column of its partition key (%s)',
              what, tbl, pg_catalog.pg_get_partkeydef(pb.parent))
  FROM pb JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = pb.parent
 WHERE kind = 'create_index' AND uniq
   AND (0 = ANY (pt.partattrs::int2[]) OR EXISTS (
        SELECT 1 FROM unnest(pt.partattrs::int2[]) AS k(n) JOIN pg_catalog.pg_attribute at
          ON at.attrelid = pb.parent AND at.attnum = k.n
         WHERE at.attname::text NOT IN (SELECT json_array_elements_text(cols::json))))
UNION ALL
SELECT format('cannot %s: %s.%s is %s but %s.%s is %s, which PostgreSQL cannot compare for a foreign key ("cannot '
              'be implemented")', a.what, a.tbl, fko.fcol, format_type(fko.ftyp, NULL), a.reftbl, fko.rcol,
              format_type(fko.rtyp, NULL))
  FROM fko CROSS JOIN a JOIN pg_catalog.pg_opclass oc ON oc.oid = fko.opclass
 WHERE fko.fbase <> oc.opcintype
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_amop o WHERE o.amopfamily = oc.opcfamily AND o.amopstrategy = 3
                     AND o.amoplefttype = oc.opcintype AND o.amoprighttype = fko.fbase)
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_cast k WHERE k.castsource = fko.fbase AND k.casttarget = oc.opcintype
                     AND k.castcontext = 'i')"""

_TEMPLATES = {"index_up": INDEX_UP, "index_down": INDEX_DOWN, "fk_up": FK_UP, "fk_down": FK_DOWN,
              "preflight": PREFLIGHT}
_MODE = re.compile(r"⟨([+-])(.*?)\1⟩", re.S)


def queries(online: bool) -> dict[str, str]:
    """The queries of one mode: online (concurrent builds, NOT VALID then validated, each step committed on
    its own) or not (one transaction, plain statements)."""
    return dict(_queries(online))


@lru_cache(maxsize=2)
def _queries(online: bool) -> dict[str, str]:
    keep = "+" if online else "-"
    return {k: _MODE.sub(lambda m: m.group(2) if m.group(1) == keep else "", q) for k, q in _TEMPLATES.items()}


@lru_cache(maxsize=16)
def _param_names(kind: str, online: bool) -> tuple[str, ...]:
    return tuple(n for n, _ in params(_queries(online)[kind]))
_MARK = re.compile(r"(?<!:):([a-z_]+)::([a-z]+)")


def params(query: str) -> list[tuple[str, str]]:
    """The query's parameters (name, SQL type), in the order they appear (each once)."""
    return _MARK.findall(query)


def positional(query: str, ledger_table: str = LEDGER_MARK) -> str:
    """The query with `CAST(? AS type)` placeholders (PDO), in params() order, without its comment lines (PDO
    reads a quote in a comment as the start of a string)."""
    lines = [line for line in query.split("\n") if not line.lstrip().startswith("--")]
    return _MARK.sub(r"CAST(? AS \2)", "\n".join(lines)).replace(LEDGER_MARK, ledger_table)


def named(query: str, ledger_table: str) -> str:
    """The query with `CAST(:name AS type)` placeholders (SQLAlchemy's text(); `:name::type` it would misread)."""
    return _MARK.sub(r"CAST(:\1 AS \2)", query).replace(LEDGER_MARK, ledger_table)


def pg_function(kind: str, online: bool, ledger_table: str) -> str:
    """The query as a session-local set-returning SQL function pg_temp.fixgen_partition_<kind>(its params)."""
    query = reflow(queries(online)[kind])
    args = ", ".join(f"p_{n} {t}" for n, t in params(query))
    body = _MARK.sub(r"p_\1::\2", query).replace(LEDGER_MARK, ledger_table)
    tag = "$fixgen$"
    assert tag not in body
    return (f"CREATE OR REPLACE FUNCTION pg_temp.fixgen_partition_{kind}({args}) RETURNS SETOF text "
            f"LANGUAGE sql VOLATILE AS {tag}\n{body}\n{tag};")


def call(kind: str, online: bool, values: dict[str, object], literal: Callable[[object], str]) -> str:
    """SQL calling pg_function(kind, online) with these values (the psql target)."""
    names = _param_names(kind, online)
    missing = set(names) - set(values)
    if missing:
        raise KeyError(sorted(missing))
    return f"pg_temp.fixgen_partition_{kind}({', '.join(literal(values[n]) for n in names)})"


def reflow(sql: str, width: int = 110) -> str:
    """The query with every line longer than `width` broken for the files a reviewer reads: at a space outside
    string literals and quoted names (insignificant there), else inside a string literal, which becomes two
    literals on two lines (SQL joins those); continuation lines are indented."""
    out: list[str] = []
    for line in sql.split("\n"):
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        while len(line) > width and not line.lstrip().startswith("--"):
            cut, in_string, quote = -1, -1, ""
            for i, ch in enumerate(line[:width + 1]):
                if quote:
                    if ch == quote:
                        quote = ""
                    elif ch == " " and quote == "'" and i < width:
                        in_string = i
                elif ch in "'\"":
                    quote = ch
                elif ch == " " and line[:i].strip():
                    cut = i
            if cut > len(indent):
                out.append(line[:cut].rstrip())
                line = indent + line[cut + 1:].lstrip()
            elif in_string > len(indent):
                out.append(line[:in_string + 1] + "'")
                line = indent + "'" + line[in_string + 1:]
            else:
                break
        out.append(line)
    return "\n".join(out)
