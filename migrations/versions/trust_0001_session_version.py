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


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
