from sqlalchemy import text

from shop.models import Webhook

# raw SQL names the database's column, which the fix renames: reported to check by hand
MINE = text("SELECT id FROM webhooks WHERE created_by_user_id = :user")


def mine(session, user_id: int) -> list[Webhook]:
    # the attribute keeps its name, so ORM code goes on working as it is
    return session.query(Webhook).filter(Webhook.created_by_user_id == user_id).all()
