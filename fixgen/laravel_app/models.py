"""An app's Eloquent models as data: table, primary key, relations with their key columns, properties.

`load_app(root)` reads the PHP once; `fixgen models` finds renamed columns in it and a
later `detect --laravel-app` can compare the same data with a live schema. Which argument
of a relation method is a column of which table follows Laravel's HasRelationships
(hasMany's foreignKey is on the related model's table, belongsTo's on this one's, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixgen.errors import FixgenError, Problem
from fixgen.laravel_app import php
from fixgen.laravel_app.tables import default_foreign_key, default_table, joining_table, morph_pivot_table, snake

# where the app's own PHP lives; migrations are history and are never touched
SCAN_DIRS = ("app", "routes", "database/factories", "database/seeders")

# classes whose subclasses are Eloquent models
ELOQUENT_BASES = frozenset({
    "Illuminate\\Database\\Eloquent\\Model",
    "Illuminate\\Database\\Eloquent\\Relations\\Pivot",
    "Illuminate\\Database\\Eloquent\\Relations\\MorphPivot",
    "Illuminate\\Foundation\\Auth\\User",
})
# a subclass of these takes AsPivot::getTable()'s default: snake(singular(basename)), not the plural
PIVOT_BASES = frozenset({
    "Illuminate\\Database\\Eloquent\\Relations\\Pivot",
    "Illuminate\\Database\\Eloquent\\Relations\\MorphPivot",
})

# method -> (parameters in order, {key parameter: whose table holds that column})
# "this": the model defining the relation; "related", "through", "pivot"; "unknown": decided at run time (morphTo)
RELATION_METHODS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "hasOne": (("related", "foreignKey", "localKey"), {"foreignKey": "related", "localKey": "this"}),
    "hasMany": (("related", "foreignKey", "localKey"), {"foreignKey": "related", "localKey": "this"}),
    "belongsTo": (("related", "foreignKey", "ownerKey", "relation"), {"foreignKey": "this", "ownerKey": "related"}),
    "hasOneThrough": (("related", "through", "firstKey", "secondKey", "localKey", "secondLocalKey"),
                      {"firstKey": "through", "secondKey": "related", "localKey": "this", "secondLocalKey": "through"}),
    "hasManyThrough": (("related", "through", "firstKey", "secondKey", "localKey", "secondLocalKey"),
                       {"firstKey": "through", "secondKey": "related", "localKey": "this", "secondLocalKey": "through"}),
    "morphOne": (("related", "name", "type", "id", "localKey"), {"type": "related", "id": "related", "localKey": "this"}),
    "morphMany": (("related", "name", "type", "id", "localKey"), {"type": "related", "id": "related", "localKey": "this"}),
    "morphTo": (("name", "type", "id", "ownerKey"), {"type": "this", "id": "this", "ownerKey": "unknown"}),
    "belongsToMany": (("related", "table", "foreignPivotKey", "relatedPivotKey", "parentKey", "relatedKey", "relation"),
                      {"foreignPivotKey": "pivot", "relatedPivotKey": "pivot", "parentKey": "this", "relatedKey": "related"}),
    "morphToMany": (("related", "name", "table", "foreignPivotKey", "relatedPivotKey", "parentKey", "relatedKey", "inverse"),
                    {"foreignPivotKey": "pivot", "relatedPivotKey": "pivot", "parentKey": "this", "relatedKey": "related"}),
    "morphedByMany": (("related", "name", "table", "foreignPivotKey", "relatedPivotKey", "parentKey", "relatedKey"),
                      {"foreignPivotKey": "pivot", "relatedPivotKey": "pivot", "parentKey": "this", "relatedKey": "related"}),
}
PIVOT_METHODS = ("belongsToMany", "morphToMany", "morphedByMany")

# model properties that list columns (values), or map columns to something (keys)
COLUMN_LIST_PROPERTIES = ("fillable", "guarded", "hidden", "visible", "dates")
COLUMN_KEY_PROPERTIES = ("casts",)
# $appends names accessors, not columns: a match there is for a person to judge
ACCESSOR_PROPERTIES = ("appends",)


@dataclass
class Key:
    """One key column of a relation: the table it belongs to and its name, explicit or Laravel's default."""

    param: str  # the relation method's parameter: foreignKey, ownerKey, foreignPivotKey, ...
    table: str | None  # None: not knowable from the code (morphTo's owner key, an unknown related class)
    column: str
    literal: php.Literal | None = None  # the string in the code; None when Laravel's default applies


