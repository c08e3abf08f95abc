from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Every model's base (SQLAlchemy 2.0 style)."""
