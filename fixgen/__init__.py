"""fixgen: guarded, idempotent fix migrations with exact rollback."""

__version__ = "0.1.0"
