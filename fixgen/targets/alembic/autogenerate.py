"""The one hook that keeps fixgen_ledger out of Alembic's autogenerate, and the hint that points to it.

One home for the text: `fixgen emit --target alembic` prints HINT, `fixgen models --env-py` adds HOOK to env.py
(fixgen/sqlalchemy_app/envpy.py), and docs/targets.md shows the same lines (a test holds them equal). Without it,
autogenerate proposes dropping the ledger, after which the revision's downgrade has nothing to undo.
"""

from __future__ import annotations

from fixgen import ledger

HOOK_NAME = "include_name"
HOOK = (f"def {HOOK_NAME}(name, type_, parent_names):\n"
        f'    return not (type_ == "table" and name == "{ledger.TABLE}")\n')
HINT = (f"hint: keep {ledger.TABLE} out of Alembic autogenerate with {HOOK_NAME} in env.py's context.configure(...): "
        "`fixgen models SPEC --app DIR --env-py PATH/env.py` adds it (docs/targets.md)")
