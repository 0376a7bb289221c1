"""user.session_version: sessions and remember-me cookies carry it; bumping it signs the user out everywhere.
user.locked_until goes: the per-account lock-out is replaced by throttling per address and account.

Revision ID: trust_0001
Revises: institutions_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'trust_0001'
down_revision = 'institutions_0001'
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite >= 3.35 drops a column in place): a batch copy of "user" would drop the table, which
# SQLite's foreign keys refuse once other rows (affiliations, memberships) point at its users.
def upgrade():
    op.add_column('user', sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    op.drop_column('user', 'locked_until')


def downgrade():
    op.drop_column('user', 'session_version')
    op.add_column('user', sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
