import sqlalchemy as sa
from sqlalchemy.ext.declarative import declarative_base

metadata = sa.MetaData()
Base = declarative_base(metadata=metadata)


class Timestamped:
    """A mixin: its column is declared here, not in the models."""

    created = sa.Column(sa.DateTime, nullable=True)