@dataclass
class Relation:
    name: str  # the model method defining it
    type: str  # hasMany, belongsTo, belongsToMany, ...
    line: int
    related: str | None  # fully qualified class, None for morphTo
    related_table: str | None
    keys: dict[str, Key] = field(default_factory=dict)
    through: str | None = None
    through_table: str | None = None
    pivot_table: str | None = None
    with_timestamps: bool = False
    with_pivot: list[str] = field(default_factory=list)
    call: Any = field(default=None, repr=False)  # the tree-sitter node of the $this->hasMany(...) call
    file: str = ""  # where the call is (a parent class's or a trait's file when inherited)
    defined_in: str = ""  # the class or trait whose method holds the call
    inherited: bool = False  # from a parent class or a trait, evaluated for this model (its table, its name)


@dataclass
class PropertyEntry:
    property: str  # fillable, casts, ...
    value: str
    literal: php.Literal
    line: int


@dataclass
class Model:
    name: str  # class basename
    fqcn: str
    file: str  # relative to the app root
    line: int
    table: str
    table_explicit: bool
    primary_key: str = "id"
    relations: list[Relation] = field(default_factory=list)  # its own methods' first, then inherited ones
    properties: list[PropertyEntry] = field(default_factory=list)  # declared in this class
    abstract: bool = False
    parent: str | None = None  # fully qualified parent class (an app model or an Eloquent base)
    connection: str | None = None  # $connection, declared or inherited; None: the default connection
    traits: list[str] = field(default_factory=list)  # fully qualified traits the class body uses
    declared: set[str] = field(default_factory=set)  # properties the class body gives a value (null too)
    node: Any = field(default=None, repr=False)
    source: php.Source | None = field(default=None, repr=False)
    table_literal: php.Literal | None = field(default=None, repr=False)
    primary_key_literal: php.Literal | None = field(default=None, repr=False)

    @property
    def fillable(self) -> list[str]:
        return [p.value for p in self.properties if p.property == "fillable"]

    def relation(self, name: str) -> Relation | None:
        return next((r for r in self.relations if r.name == name), None)


@dataclass
class App:
    root: Path
    sources: list[php.Source]
    models: dict[str, Model]  # by fully qualified class name
    problems: list[Problem] = field(default_factory=list)  # files that could not be read or parsed
    traits: dict[str, Trait] = field(default_factory=dict)  # by fully qualified name
    _concrete: dict[str, list[Model]] = field(default_factory=dict, repr=False)  # concrete()'s answers

    def model(self, fqcn: str | None) -> Model | None:
        """The app's model of that class; a class unknown under its namespace falls back to a unique basename."""
        if fqcn is None:
            return None
        if fqcn in self.models:
            return self.models[fqcn]
        base = fqcn.rsplit("\\", 1)[-1]
        same = [m for m in self.models.values() if m.name == base]
        return same[0] if len(same) == 1 and "\\" not in fqcn else None

    def models_of_table(self, table: str) -> list[Model]:
        return [m for m in self.models.values() if m.table == table]

    def concrete(self, model: Model) -> list[Model]:
        """What an instance typed as `model` can be: the model itself unless abstract, and every
        non-abstract model that extends it, at any depth (by class name)."""
        if model.fqcn not in self._concrete:
            out = [model] if not model.abstract else []
            out += [m for m in self.models.values() if not m.abstract and m is not model and self.extends(m, model)]
            self._concrete[model.fqcn] = sorted(out, key=lambda m: m.fqcn)
        return list(self._concrete[model.fqcn])

    def extends(self, model: Model, ancestor: Model) -> bool:
        seen: set[str] = set()
        parent = model.parent
        while parent is not None and parent not in seen:
            if parent == ancestor.fqcn:
                return True
            seen.add(parent)
            up = self.models.get(parent)
            parent = up.parent if up is not None else None
        return False

    def tables_of(self, model: Model) -> tuple[str, ...]:
        """The tables a row typed as `model` may come from (sorted; empty: an abstract model nothing extends)."""
        return tuple(sorted({m.table for m in self.concrete(model)}))

    def users_of_trait(self, fqcn: str) -> list[Model]:
        """The models whose class body uses the trait (directly or through another trait), and their subclasses,
        that are not abstract."""
        direct = [m for m in self.models.values() if fqcn in _trait_closure(self, m.traits)]
        out = {c.fqcn: c for m in direct for c in self.concrete(m)}
        return [out[k] for k in sorted(out)]


