import sqlalchemy as sa

from crm.db import Base, Timestamped, metadata

regions = sa.Table(
    "regions",
    metadata,
    sa.Column("code", sa.String(8), primary_key=True),
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("label", sa.String(40)),
    sa.Column("slug", sa.String(20), unique=True),
    sa.Index("regions_label_idx", "label"),
    sa.Index("regions_label_country_idx", "label", "country"),
)


class Account(Timestamped, Base):
    __tablename__ = "accounts"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(60), nullable=False)
    region_code = sa.Column(sa.String(8))
    region_country = sa.Column(sa.String(2))


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (sa.UniqueConstraint("account_id", "email_address"),)  # names the key: the column's name

    id = sa.Column(sa.Integer, primary_key=True)
    account_id = sa.Column(sa.Integer, sa.ForeignKey(Account.id), nullable=False)
    email = sa.Column("email_address", sa.String(120))
    owner_region = sa.Column(sa.String(20), sa.ForeignKey(regions.c.slug, name="contacts_owner_region_fk", ondelete="SET NULL"))
