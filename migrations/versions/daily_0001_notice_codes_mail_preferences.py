"""coded notifications (params, mailed_at) and users' e-mail preferences

Revision ID: daily_0001
Revises: speed_0003
Create Date: 2026-12-01 20:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'daily_0001'
down_revision = 'speed_0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification') as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True))
    # Plain ALTER TABLE: a batch copy of "user" would drop the table, which SQLite's foreign keys refuse once other
    # rows point at its users.
    op.add_column('user', sa.Column('mail_groups', sa.JSON(), nullable=True))
    op.add_column('user', sa.Column('mail_digest', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('user', sa.Column('language', sa.String(length=5), nullable=False, server_default='zh'))


def downgrade():
    op.drop_column('user', 'language')
    op.drop_column('user', 'mail_digest')
    op.drop_column('user', 'mail_groups')
    with op.batch_alter_table('notification') as batch_op:
        batch_op.drop_column('mailed_at')
        batch_op.drop_column('params')
