"""SQLAlchemy application awareness: read an app's declarative models and `Table(...)` objects with a concrete
syntax tree (libcst, which keeps every comment and space), and rewrite them so that they declare what a fix
migration created, so that Alembic's autogenerate no longer proposes undoing it.

libcst is an optional dependency (`pip install 'fixgen[sqlalchemy]'`); only the `fixgen models --orm sqlalchemy`
path imports it.
"""
