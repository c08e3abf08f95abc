"""Older code, in SQLAlchemy 1.4's style, sharing the same MetaData."""

from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

from shop.models.base import Base

LegacyBase = declarative_base(metadata=Base.metadata)


class Project(LegacyBase):
    __tablename__ = "projects"
    __table_args__ = {"info": {"owner": "legacy"}}

    id = Column(Integer, primary_key=True)
    name = Column(String(80), nullable=False)
    manager = Column("project_manager_id", Integer, nullable=True)  # the key is manager
