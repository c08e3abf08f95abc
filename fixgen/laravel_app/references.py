"""Find the app's PHP that still names a renamed column of a given table.

Every string the code hands to Eloquent as a column (a relation key, a model property, a
query-builder argument) gets the table it belongs to, when the code says so. A match on
the renamed table is rewritten; the same name on another table is left alone; a match
whose table cannot be known is reported as "check by hand" and never rewritten:

* a column argument of a builder whose receiver is not a known model (`$query->where(...)`
  outside a model scope, a closure parameter we cannot bind);
* a string elsewhere that is exactly the old column name (an array key in a controller,
  `$request->input('created_by_user_id')`): plausibly the column, so a person decides;
* `$appends` entries (they name accessors), raw SQL fragments (`whereRaw`) and relations
  that rely on Laravel's default key name when that name was renamed.

A model value may be a row of more than one table: a receiver typed as a parent model
(`Entity $e`, `$this` in an abstract model) is any model extending it, `$this` in a trait any
model using it. A match there is rewritten when every one of those tables has the same rename,
checked by hand (naming the tables) when only some have it, and left alone when none has.

A string in which the name is only part of the text (a log message) is not a column and
is ignored. A string that is exactly `table.old_column` for a renamed table is rewritten
wherever it appears: the qualifier says which table it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fixgen.laravel_app import php
from fixgen.laravel_app.models import RELATION_METHODS, App, Model, Relation
from fixgen.spec import RenameColumn, Spec


@dataclass(frozen=True)
class Rename:
    table: str
    old: str
    new: str


def renames_of(spec: Spec) -> list[Rename]:
    return [Rename(i.table, i.old, i.new) for i in spec.issues if isinstance(i, RenameColumn)]


@dataclass(frozen=True)
class Reference:
    """One place in the app's code that names a renamed column."""

    file: str  # relative to the app root
    line: int
    where: str  # Class::method, Class::$property, or {main}
    written: str  # as the code names it: 'created_by_user_id', 'webhooks.created_by_user_id', ->created_by_user_id
    replacement: str | None  # the new text; None: check by hand, never rewritten
    start: int  # byte range in the file of what `replacement` replaces
    end: int
    reason: str = ""

    def report_line(self) -> str:
        head = f"{self.file}:{self.line}: {self.where} — {self.written}"
        if self.replacement is not None:
            return f"{head} → {_shown(self.written, self.replacement)}"
        return f"{head}: check by hand ({self.reason})"


def _shown(written: str, replacement: str) -> str:
    if written.startswith("'"):
        return f"'{replacement}'"
    if written.startswith("->"):
        return f"->{replacement}"
    return replacement


@dataclass(frozen=True)
class Ctx:
    """What a query-builder call or a model variable works on: the tables its rows may come from (more than
    one when its type is a parent model: every model that extends it), the models whose relations apply, and
    a relation's pivot table(s). No tables: not knowable from the code (`why` says why)."""

    tables: tuple[str, ...]
    models: tuple[Model, ...] = ()
    pivots: tuple[str, ...] = ()
    why: str = ""


def _union(ctxs: list[Ctx]) -> Ctx:
    """A value of any of these types (a union type, a trait used by several models)."""
    unknown = next((c for c in ctxs if not c.tables), None)
    models = {m.fqcn: m for c in ctxs for m in c.models}
    return Ctx(() if unknown is not None else tuple(sorted({t for c in ctxs for t in c.tables})),
               tuple(models[k] for k in sorted(models)), tuple(sorted({p for c in ctxs for p in c.pivots})),
               unknown.why if unknown is not None else "")