@dataclass
class Trait:
    fqcn: str
    source: php.Source
    node: Any = field(repr=False)
    uses: list[str] = field(default_factory=list)  # fully qualified traits it uses


def _trait_closure(app: App, traits: list[str]) -> list[str]:
    """The traits and, depth first, the traits they use (each once)."""
    out: list[str] = []
    stack = list(reversed(traits))
    while stack:
        t = stack.pop()
        if t in out:
            continue
        out.append(t)
        if t in app.traits:
            stack.extend(reversed(app.traits[t].uses))
    return out


def php_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for d in SCAN_DIRS:
        base = root / d
        if base.is_dir():
            files.extend(p for p in base.rglob("*.php") if p.is_file() and "vendor" not in p.relative_to(root).parts)
    return sorted(set(files))


def load_app(root: str | Path) -> App:
    """Parse the app's PHP (see SCAN_DIRS) and collect its models; unreadable files go to `problems`."""
    root = Path(root)
    if not root.is_dir():
        raise FixgenError(f"--app {root}: no such directory")
    if not (root / "app").is_dir():
        raise FixgenError(f"--app {root}: not a Laravel app (no app/ directory)")
    sources: list[php.Source] = []
    problems: list[Problem] = []
    for path in php_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            sources.append(php.parse(rel, path.read_bytes()))
        except FixgenError as e:
            problems.extend(e.problems)
        except OSError as e:
            problems.append(Problem(f"{rel}: cannot read: {e.strerror or e}"))
    app = App(root, sources, {}, problems)
    _find_traits(app)
    _find_models(app)
    for model in app.models.values():
        _read_properties(app, model)
    _inherit_properties(app)
    for model in app.models.values():
        _read_relations(app, model)
    return app


def _classes(src: php.Source) -> list[tuple[str, Any, str | None]]:
    """(fully qualified name, class node, fully qualified parent or None) of each class in a file."""
    out = []
    for node in php.walk(src.root):
        if node.type != "class_declaration":
            continue
        name = php.text(node.child_by_field_name("name"))
        fq = f"{src.namespace}\\{name}" if src.namespace else name
        base = next((c for c in node.named_children if c.type == "base_clause"), None)
        parent = None
        if base is not None:
            target = next((c for c in base.named_children if c.type in ("name", "qualified_name")), None)
            parent = src.resolve(php.text(target)) if target is not None else None
        out.append((fq, node, parent))
    return out


def _used_traits(src: php.Source, body_owner: Any) -> list[str]:
    """`use A, B;` in a class or trait body: the traits, fully qualified."""
    out = []
    body = body_owner.child_by_field_name("body")
    for decl in (c for c in body.named_children if c.type == "use_declaration") if body is not None else ():
        out += [src.resolve(php.text(n)) for n in decl.named_children if n.type in ("name", "qualified_name")]
    return out


