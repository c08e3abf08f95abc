"""The shop's models: import them all so that Base.metadata knows every table."""

from shop.models.base import Base
from shop.models.hooks import Agent, Webhook
from shop.models.legacy import Project
from shop.models.users import Team, User, team_members

__all__ = ["Agent", "Base", "Project", "Team", "User", "Webhook", "team_members"]
