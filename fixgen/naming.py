"""Deterministic object names, per target convention, cut to the identifier limit."""

from __future__ import annotations

from dataclasses import dataclass

from fixgen.dialects import Dialect


@dataclass(frozen=True)
class Naming:
    """Templates use {table}, {columns} (joined by '_') and {ref_table}."""

    index: str
    unique: str
    foreign_key: str
    lowercase: bool = False

    def _make(self, template: str, dialect: Dialect, **parts: str) -> str:
        name = template.format(**parts)
        if self.lowercase:
            name = name.lower().replace("-", "_").replace(".", "_")
        return dialect.shorten(name)

    def index_name(self, table: str, columns: tuple[str, ...], unique: bool, dialect: Dialect) -> str:
        return self._make(self.unique if unique else self.index, dialect, table=table, columns="_".join(columns))

    def foreign_key_name(self, table: str, columns: tuple[str, ...], ref_table: str, dialect: Dialect) -> str:
        return self._make(self.foreign_key, dialect, table=table, columns="_".join(columns), ref_table=ref_table)


# Alembic's documented naming-convention style; used by the sql and alembic targets.
CONVENTIONAL = Naming(index="ix_{table}_{columns}", unique="uq_{table}_{columns}",
                      foreign_key="fk_{table}_{columns}_{ref_table}")
# Laravel's own: strtolower("{table}_{columns}_{type}") with '-' and '.' replaced.
LARAVEL = Naming(index="{table}_{columns}_index", unique="{table}_{columns}_unique",
                 foreign_key="{table}_{columns}_foreign", lowercase=True)