# builder methods whose first argument is a column; * all (string or array) arguments are columns
_FIRST_COLUMN = {
    "where", "orWhere", "whereNot", "orWhereNot", "whereIn", "orWhereIn", "whereNotIn", "orWhereNotIn", "whereNull",
    "orWhereNull", "whereNotNull", "orWhereNotNull", "whereBetween", "orWhereBetween", "whereNotBetween",
    "orWhereNotBetween", "whereDate", "orWhereDate", "whereTime", "orWhereTime", "whereDay", "orWhereDay", "whereMonth",
    "orWhereMonth", "whereYear", "orWhereYear", "whereJsonContains", "whereJsonLength", "whereLike", "orWhereLike",
    "whereIntegerInRaw", "whereIntegerNotInRaw", "firstWhere", "orderBy", "orderByDesc", "latest", "oldest", "having",
    "orHaving", "value", "sum", "avg", "average", "min", "max", "increment", "decrement", "sortBy", "sortByDesc",
    "keyBy", "whereColumn", "orWhereColumn", "pluck", "implode", "cursorPaginate",
}
_SECOND_COLUMN = {"pluck", "whereColumn", "orWhereColumn"}  # whereColumn(a, b) or whereColumn(a, op, b): see _slots
_ALL_COLUMNS = {"select", "addSelect", "groupBy", "get", "only", "except", "makeHidden", "makeVisible"}
_PIVOT_ALL = {"withPivot"}
_PIVOT_FIRST = {"wherePivot", "orWherePivot", "wherePivotIn", "orWherePivotIn", "wherePivotNotIn", "orWherePivotNotIn",
                "wherePivotNull", "orWherePivotNull", "wherePivotNotNull", "orWherePivotNotNull", "wherePivotBetween",
                "orWherePivotBetween", "orderByPivot"}
_KEYS_FIRST = {"create", "make", "forceCreate", "update", "fill", "forceFill", "firstOrCreate", "firstOrNew",
               "updateOrCreate", "insert", "where", "firstWhere", "updateQuietly"}
_KEYS_SECOND = {"firstOrCreate", "firstOrNew", "updateOrCreate"}
_RAW = {"whereRaw", "orWhereRaw", "selectRaw", "orderByRaw", "havingRaw", "orHavingRaw", "groupByRaw"}
_NESTED = {"where", "orWhere", "whereNot", "orWhereNot"}  # a closure argument gets the same builder
_HAS = {"whereHas", "orWhereHas", "whereDoesntHave", "orWhereDoesntHave", "withWhereHas"}
_DB_FACADES = {"DB", "Illuminate\\Support\\Facades\\DB"}


@dataclass
class _Slot:
    literal: php.Literal
    tables: tuple[str, ...]  # the tables it may be a column of; empty: unknown
    kind: str = "column"  # column | accessor | raw
    why: str = ""  # why the table is unknown
    who: str = ""  # what holds it, for a message when it may be on several tables


