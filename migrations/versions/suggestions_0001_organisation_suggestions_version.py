"""organisation.suggestions_version: moves whenever one of the organisation's suggested pairings is written,
so 为您推荐 can be served from a shared copy until it does

Revision ID: suggestions_0001
Revises: core_0002
"""
import sqlalchemy as sa
from alembic import op


revision = 'suggestions_0001'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('organisation', sa.Column('suggestions_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('organisation') as batch:
        batch.drop_column('suggestions_version')
