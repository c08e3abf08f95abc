"""Test helpers shared by the test modules: real databases (dbs), the CLI and seed data (roundtrip),
each target's runner (laravel, alembic, sql). pytest puts tests/ on sys.path, so `from support import ...`."""
