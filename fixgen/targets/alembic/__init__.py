"""Target alembic: one revision file, guarded through the inspector."""