class _FileScan:
    """One file's column slots, then its references for the given renames."""

    def __init__(self, app: App, src: php.Source, renames: list[Rename],
                 sites: dict[tuple[int, int], list[tuple[Model, Relation]]] | None = None) -> None:
        self.app, self.src, self.renames = app, src, renames
        self.slots: dict[int, _Slot] = {}
        self.bindings: dict[tuple[int, int], dict[str, Ctx]] = {}
        self.refs: list[Reference] = []
        self.models = {m.node.start_byte: m for m in app.models.values() if m.file == src.path}
        # the relation definitions in this file: (start, end) of the call -> each model's reading of it
        self.sites = sites if sites is not None else relation_sites(app).get(src.path, {})

    # ------------------------------------------------------------------ context

    def model_ctx(self, model: Model, exact: bool = False) -> Ctx:
        """A value typed as `model`: that model's row, or (not `exact`) a row of any model that extends it."""
        if exact and not model.abstract:
            return Ctx((model.table,), (model,))
        kinds = self.app.concrete(model)
        if not kinds:
            return Ctx((), (model,), why=f"{model.name} is abstract and no model extends it")
        return Ctx(tuple(sorted({m.table for m in kinds})), tuple(kinds))

    def class_ctx(self, node: Any) -> Ctx | None:
        """`$this`, `static::` and `self::` in a model (any model extending it) or in a trait (any model using it)."""
        cls = php.enclosing(node, ("class_declaration", "trait_declaration"))
        if cls is None:
            return None
        if cls.type == "class_declaration":
            model = self.models.get(cls.start_byte)
            return self.model_ctx(model) if model is not None else None
        name = php.text(cls.child_by_field_name("name"))
        users = self.app.users_of_trait(f"{self.src.namespace}\\{name}" if self.src.namespace else name)
        return _union([self.model_ctx(m, exact=True) for m in users]) if users else None

    def where(self, node: Any) -> str:
        cls = php.enclosing(node, ("class_declaration", "trait_declaration"))
        fn = php.enclosing(node, ("method_declaration", "function_definition", "property_declaration"))
        if fn is not None and fn.type == "property_declaration":
            el = next(c for c in fn.named_children if c.type == "property_element")
            member = php.text(el.child_by_field_name("name"))
        elif fn is not None:
            member = php.text(fn.child_by_field_name("name"))
        else:
            member = None
        if cls is None:
            return member or "{main}"
        name = php.text(cls.child_by_field_name("name"))
        return f"{name}::{member}" if member else name

    def model_of_class(self, name_node: Any, at: Any) -> Ctx | None:
        if name_node.type == "relative_scope":
            return self.class_ctx(at) if php.text(name_node) in ("static", "self") else None
        if name_node.type in ("name", "qualified_name"):
            model = self.app.model(self.src.resolve(php.text(name_node)))
            return self.model_ctx(model, exact=True) if model is not None else None
        return None

    def var_ctx(self, var: Any) -> Ctx | None:
        """A variable bound to a known builder or model: a closure we bound, a scope's $query, a typed parameter."""
        name = php.text(var)
        n = var.parent
        while n is not None:
            if n.type in ("anonymous_function", "arrow_function"):
                bound = self.bindings.get((n.start_byte, n.end_byte), {})
                if name in bound:
                    return bound[name]
                if n.type == "anonymous_function":
                    return None  # a closure sees no outer variable except through `use`
            if n.type in ("method_declaration", "function_definition"):
                return self.param_ctx(n, name)
            n = n.parent
        return None

    def param_ctx(self, fn: Any, name: str) -> Ctx | None:
        params = [p for p in fn.child_by_field_name("parameters").named_children if p.type == "simple_parameter"]
        fn_name = php.text(fn.child_by_field_name("name"))
        for i, p in enumerate(params):
            if php.text(p.child_by_field_name("name")) != name:
                continue
            if i == 0 and fn_name.startswith("scope") and len(fn_name) > 5 and fn.type == "method_declaration":
                own = self.class_ctx(fn)
                if own is not None:
                    return own  # a local scope's first parameter is the builder of the model it is called on
            return self.typed_ctx(p.child_by_field_name("type"))  # route-model binding, typed arguments
        return None

    def typed_ctx(self, type_node: Any) -> Ctx | None:
        """A parameter typed as a model (`Page $p`, `?Page $p`, `Page|Post $p`): its rows' tables. A parent
        model's type is a row of any model extending it; a union with anything but models is unknown."""
        if type_node is None:
            return None
        named = [type_node] if type_node.type == "named_type" else \
            [c for c in php.walk(type_node) if c.type == "named_type"]
        if not named or type_node.type not in ("named_type", "optional_type", "union_type"):
            return None
        models = [self.app.model(self.src.resolve(php.text(n.named_children[0]))) for n in named]
        if any(m is None for m in models):
            return None
        return _union([self.model_ctx(m) for m in models if m is not None])

    def relations_ctx(self, rels: list[Relation]) -> Ctx:
        """What a relation works on: its related model's table and its pivot, for each model that has it."""
        related = [r.related_table for r in rels]
        models = {m.fqcn: m for r in rels if (m := self.app.model(r.related)) is not None}
        pivots = [r.pivot_table for r in rels]
        return Ctx(() if None in related else tuple(sorted({t for t in related if t is not None})),
                   tuple(models[k] for k in sorted(models)),
                   () if None in pivots else tuple(sorted({t for t in pivots if t is not None})),
                   "the relation's related model is only known at run time" if None in related else "")

    def relation_of(self, ctx: Ctx, name: str) -> Ctx | None:
        """`$x->name()` on a model value: the relation of that name, as each model it may be defines it."""
        rels = [r for m in ctx.models if (r := m.relation(name)) is not None]
        return self.relations_ctx(rels) if rels else None

    def site_relations(self, call: Any) -> list[Relation]:
        """The relation defined by this `$this->hasMany(...)` call, as each model that has it reads it."""
        records = self.sites.get((call.start_byte, call.end_byte), [])
        concrete = [r for m, r in records if not m.abstract]
        return concrete or [r for _, r in records]

    def ctx_of(self, expr: Any) -> Ctx | None:
        t = expr.type
        if t == "parenthesized_expression":
            return self.ctx_of(expr.named_children[0])
        if t == "variable_name":
            if php.text(expr) == "$this":
                return self.class_ctx(expr)
            return self.var_ctx(expr)
        if t == "scoped_call_expression":
            scope = expr.child_by_field_name("scope")
            ctx = self.model_of_class(scope, expr)
            if ctx is not None:
                return ctx
            if php.text(scope).lstrip("\\") in _DB_FACADES and php.call_name(expr) == "table":
                args = php.arguments(expr)
                lit = php.literal(args[0][1]) if args else None
                return Ctx((lit.value.split(" ")[0],)) if lit is not None else None
            return None
        if t in ("member_call_expression", "nullsafe_member_call_expression",
                 "member_access_expression", "nullsafe_member_access_expression"):
            obj = expr.child_by_field_name("object")
            name = expr.child_by_field_name("name")
            method = php.text(name) if name is not None and name.type == "name" else None
            if t == "member_call_expression" and method in RELATION_METHODS and php.text(obj) == "$this":
                rels = self.site_relations(expr)
                return self.relations_ctx(rels) if rels else None
            base = self.ctx_of(obj)
            if base is not None and base.models and method is not None:
                rel = self.relation_of(base, method)
                if rel is not None:
                    return rel
            return base if t.endswith("call_expression") else None
        if t == "object_creation_expression":
            cls = next((c for c in expr.named_children if c.type in ("name", "qualified_name")), None)
            return self.model_of_class(cls, expr) if cls is not None else None
        return None

    # ------------------------------------------------------------------ slots

    def claim(self, node: Any, ctx: Ctx | None, kind: str = "column", why: str = "", who: str = "",
              tables: tuple[str, ...] | None = None) -> None:
        lit = php.literal(node)
        if lit is not None and lit.start not in self.slots:
            known = tables if tables is not None else (ctx.tables if ctx is not None else ())
            self.slots[lit.start] = _Slot(lit, known, kind, (ctx.why if ctx is not None and ctx.why else why), who)

    def claim_all(self, node: Any, ctx: Ctx | None, why: str, who: str, tables: tuple[str, ...] | None = None) -> None:
        items = php.array_items(node)
        for _, value in items or [(None, node)]:
            self.claim(value, ctx, why=why, who=who, tables=tables)

    def claim_keys(self, node: Any, ctx: Ctx | None, why: str, who: str) -> None:
        for key, _ in php.array_items(node):
            if key is not None:
                self.claim(key, ctx, why=why, who=who)

    def scan(self) -> None:
        for model in self.models.values():
            self.model_slots(model)
        self.relation_slots()
        for node in php.walk(self.src.root):
            if node.type in php.CALLS:
                self.call_slots(node)
        for node in php.walk(self.src.root):
            if node.type in ("string", "encapsed_string"):
                self.match_literal(node)
            elif node.type in ("member_access_expression", "nullsafe_member_access_expression"):
                self.match_attribute(node)
        for records in self.sites.values():
            self.match_defaults(records)

    def model_slots(self, model: Model) -> None:
        own = self.model_ctx(model)
        for entry in model.properties:
            kind = "accessor" if entry.property == "appends" else "column"
            self.slots.setdefault(entry.literal.start, _Slot(entry.literal, own.tables, kind, own.why,
                                                             f"{model.name}::${entry.property}"))
        if model.primary_key_literal is not None:
            self.slots.setdefault(model.primary_key_literal.start,
                                  _Slot(model.primary_key_literal, own.tables, why=own.why, who=f"{model.name}::$primaryKey"))
        if model.table_literal is not None:
            self.slots.setdefault(model.table_literal.start, _Slot(model.table_literal, (), "table"))

    def relation_slots(self) -> None:
        """A relation key named in the code is a column of its table, for each model that has the relation
        (an abstract model's or a trait's relation: each model extending or using it)."""
        for records in self.sites.values():
            concrete = [(m, r) for m, r in records if not m.abstract]
            for param in records[0][1].keys:
                keys = [(m, r.keys[param]) for m, r in (concrete or records) if param in r.keys]
                if not keys or keys[0][1].literal is None:
                    continue
                lit = keys[0][1].literal
                tables = {k.table for _, k in keys}
                why = ""
                if None in tables:
                    why = "morphTo's owner table is only known at run time"
                elif not concrete and any(k.table == m.table for m, k in keys):
                    why = f"{records[0][0].name} is abstract and no model extends it"
                known = () if why else tuple(sorted(t for t in tables if t is not None))
                who = f"{self.where(records[0][1].call)}'s {param}"
                self.slots.setdefault(lit.start, _Slot(lit, known, why=why, who=who))

    def call_slots(self, call: Any) -> None:
        method = php.call_name(call)
        if method is None:
            return
        if call.type == "scoped_call_expression":
            ctx = self.ctx_of(call)  # Webhook::where(...) works on Webhook itself
            receiver = php.text(call.child_by_field_name("scope"))
        else:
            obj = call.child_by_field_name("object")
            if (call.start_byte, call.end_byte) in self.sites:
                return  # the definition's keys are relation_slots'
            ctx = self.ctx_of(obj)
            receiver = php.text(obj) if obj.type == "variable_name" else f"{php.text(obj)[:40]}"
        args = [v for _, v in php.arguments(call)]
        why = f"{receiver} is not a known model"
        if method in _FIRST_COLUMN and args:
            self.claim(args[0], ctx, why=why, who=receiver)
        if method in _SECOND_COLUMN and len(args) >= 2:
            self.claim(args[-1] if method != "pluck" else args[1], ctx, why=why, who=receiver)
        if method in _ALL_COLUMNS:
            for a in args:
                self.claim_all(a, ctx, why, receiver)
        if method in _KEYS_FIRST and args:
            self.claim_keys(args[0], ctx, why, receiver)
        if method in _KEYS_SECOND and len(args) >= 2:
            self.claim_keys(args[1], ctx, why, receiver)
        if method in _PIVOT_FIRST or method in _PIVOT_ALL:
            pwhy = why if ctx is None else "the relation's pivot table is not known"
            pivots = ctx.pivots if ctx is not None else ()
            for a in args if method in _PIVOT_ALL else args[:1]:
                self.claim_all(a, None, pwhy, f"{receiver}'s pivot", tables=pivots)
        if method in _RAW and args:
            self.claim(args[0], ctx, "raw", why, receiver)
        self.bind_closures(call, method, ctx, args)

    def bind_closures(self, call: Any, method: str, ctx: Ctx | None, args: list[Any]) -> None:
        target: Ctx | None = None
        if method in _NESTED:
            target = ctx
        elif method in _HAS and ctx is not None and ctx.models and args:
            lit = php.literal(args[0])
            target = self.relation_of(ctx, lit.value) if lit is not None else None
        if target is None:
            return
        for a in args:
            if a.type in ("anonymous_function", "arrow_function"):
                params = [p for p in a.child_by_field_name("parameters").named_children if p.type == "simple_parameter"]
                if params:
                    self.bindings[(a.start_byte, a.end_byte)] = {php.text(params[0].child_by_field_name("name")): target}

    # ------------------------------------------------------------------ matching

    def add(self, node_or_lit: Any, written: str, replacement: str | None, start: int, end: int, reason: str = "") -> None:
        node = node_or_lit.node if isinstance(node_or_lit, php.Literal) else node_or_lit
        self.refs.append(Reference(self.src.path, php.line_of(node), self.where(node), written, replacement, start, end, reason))

    def add_on_tables(self, node: Any, written: str, hits: list[Rename], tables: tuple[str, ...], who: str,
                      start: int, end: int) -> None:
        """A column of one of `tables`: rewritten when every one of them has the same rename, else (some do) to
        check by hand, naming them; nothing when none does."""
        own = [r for r in hits if r.table in tables]
        if not own:
            return
        if {r.table for r in own} == set(tables) and len({r.new for r in own}) == 1:
            self.add(node, written, own[0].new, start, end)
        else:
            self.add(node, written, None, start, end, f"{who} may be on table {' or '.join(tables)}; {_renamed(own)}")

    def match_literal(self, node: Any) -> None:
        lit = php.literal(node)
        if lit is None:
            return
        slot = self.slots.get(lit.start)
        value = lit.value
        written = f"'{value}'"
        qualifier, dot, column = value.rpartition(".")
        if dot and (slot is None or slot.kind == "column"):
            for r in self.renames:
                if r.table == qualifier and r.old == column:
                    self.add(lit, written, f"{qualifier}.{r.new}", lit.start, lit.end)
            return
        if slot is not None and slot.kind == "table":
            return
        if slot is not None and slot.kind == "raw":
            hits = [r for r in self.renames if re.search(rf"\b{re.escape(r.old)}\b", value)
                    and (not slot.tables or r.table in slot.tables)]
            if hits:
                self.add(lit, written, None, lit.start, lit.end, f"raw SQL; {_renamed(hits)}")
            return
        hits = [r for r in self.renames if r.old == value]
        if not hits:
            return
        if slot is None:
            self.add(lit, written, None, lit.start, lit.end, f"a string equal to the old column name; {_renamed(hits)}")
        elif slot.kind == "accessor":
            own = [r for r in hits if r.table in slot.tables]
            if own:
                self.add(lit, written, None, lit.start, lit.end, f"$appends names an accessor, not a column; {_renamed(own)}")
        elif not slot.tables:
            self.add(lit, written, None, lit.start, lit.end, f"{slot.why}; {_renamed(hits)}")
        else:
            self.add_on_tables(lit, written, hits, slot.tables, slot.who, lit.start, lit.end)

    def match_attribute(self, node: Any) -> None:
        name = node.child_by_field_name("name")
        if name is None or name.type != "name":
            return
        hits = [r for r in self.renames if r.old == php.text(name)]
        if not hits:
            return
        obj = node.child_by_field_name("object")
        ctx = self.ctx_of(obj)
        written = f"->{php.text(name)}"
        who = php.text(obj)[:40]
        if ctx is None or not ctx.tables:
            why = ctx.why if ctx is not None and ctx.why else f"{who} is not a known model"
            self.add(name, written, None, name.start_byte, name.end_byte, f"{why}; {_renamed(hits)}")
            return
        self.add_on_tables(name, written, hits, ctx.tables, who, name.start_byte, name.end_byte)

    def match_defaults(self, records: list[tuple[Model, Relation]]) -> None:
        """A relation that leaves a key out uses Laravel's default name: if that column was renamed, say so
        (for each model that has the relation: an inherited one's default may differ by model)."""
        concrete = [r for m, r in records if not m.abstract]
        for rel in concrete or [r for _, r in records]:
            for key in rel.keys.values():
                if key.literal is not None or key.table is None:
                    continue
                for r in self.renames:
                    if r.table == key.table and r.old == key.column:
                        name = rel.call.child_by_field_name("name")
                        self.add(name, f"default {key.param} '{key.column}' of {rel.type}()", None, name.start_byte,
                                 name.end_byte, f"{_renamed([r])}: pass the key explicitly")


def _renamed(renames: Iterable[Rename]) -> str:
    return "renamed: " + ", ".join(f"{r.table}.{r.old} → {r.new}" for r in renames)


def relation_sites(app: App) -> dict[str, dict[tuple[int, int], list[tuple[Model, Relation]]]]:
    """file -> (start, end) of a relation call in it -> each model's reading of that relation (an abstract
    model's or a trait's relation is read by every model that has it), models by class name."""
    out: dict[str, dict[tuple[int, int], list[tuple[Model, Relation]]]] = {}
    for m in sorted(app.models.values(), key=lambda m: m.fqcn):
        for r in m.relations:
            if r.call is not None:
                out.setdefault(r.file, {}).setdefault((r.call.start_byte, r.call.end_byte), []).append((m, r))
    return out


def find_references(app: App, renames: list[Rename]) -> list[Reference]:
    """Every reference to an old column of a renamed table, in file and line order."""
    refs: list[Reference] = []
    if not renames:
        return refs
    sites = relation_sites(app)
    for src in app.sources:
        scan = _FileScan(app, src, renames, sites.get(src.path, {}))
        scan.scan()
        refs.extend(scan.refs)
    return sorted(set(refs), key=lambda r: (r.file, r.start, r.end, r.replacement or ""))