def _find_traits(app: App) -> None:
    for src in app.sources:
        for node in php.walk(src.root):
            if node.type == "trait_declaration":
                name = php.text(node.child_by_field_name("name"))
                fq = f"{src.namespace}\\{name}" if src.namespace else name
                app.traits.setdefault(fq, Trait(fq, src, node, _used_traits(src, node)))


def _find_models(app: App) -> None:
    classes = {fq: (src, node, parent) for src in app.sources for fq, node, parent in _classes(src)}
    models: set[str] = set()
    changed = True
    while changed:  # a subclass of an app model is a model too
        changed = False
        for fq, (_, _, parent) in classes.items():
            if fq not in models and parent is not None and (parent in ELOQUENT_BASES or parent in models):
                models.add(fq)
                changed = True
    for fq in sorted(models):
        src, node, parent = classes[fq]
        name = fq.rsplit("\\", 1)[-1]
        table = snake(name) if _is_pivot_class(classes, fq) else default_table(name)
        abstract = any(c.type == "abstract_modifier" for c in node.children)
        app.models[fq] = Model(name, fq, src.path, php.line_of(node), table, False, node=node, source=src,
                               abstract=abstract, parent=parent, traits=_used_traits(src, node))


def _is_pivot_class(classes: dict[str, tuple[php.Source, Any, str | None]], fq: str) -> bool:
    """A subclass of Pivot/MorphPivot: its default table is Str::snake(Str::singular(basename)), which for the
    singular names pivot classes have (`TeamUser`) is the snake name."""
    seen: set[str] = set()
    while fq in classes and fq not in seen:
        seen.add(fq)
        parent = classes[fq][2]
        if parent in PIVOT_BASES:
            return True
        if parent is None:
            return False
        fq = parent
    return False


def _inherit_properties(app: App) -> None:
    """$table, $primaryKey and $connection a model does not declare come from its nearest app parent that does
    (PHP property inheritance; a parent's *default* table is not inherited: getTable() uses the subclass's name)."""
    def chain(model: Model) -> list[Model]:
        out, seen = [], {model.fqcn}
        parent = app.models.get(model.parent or "")
        while parent is not None and parent.fqcn not in seen:
            out.append(parent)
            seen.add(parent.fqcn)
            parent = app.models.get(parent.parent or "")
        return out

    declared = {fq: (m.table_explicit, "primaryKey" in m.declared, m.connection is not None)
                for fq, m in app.models.items()}
    for model in app.models.values():
        own_table, own_pk, own_conn = declared[model.fqcn]
        for parent in chain(model):
            p_table, p_pk, p_conn = declared[parent.fqcn]
            if not own_table and p_table:
                model.table, model.table_explicit, own_table = parent.table, True, True
            if not own_pk and p_pk:
                model.primary_key, own_pk = parent.primary_key, True
            if not own_conn and p_conn:
                model.connection, own_conn = parent.connection, True


def source_of(model: Model) -> php.Source:
    assert model.source is not None
    return model.source


def class_members(class_node: Any, kind: str) -> list[Any]:
    body = class_node.child_by_field_name("body")
    return [c for c in body.named_children if c.type == kind] if body is not None else []


def _read_properties(app: App, model: Model) -> None:
    for decl in class_members(model.node, "property_declaration"):
        if any(c.type == "static_modifier" for c in decl.named_children):
            continue
        for el in (c for c in decl.named_children if c.type == "property_element"):
            name = php.text(el.child_by_field_name("name")).lstrip("$")
            value = el.child_by_field_name("default_value")
            if value is None:
                continue
            model.declared.add(name)
            if name == "table" and (lit := php.literal(value)) is not None:
                model.table, model.table_explicit, model.table_literal = lit.value, True, lit
            elif name == "primaryKey" and (lit := php.literal(value)) is not None:
                model.primary_key, model.primary_key_literal = lit.value, lit
            elif name == "connection" and (lit := php.literal(value)) is not None:
                model.connection = lit.value
            elif name in COLUMN_LIST_PROPERTIES or name in ACCESSOR_PROPERTIES:
                for _, item in php.array_items(value):
                    if (lit := php.literal(item)) is not None:
                        model.properties.append(PropertyEntry(name, lit.value, lit, php.line_of(item)))
            elif name in COLUMN_KEY_PROPERTIES:
                for key, _ in php.array_items(value):
                    if (lit := php.literal(key)) is not None:
                        model.properties.append(PropertyEntry(name, lit.value, lit, php.line_of(key)))


