import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.models.base import Base
from shop.models.users import User


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.Integer)  # no index yet
    # the column the spec renames to user_id; its attribute stays
    created_by_user_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    url: Mapped[str] = mapped_column(sa.String(200))


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (
        sa.Index("agents_owner_idx", "owner_id"),  # redundant: the next one leads with owner_id
        sa.Index("agents_owner_status_idx", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, name="fk_agents_owner"))
    status: Mapped[str] = mapped_column(sa.String(20))
