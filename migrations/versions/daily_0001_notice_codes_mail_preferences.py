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
    with op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('mail_groups', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('mail_digest', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=False, server_default='zh'))


def downgrade():
    with op.batch_alter_table('user') as batch_op:
        batch_op.drop_column('language')
        batch_op.drop_column('mail_digest')
        batch_op.drop_column('mail_groups')
    with op.batch_alter_table('notification') as batch_op:
        batch_op.drop_column('mailed_at')
        batch_op.drop_column('params')