def methods(class_node: Any) -> list[tuple[str, Any]]:
    return [(php.text(m.child_by_field_name("name")), m) for m in class_members(class_node, "method_declaration")]


def _methods_in_effect(app: App, model: Model) -> list[tuple[str, Any, php.Source, str]]:
    """(name, method node, its file, fully qualified class or trait) of each method an instance of `model` has:
    its class's own, then its traits', then its parent's (PHP's order of precedence; the first of a name wins)."""
    out: list[tuple[str, Any, php.Source, str]] = []
    seen_names: set[str] = set()

    def add(owner: Any, src: php.Source, fq: str) -> None:
        for name, node in methods(owner):
            if name.lower() not in seen_names:
                seen_names.add(name.lower())
                out.append((name, node, src, fq))

    visited: set[str] = set()
    current: Model | None = model
    while current is not None and current.fqcn not in visited:
        visited.add(current.fqcn)
        add(current.node, source_of(current), current.fqcn)
        for t in _trait_closure(app, current.traits):
            if t in app.traits:
                add(app.traits[t].node, app.traits[t].source, t)
        current = app.models.get(current.parent or "")
    return out


def _read_relations(app: App, model: Model) -> None:
    for method_name, method, src, owner in _methods_in_effect(app, model):
        body = method.child_by_field_name("body")
        if body is None:
            continue
        for call in php.walk(body):
            if call.type != "member_call_expression" or php.call_name(call) not in RELATION_METHODS:
                continue
            obj = call.child_by_field_name("object")
            if obj is None or php.text(obj) != "$this":
                continue
            rel = _relation(app, model, method_name, call, src)
            rel.file, rel.defined_in, rel.inherited = src.path, owner, owner != model.fqcn
            model.relations.append(rel)


def _basename(fqcn: str) -> str:
    return fqcn.rsplit("\\", 1)[-1]


def _relation(app: App, model: Model, method_name: str, call: Any, src: php.Source) -> Relation:
    kind = php.call_name(call) or ""
    params, roles = RELATION_METHODS[kind]
    args = php.bind(params, php.arguments(call))
    related = php.class_ref(src, args.get("related"))
    rel_model = app.model(related)
    rel = Relation(method_name, kind, php.line_of(call), rel_model.fqcn if rel_model else related, None, call=call)
    if kind != "morphTo":
        rel.related_table = rel_model.table if rel_model else (default_table(_basename(related)) if related else None)
    rel_base = _basename(rel.related) if rel.related else None
    rel_pk = rel_model.primary_key if rel_model else "id"
    through_model = None
    if "through" in args:
        rel.through = php.class_ref(src, args["through"])
        through_model = app.model(rel.through)
        if through_model is not None:
            rel.through, rel.through_table = through_model.fqcn, through_model.table
        elif rel.through:
            rel.through_table = default_table(_basename(rel.through))
    morph_name = php.literal(args.get("name"))
    if kind in PIVOT_METHODS:
        rel.pivot_table = _pivot_table(app, src, kind, args.get("table"), model, rel_base, morph_name)
    tables = {"this": model.table, "related": rel.related_table, "through": rel.through_table,
              "pivot": rel.pivot_table, "unknown": None}
    # belongsTo's default foreign key comes from its `relation` argument when given, else the method's name
    named = php.literal(args.get("relation")) if kind == "belongsTo" else None
    defaults = _default_keys(kind, model, named.value if named is not None and named.value else method_name,
                             rel_base, rel_pk, through_model, rel.through, morph_name)
    for param, whose in roles.items():
        lit = php.literal(args.get(param))
        column = lit.value if lit is not None else defaults.get(param)
        if column is None:
            continue
        rel.keys[param] = Key(param, tables[whose], column, lit)
    _read_modifiers(rel, call)
    return rel


