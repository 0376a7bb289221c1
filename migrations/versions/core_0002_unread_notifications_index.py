"""notification: an index by user, read_at and link (the navigation's unread count and the mark-as-read look-up)

Revision ID: core_0002
Revises: people_0001
"""
from alembic import op


revision = 'core_0002'
down_revision = 'people_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_notification_unread", "notification", ["user_id", "read_at", "link"])


def downgrade():
    op.drop_index("ix_notification_unread", table_name="notification")
