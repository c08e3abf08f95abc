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
    """What a query-builder call works on: its model and table, and a relation's pivot table."""

    table: str | None
    model: Model | None = None
    pivot: str | None = None


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
    table: str | None  # None: unknown
    kind: str = "column"  # column | accessor | raw
    why: str = ""  # why the table is unknown


class _FileScan:
    """One file's column slots, then its references for the given renames."""

    def __init__(self, app: App, src: php.Source, renames: list[Rename]) -> None:
        self.app, self.src, self.renames = app, src, renames
        self.slots: dict[int, _Slot] = {}
        self.bindings: dict[tuple[int, int], dict[str, Ctx]] = {}
        self.refs: list[Reference] = []
        self.models = {m.node.start_byte: m for m in app.models.values() if m.file == src.path}

    # ------------------------------------------------------------------ context

    def class_model(self, node: Any) -> Model | None:
        cls = php.enclosing(node, ("class_declaration",))
        return self.models.get(cls.start_byte) if cls is not None else None

    def where(self, node: Any) -> str:
        cls = php.enclosing(node, ("class_declaration",))
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

    def model_of_class(self, name_node: Any, at: Any) -> Model | None:
        if name_node.type == "relative_scope":
            return self.class_model(at) if php.text(name_node) in ("static", "self") else None
        if name_node.type in ("name", "qualified_name"):
            return self.app.model(self.src.resolve(php.text(name_node)))
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
        model = self.class_model(fn)
        fn_name = php.text(fn.child_by_field_name("name"))
        for i, p in enumerate(params):
            if php.text(p.child_by_field_name("name")) != name:
                continue
            if i == 0 and model is not None and fn_name.startswith("scope") and len(fn_name) > 5:
                return Ctx(model.table, model)  # a local scope's first parameter is the model's builder
            type_node = p.child_by_field_name("type")
            if type_node is not None and type_node.type == "named_type":
                found = self.app.model(self.src.resolve(php.text(type_node.named_children[0])))
                if found is not None:
                    return Ctx(found.table, found)  # route-model binding, typed arguments
        return None

    def relation_ctx(self, model: Model, rel: Relation) -> Ctx:
        return Ctx(rel.related_table, self.app.model(rel.related), rel.pivot_table)

    def ctx_of(self, expr: Any) -> Ctx | None:
        t = expr.type
        if t == "parenthesized_expression":
            return self.ctx_of(expr.named_children[0])
        if t == "variable_name":
            if php.text(expr) == "$this":
                model = self.class_model(expr)
                return Ctx(model.table, model) if model is not None else None
            return self.var_ctx(expr)
        if t == "scoped_call_expression":
            scope = expr.child_by_field_name("scope")
            model = self.model_of_class(scope, expr)
            if model is not None:
                return Ctx(model.table, model)
            if php.text(scope).lstrip("\\") in _DB_FACADES and php.call_name(expr) == "table":
                args = php.arguments(expr)
                lit = php.literal(args[0][1]) if args else None
                return Ctx(lit.value.split(" ")[0]) if lit is not None else None
            return None
        if t in ("member_call_expression", "nullsafe_member_call_expression",
                 "member_access_expression", "nullsafe_member_access_expression"):
            obj = expr.child_by_field_name("object")
            name = expr.child_by_field_name("name")
            method = php.text(name) if name is not None and name.type == "name" else None
            base = self.ctx_of(obj)
            if t == "member_call_expression" and method in RELATION_METHODS and php.text(obj) == "$this":
                model = self.class_model(expr)
                rel = self.relation_at(model, expr) if model is not None else None
                return self.relation_ctx(model, rel) if model is not None and rel is not None else None
            if base is not None and base.model is not None and method is not None:
                rel = base.model.relation(method)
                if rel is not None:
                    return self.relation_ctx(base.model, rel)
            return base if t.endswith("call_expression") else None
        if t == "object_creation_expression":
            cls = next((c for c in expr.named_children if c.type in ("name", "qualified_name")), None)
            model = self.model_of_class(cls, expr) if cls is not None else None
            return Ctx(model.table, model) if model is not None else None
        return None

    @staticmethod
    def relation_at(model: Model, call: Any) -> Relation | None:
        return next((r for r in model.relations if r.call is not None and r.call.start_byte == call.start_byte
                     and r.call.end_byte == call.end_byte), None)

    # ------------------------------------------------------------------ slots

    def claim(self, node: Any, table: str | None, kind: str = "column", why: str = "") -> None:
        lit = php.literal(node)
        if lit is not None and lit.start not in self.slots:
            self.slots[lit.start] = _Slot(lit, table, kind, why)

    def claim_all(self, node: Any, table: str | None, why: str) -> None:
        items = php.array_items(node)
        for _, value in items or [(None, node)]:
            self.claim(value, table, why=why)

    def claim_keys(self, node: Any, table: str | None, why: str) -> None:
        for key, _ in php.array_items(node):
            if key is not None:
                self.claim(key, table, why=why)

    def scan(self) -> None:
        for model in self.models.values():
            self.model_slots(model)
        for node in php.walk(self.src.root):
            if node.type in php.CALLS:
                self.call_slots(node)
        for node in php.walk(self.src.root):
            if node.type in ("string", "encapsed_string"):
                self.match_literal(node)
            elif node.type in ("member_access_expression", "nullsafe_member_access_expression"):
                self.match_attribute(node)
        for model in self.models.values():
            for rel in model.relations:
                self.match_defaults(model, rel)

    def model_slots(self, model: Model) -> None:
        for entry in model.properties:
            kind = "accessor" if entry.property == "appends" else "column"
            self.slots.setdefault(entry.literal.start, _Slot(entry.literal, model.table, kind))
        if model.primary_key_literal is not None:
            self.slots.setdefault(model.primary_key_literal.start, _Slot(model.primary_key_literal, model.table))
        if model.table_literal is not None:
            self.slots.setdefault(model.table_literal.start, _Slot(model.table_literal, None, "table"))
        for rel in model.relations:
            for key in rel.keys.values():
                if key.literal is not None:
                    why = "morphTo's owner table is only known at run time" if key.table is None else ""
                    self.slots.setdefault(key.literal.start, _Slot(key.literal, key.table, why=why))

    def call_slots(self, call: Any) -> None:
        method = php.call_name(call)
        if method is None:
            return
        if call.type == "scoped_call_expression":
            ctx = self.ctx_of(call)  # Webhook::where(...) works on Webhook itself
            receiver = php.text(call.child_by_field_name("scope"))
        else:
            obj = call.child_by_field_name("object")
            if method in RELATION_METHODS and php.text(obj) == "$this" and self.class_model(call) is not None:
                return  # the definition's keys are model_slots'
            ctx = self.ctx_of(obj)
            receiver = php.text(obj) if obj.type == "variable_name" else f"{php.text(obj)[:40]}"
        args = [v for _, v in php.arguments(call)]
        why = f"{receiver} is not a known model"
        table = ctx.table if ctx is not None else None
        if method in _FIRST_COLUMN and args:
            self.claim(args[0], table, why=why)
        if method in _SECOND_COLUMN and len(args) >= 2:
            self.claim(args[-1] if method != "pluck" else args[1], table, why=why)
        if method in _ALL_COLUMNS:
            for a in args:
                self.claim_all(a, table, why)
        if method in _KEYS_FIRST and args:
            self.claim_keys(args[0], table, why)
        if method in _KEYS_SECOND and len(args) >= 2:
            self.claim_keys(args[1], table, why)
        if method in _PIVOT_FIRST or method in _PIVOT_ALL:
            pivot = ctx.pivot if ctx is not None else None
            pwhy = why if ctx is None else "the relation's pivot table is not known"
            for a in args if method in _PIVOT_ALL else args[:1]:
                self.claim_all(a, pivot, pwhy)
        if method in _RAW and args:
            self.claim(args[0], table, "raw", why)
        self.bind_closures(call, method, ctx, args)

    def bind_closures(self, call: Any, method: str, ctx: Ctx | None, args: list[Any]) -> None:
        target: Ctx | None = None
        if method in _NESTED:
            target = ctx
        elif method in _HAS and ctx is not None and ctx.model is not None and args:
            lit = php.literal(args[0])
            rel = ctx.model.relation(lit.value) if lit is not None else None
            target = self.relation_ctx(ctx.model, rel) if rel is not None else None
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
                    and (slot.table is None or slot.table == r.table)]
            if hits:
                self.add(lit, written, None, lit.start, lit.end, f"raw SQL; {_renamed(hits)}")
            return
        hits = [r for r in self.renames if r.old == value]
        if not hits:
            return
        if slot is None:
            self.add(lit, written, None, lit.start, lit.end, f"a string equal to the old column name; {_renamed(hits)}")
        elif slot.kind == "accessor":
            own = [r for r in hits if r.table == slot.table]
            if own:
                self.add(lit, written, None, lit.start, lit.end, f"$appends names an accessor, not a column; {_renamed(own)}")
        elif slot.table is None:
            self.add(lit, written, None, lit.start, lit.end, f"{slot.why}; {_renamed(hits)}")
        else:
            for r in hits:
                if r.table == slot.table:
                    self.add(lit, written, r.new, lit.start, lit.end)

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
        if ctx is None or ctx.table is None:
            self.add(name, written, None, name.start_byte, name.end_byte,
                     f"{php.text(obj)[:40]} is not a known model; {_renamed(hits)}")
            return
        for r in hits:
            if r.table == ctx.table:
                self.add(name, written, r.new, name.start_byte, name.end_byte)

    def match_defaults(self, model: Model, rel: Relation) -> None:
        """A relation that leaves a key out uses Laravel's default name: if that column was renamed, say so."""
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


def find_references(app: App, renames: list[Rename]) -> list[Reference]:
    """Every reference to an old column of a renamed table, in file and line order."""
    refs: list[Reference] = []
    if not renames:
        return refs
    for src in app.sources:
        scan = _FileScan(app, src, renames)
        scan.scan()
        refs.extend(scan.refs)
    return sorted(set(refs), key=lambda r: (r.file, r.start, r.end, r.replacement or ""))