def _pivot_table(app: App, src: php.Source, kind: str, table_arg: Any, model: Model, rel_base: str | None,
                 morph_name: php.Literal | None) -> str | None:
    lit = php.literal(table_arg)
    if lit is not None and "\\" not in lit.value:
        return lit.value
    cls = php.class_ref(src, table_arg)
    if cls is not None:  # a custom Pivot model class
        pivot_model = app.model(cls)
        return pivot_model.table if pivot_model else None
    if table_arg is not None:
        return None
    if kind == "belongsToMany":
        return joining_table(rel_base, model.name) if rel_base else None
    return morph_pivot_table(morph_name.value) if morph_name is not None else None


def _default_keys(kind: str, model: Model, method_name: str, rel_base: str | None, rel_pk: str,
                  through_model: Model | None, through: str | None, morph_name: php.Literal | None) -> dict[str, str]:
    """The key names Laravel uses when the argument is left out (HasRelationships, Laravel 8-12)."""
    own_fk = default_foreign_key(model.name, model.primary_key)
    through_pk = through_model.primary_key if through_model else "id"
    out: dict[str, str] = {"localKey": model.primary_key, "parentKey": model.primary_key, "relatedKey": rel_pk}
    if kind in ("hasOne", "hasMany"):
        out["foreignKey"] = own_fk
    elif kind == "belongsTo":
        out["foreignKey"] = f"{snake(method_name)}_{rel_pk}"
        out["ownerKey"] = rel_pk
    elif kind in ("hasOneThrough", "hasManyThrough"):
        out["firstKey"] = own_fk
        if through:
            out["secondKey"] = default_foreign_key(_basename(through), through_pk)
        out["secondLocalKey"] = through_pk
    elif kind in ("morphOne", "morphMany") and morph_name is not None:
        out["type"], out["id"] = f"{morph_name.value}_type", f"{morph_name.value}_id"
        if model.primary_key_literal is None and model.node is not None and any(
                php.text(el.child_by_field_name("name")) == "$primaryKey"
                and (value := el.child_by_field_name("default_value")) is not None and php.text(value).lower() == "null"
                for decl in class_members(model.node, "property_declaration")
                for el in decl.named_children if el.type == "property_element"):
            del out["localKey"]  # `$primaryKey = null`: getKeyName() is null, and so is the localKey morphOne defaults to
    elif kind == "morphTo":
        name = snake(morph_name.value if morph_name is not None else method_name)
        out["type"], out["id"] = f"{name}_type", f"{name}_id"
        out["ownerKey"] = "id"
    elif kind == "belongsToMany":
        out["foreignPivotKey"] = own_fk
        if rel_base:
            out["relatedPivotKey"] = default_foreign_key(rel_base, rel_pk)
    elif kind == "morphToMany" and morph_name is not None:
        out["foreignPivotKey"] = f"{morph_name.value}_id"
        if rel_base:
            out["relatedPivotKey"] = default_foreign_key(rel_base, rel_pk)
    elif kind == "morphedByMany" and morph_name is not None:
        out["foreignPivotKey"] = own_fk
        out["relatedPivotKey"] = f"{morph_name.value}_id"
    return out


def _read_modifiers(rel: Relation, call: Any) -> None:
    """->withTimestamps(), ->withPivot('a', 'b') chained on the relation definition."""
    node = call
    while node.parent is not None and node.parent.type == "member_call_expression" \
            and node.parent.child_by_field_name("object") == node:
        node = node.parent
        name = php.call_name(node)
        if name == "withTimestamps":
            rel.with_timestamps = True
        elif name == "withPivot":
            for _, arg in php.arguments(node):
                items = [v for _, v in php.array_items(arg)] or [arg]
                rel.with_pivot.extend(lit.value for lit in map(php.literal, items) if lit is not None)
